"""Everything `sipdoctor run` and `trace --reinject` do before the command starts: predict the tree, choose the
shim names, build the shim, save the variables, put the shim directory first on PATH."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sipdoctor.chains.reinject import Plan, Strips, interpreter_names, plan_prediction, verdict_strips
from sipdoctor.chains.tree import Hop
from sipdoctor.errors import SipdoctorError
from sipdoctor.reinject.environment import HOOK_SHELL_ENV, inject_var, save, with_shims


@dataclass(frozen=True)
class Options:
    target: str
    """The system whose rules decide what strips: "macos" on a Mac and under --emulate-sip."""
    emulated: frozenset[str] | None = None
    """--emulate-sip's protected path forms; None when not emulating."""
    skip: tuple[str, ...] = ()
    extra_names: tuple[str, ...] = ()
    log: str | None = None
    hook: Path | None = None
    hook_shell: str | None = None


@dataclass(frozen=True)
class Prepared:
    env: dict[str, str]
    shim_dir: Path
    names: tuple[str, ...]
    saved: tuple[str, ...]
    plan: Plan
    prediction_note: str | None


def prepare(argv: Sequence[str], env: Mapping[str, str], cwd: Path, options: Options) -> Prepared:
    from sipdoctor.reinject.build import build_shim
    from sipdoctor.reinject.shimdir import make_shim_dir

    plan, note = _plan(argv, env, cwd, options)
    protected = _protected_test(options, env)
    names = plan.names | interpreter_names(env.get("PATH", os.defpath), protected) | set(options.extra_names)
    names -= set(options.skip)
    shim_dir = make_shim_dir(build_shim(env=dict(env)), names)
    base = dict(env)
    if options.hook is not None:
        var = inject_var()
        base[var] = f"{base[var]}:{options.hook}" if base.get(var) else str(options.hook)
        if options.hook_shell:
            base[HOOK_SHELL_ENV] = options.hook_shell
    saved = save(base)
    final = with_shims(saved.env, str(shim_dir), skip=options.skip, log=options.log)
    return Prepared(final, shim_dir, tuple(sorted(names)), saved.names, plan, note)


def _strips(options: Options) -> Strips:
    emulated = options.emulated
    if emulated is None:
        return verdict_strips
    from sipdoctor.trace.emulate import is_emulated_protected

    def strips(hop: Hop) -> bool:
        return any(is_emulated_protected(p, emulated) for p in (hop.path, hop.via or "") if p)

    return strips


def _protected_test(options: Options, env: Mapping[str, str]) -> Callable[[str], bool]:
    if options.emulated is not None:
        from sipdoctor.trace.emulate import is_emulated_protected

        emulated = options.emulated
        return lambda path: is_emulated_protected(path, emulated)
    from sipdoctor.binaries import Assumptions
    from sipdoctor.chains.context import Judge
    from sipdoctor.model import Verdict

    judge = Judge(Assumptions(target=options.target))
    path = env.get("PATH", os.defpath)
    return lambda found: judge.verdict(found, path)[0] in (Verdict.STRIPPED, Verdict.LOAD_FAILS)


def _plan(argv: Sequence[str], env: Mapping[str, str], cwd: Path, options: Options) -> tuple[Plan, str | None]:
    from sipdoctor.binaries import Assumptions
    from sipdoctor.chains.context import Judge
    from sipdoctor.chains.predict import make_context, predict_argv

    try:
        ctx = make_context(Judge(Assumptions(target=options.target)), cwd, dict(env))
        prediction = predict_argv(list(argv), ctx)
    except (SipdoctorError, OSError, ValueError) as exc:
        return Plan(), f"the process tree could not be predicted ({exc}); only the interpreters are shimmed"
    return plan_prediction(prediction, _strips(options)), None


def trace_env_hook(argv: Sequence[str], cwd: Path, *, emulate_sip: bool, skip: Sequence[str] = (),
                   notes: list[str] | None = None) -> Callable[[dict[str, str], Path], dict[str, str]]:
    """`trace --reinject`: the same preparation as `sipdoctor run`, on the traced environment (so the probe is
    among the saved variables), with the shims' events written into the trace directory."""
    from sipdoctor.reinject.report import describe
    from sipdoctor.system import host_platform
    from sipdoctor.trace.emulate import protected_paths
    from sipdoctor.trace.shim_events import LOG_NAME

    def hook(env: dict[str, str], trace_dir: Path) -> dict[str, str]:
        log = trace_dir / LOG_NAME
        log.touch(mode=0o600)
        emulated = frozenset(protected_paths()) if emulate_sip else None
        options = Options(target="macos" if emulate_sip else host_platform(), emulated=emulated,
                          skip=tuple(skip), log=str(log))
        prepared = prepare(argv, env, cwd, options)
        if notes is not None:
            notes.extend(describe(prepared))
        return prepared.env

    return hook
