"""The documented facts a rule may read (docs/rules.md, "Facts"): every fixed mapping and its keys.

`rules validate` (and every rule load) checks each dotted path that starts at a fact root against this
catalogue, so `sip.readabel` is an error naming the rule's line instead of a condition that never fires.
A path below a list element (`item.x`, `h.verdict` in a generator) is not checked here: the rule's examples
are evaluated for that. `None` marks a mapping whose keys vary (protections by label, toolchains by name).
"""

from __future__ import annotations

import ast

_TOOLCHAIN = frozenset({"installed", "path", "root", "on_path"})

CATALOG: dict[str, frozenset[str] | None] = {
    "host": frozenset({"os", "target", "ci", "ci_provider", "arch"}),
    "sip": frozenset({"readable", "status", "qualifier", "custom", "protections", "implied",
                      "unsupported_configuration", "dyld_env_stripping", "source", "active_config",
                      "disagreements", "error", "raw"}),
    "sip.active_config": frozenset({"value", "protections"}),
    "sip.protections": None,
    "sip.active_config.protections": None,
    "linux": frozenset({"injection_variable", "ld_preload", "ld_so_preload", "secure_execution"}),
    "linux.ld_so_preload": frozenset({"entries", "error", "path", "present"}),
    "path": frozenset({"commands", "entries", "scripts", "shadowing", "value"}),
    "toolchains": frozenset({"asdf", "brew", "corepack", "fnm", "homebrew", "mise", "non_system_shells", "nvm",
                             "portable_shell", "pyenv", "rustup", "uv", "volta"}),
    **{f"toolchains.{name}": _TOOLCHAIN for name in ("asdf", "brew", "corepack", "fnm", "homebrew", "mise",
                                                       "nvm", "pyenv", "rustup", "uv", "volta")},
    "project": frozenset({"causes", "commands", "executables", "ignored", "machines", "others_losing", "package",
                          "problems", "profiler", "project", "stripped", "target", "unjudged", "venvs"}),
    "project.package": frozenset({"file", "manager", "manager_source", "manager_version", "pnpm_reads_npmrc",
                                  "script_shell", "yarn_berry"}),
    "project.package.script_shell": frozenset({"value", "source"}),
    "machine": frozenset({"name", "label", "kind", "arch", "sip", "homebrew", "bash", "note"}),
    "machine.sip": frozenset({"state", "assumed", "evidence"}),
    "trace": frozenset({"command", "exit_code", "emulate_sip", "missed_estimate", "coverage", "blind_spots",
                        "incomplete"}),
    "trace.coverage": frozenset({"processes_profiled", "processes_total", "cpu_profiled_fraction"}),
}


def unknown_path(dotted: list[str]) -> str | None:
    """The first prefix of a dotted fact path that the catalogue says cannot exist, as `a.b.c`, else None."""
    for end in range(1, len(dotted)):
        parent = ".".join(dotted[:end])
        if parent not in CATALOG:
            return None  # a leaf value, a list or an open mapping: nothing more is known
        keys = CATALOG[parent]
        if keys is not None and dotted[end] not in keys:
            return ".".join(dotted[: end + 1])
    return None


def first_unknown(tree: ast.AST) -> tuple[str, int] | None:
    """The first dotted path in an expression tree that starts at a fact root and names an undocumented key,
    with its 1-based column."""
    targets = [n.target for n in ast.walk(tree) if isinstance(n, ast.comprehension)]
    bound = {t.id for t in targets if isinstance(t, ast.Name)}  # generator variables: list elements
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parts: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name) and base.id not in bound:
            wrong = unknown_path([base.id, *reversed(parts)])
            if wrong is not None:
                return wrong, node.col_offset + 1
    return None
