"""What an image execs next in the same process: env, Xcode stubs, version-manager shims, wrapper scripts.

Each rule reads only the hop (path, argv) and the first bytes of a wrapper script, never runs anything.
Sources: env(1) for `env [-i] [-u NAME] [NAME=VALUE] [-S STRING] CMD`; pyenv/rbenv/nodenv shims
(`exec "$ROOT/libexec/pyenv" exec "$program" "$@"`, pyenv `libexec/pyenv-rehash`); asdf shims
(`exec asdf exec "python3" "$@"`, asdf `lib/commands/command-reshim.bash`); pnpm's `.bin` wrappers (pnpm's
cmd-shim: `exec node "$basedir/../pkg/bin.js" "$@"`, newer ones `exec node "$basedir_abs"/'../.pnpm/...'`);
Xcode's /usr/bin tool shims (libxcselect, exec the tool from the active developer dir;
sipdoctor/data/macos-system-binaries.md "Xcode shims").
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sipdoctor.chains.context import Context
from sipdoctor.chains.shell import shell_invocation
from sipdoctor.chains.tree import Hop
from sipdoctor.chains.versions import managed_program
from sipdoctor.macos_paths import shipped_binary

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
SCRIPT_HEAD_BYTES = 16384
DEFAULT_DEVELOPER_DIR = "/Library/Developer/CommandLineTools"
"""xcode-select's default when only the Command Line Tools are installed."""


@dataclass(frozen=True)
class Continuation:
    argv: tuple[str, ...]
    why: str
    env: Mapping[str, str] = field(default_factory=dict)
    program: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


Rule = Callable[[Hop, Context], Continuation | None]


def next_exec(hop: Hop, ctx: Context) -> Continuation | None:
    for rule in RULES:
        step = rule(hop, ctx)
        if step is not None:
            return step
    return None


def env_rule(hop: Hop, ctx: Context) -> Continuation | None:
    if hop.name != "env" or len(hop.argv) < 2:
        return None
    args = list(hop.argv[1:])
    assignments: dict[str, str] = {}
    while args:
        arg = args[0]
        if arg.startswith("-S") or arg.startswith("--split-string"):
            rest = arg[2:].strip() if arg.startswith("-S") else arg.partition("=")[2]
            args = [*shlex.split(rest), *args[1:]] if rest else args[1:]
            continue
        if arg in ("-u", "--unset") and len(args) > 1:
            args = args[2:]
        elif arg.startswith("-"):
            args = args[1:]
            if arg == "--":
                break
        elif "=" in arg and arg.partition("=")[0].isidentifier():
            name, _, value = arg.partition("=")
            assignments[name] = value
            args = args[1:]
        else:
            break
    if not args:
        return None
    return Continuation(tuple(args), f"{hop.path} looks `{args[0]}` up on PATH and execs it", assignments)


def xcode_stub_rule(hop: Hop, ctx: Context) -> Continuation | None:
    if ctx.target != "macos":
        return None
    shipped = shipped_binary(hop.path)
    if shipped is None or not shipped.is_xcode_shim:
        return None
    developer = ctx.env.get("DEVELOPER_DIR", DEFAULT_DEVELOPER_DIR)
    real = f"{developer}/usr/bin/{hop.name}"
    return Continuation((real, *hop.argv[1:]), f"{hop.path} is an Xcode stub: it execs the tool in {developer}",
                        program=(hop.name, *hop.argv[1:]))


