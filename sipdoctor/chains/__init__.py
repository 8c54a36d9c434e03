"""Command line -> predicted process tree: shell parsing, PATH lookup, shebangs, shims, implicit shells."""
