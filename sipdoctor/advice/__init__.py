"""The rule engine: load YAML rules, evaluate them over collected facts, produce findings. Pure: no I/O here
except reading the rule files in loader.py."""
