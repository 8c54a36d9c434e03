"""Names vulture reports as unused (pyproject.toml [tool.vulture], run by .ci/run) that are used in a way it cannot
see. Each entry says how. Reviewed: dead code is deleted, not listed here."""

from sipdoctor.advice.expr import _Evaluator
from sipdoctor.binaries import __getattr__ as binaries_getattr
from sipdoctor.commands.completion import Shell
from sipdoctor.commands.options import Arch, CheckFormat, ColorMode, Profiler, SipMode, Target
from sipdoctor.errors import EXIT_FINDINGS

# _Evaluator.visit calls the method named after the node's class: getattr(self, f"_{type(node).__name__}").
(_Evaluator._Constant, _Evaluator._Name, _Evaluator._Attribute, _Evaluator._Subscript, _Evaluator._BoolOp,
 _Evaluator._UnaryOp, _Evaluator._BinOp, _Evaluator._Compare, _Evaluator._IfExp, _Evaluator._Call)

# PEP 562: Python calls a module's __getattr__ for the lazy exports of sipdoctor.binaries.
binaries_getattr

# Typer turns the option's text into the enum member with that value.
(ColorMode.ALWAYS, ColorMode.NEVER, SipMode.OFF, SipMode.DEBUG_OFF, Arch.ARM64, Arch.X86_64, Target.MACOS,
 Target.LINUX, CheckFormat.MARKDOWN, Profiler.CODSPEED, Shell.BASH, Shell.ZSH, Shell.FISH)

# The exit-code table (0 ok, 1 findings, 2, 3, 130); CheckResult.exit_code in model.py, which imports nothing,
# returns the 1 itself.
EXIT_FINDINGS

# bashlex's yacc.LRParser reads a production's `callable` and a table's lr_productions, lr_action and lr_goto.
from sipdoctor.chains.bashlex_tables import _Production, _Tables

(_Production.callable, _Tables.lr_productions, _Tables.lr_action, _Tables.lr_goto)