def _script_head(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(SCRIPT_HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def _shell_script(hop: Hop) -> tuple[str, tuple[str, ...]] | None:
    """(script path, its arguments) when this hop is a shell running a script file."""
    if hop.name not in SHELLS:
        return None
    command, args = shell_invocation(hop.argv)
    if command or not args or not os.path.isfile(args[0]):
        return None
    return args[0], tuple(args[1:])


MANAGER_EXEC = re.compile(r'exec\s+"?(?P<exe>[^"\s]*/libexec/(?P<tool>pyenv|rbenv|nodenv))"?\s+exec\s+"\$program"')
ASDF_EXEC = re.compile(r'exec\s+"?(?P<exe>[^"\s]*asdf)"?\s+exec\s+"(?P<prog>[^"]+)"')
PNPM_WRAPPER = re.compile(r'exec\s+node\s+"\$basedir(?:_abs)?(?:"/\'|/)(?P<js>[^"\']+)')
LITERAL_EXEC = re.compile(r'^\s*exec\s+"?(?P<exe>/[^"\s]+)"?(?P<rest>[^\n]*)"\$@"', re.MULTILINE)
ROOT_EXPORT = re.compile(r'export\s+(?P<var>[A-Z]+_ROOT)="(?P<root>[^"]+)"')


def version_manager_shim_rule(hop: Hop, ctx: Context) -> Continuation | None:
    script = _shell_script(hop)
    if script is None:
        return None
    path, args = script
    head = _script_head(path)
    program = os.path.basename(path)
    if (m := MANAGER_EXEC.search(head)) is not None:
        env = {r.group("var"): r.group("root") for r in ROOT_EXPORT.finditer(head)}
        return Continuation((m.group("exe"), "exec", program, *args),
                            f"{m.group('tool')} shim {path} execs {m.group('tool')} exec {program}",
                            env, program=(program, *args))
    if (m := ASDF_EXEC.search(head)) is not None:
        return Continuation((m.group("exe"), "exec", m.group("prog"), *args),
                            f"asdf shim {path} execs asdf exec {m.group('prog')}", program=(program, *args))
    return None


def manager_exec_rule(hop: Hop, ctx: Context) -> Continuation | None:
    """`pyenv exec python3` (or rbenv, nodenv, asdf) execs the real program of the selected version."""
    tool = _manager_name(hop)
    if tool is None:
        return None
    rest = [a for a in hop.argv if a != hop.argv[0]]
    index = rest.index("exec") if "exec" in rest else -1
    if index < 0 or index + 1 >= len(rest):
        return None
    program, args = rest[index + 1], tuple(rest[index + 2 :])
    found = managed_program(tool, program, ctx)
    if found.path is None:
        return Continuation((), "", notes=(found.note,))
    return Continuation((found.path, *args), f"{tool} exec runs {program} {found.note}", program=(program, *args))


def _manager_name(hop: Hop) -> str | None:
    """pyenv/rbenv/nodenv/asdf when this hop runs one of them (as a bash script or a binary)."""
    candidates = [hop.name]
    script = _shell_script(hop)
    if script is not None:
        candidates.append(os.path.basename(script[0]))
    for name in candidates:
        if name in ("pyenv", "rbenv", "nodenv", "asdf"):
            return name
    return None


def pnpm_wrapper_rule(hop: Hop, ctx: Context) -> Continuation | None:
    script = _shell_script(hop)
    if script is None:
        return None
    path, args = script
    m = PNPM_WRAPPER.search(_script_head(path))
    if m is None:
        return None
    basedir = os.path.dirname(path)
    js = os.path.normpath(os.path.join(basedir, m.group("js")))
    local_node = os.path.join(basedir, "node")
    node = local_node if os.access(local_node, os.X_OK) else "node"
    return Continuation((node, js, *args), f"pnpm wrapper {path} execs node with the package's entry",
                        program=("node", js, *args))


def literal_exec_rule(hop: Hop, ctx: Context) -> Continuation | None:
    """A wrapper script whose job is `exec /abs/path ... "$@"` (a hand-written shim)."""
    script = _shell_script(hop)
    if script is None:
        return None
    path, args = script
    matches = list(LITERAL_EXEC.finditer(_script_head(path)))
    if len(matches) != 1:
        return None
    exe = matches[0].group("exe")
    extra = tuple(shlex.split(matches[0].group("rest"))) if matches[0].group("rest").strip() else ()
    return Continuation((exe, *extra, *args), f"wrapper {path} execs {exe}",
                        program=(os.path.basename(path), *args))


def binary_shim_rule(hop: Hop, ctx: Context) -> Continuation | None:
    """Volta and mise shims are binaries that run the tool of the selected version."""
    via = hop.via or ""
    if "/.volta/bin/" in via or "/mise/shims/" in via:
        tool = "volta" if "/.volta/" in via else "mise"
        name = os.path.basename(via)
        found = managed_program(tool, name, ctx, shim=via)
        if found.path is None:
            return Continuation((), "", notes=(found.note,))
        return Continuation((found.path, *hop.argv[1:]), f"{tool} shim {via} runs {name} {found.note}",
                            program=(name, *hop.argv[1:]))
    return None


RULES: tuple[Rule, ...] = (
    env_rule,
    xcode_stub_rule,
    version_manager_shim_rule,
    manager_exec_rule,
    pnpm_wrapper_rule,
    binary_shim_rule,
    literal_exec_rule,
)
