"""Find the commands a project runs (package.json, Makefile, workflows, tox/nox, justfile) and predict each."""
