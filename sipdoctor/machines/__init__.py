"""Which machine a command runs on, and what runs there by each name: the Machine boundary and its models.

Public API (other layers import from here; the fix planners ask a Machine for paths, never os.path):
- Machine (base), HostMachine, ModelMachine, RootMachine, SipState
- MODELS, ModelSpec, model_spec, runner_for_label, DEFAULT_MODEL (the shipped catalog)
- local_machine(...): the machine local commands are judged on; job_machine(...): a workflow job's runner
- machine.which(name) / resolve / realpath / shebang / verdict / default_path / homebrew
"""
