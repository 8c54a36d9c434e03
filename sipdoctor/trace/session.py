"""One traced run, end to end: probe, command, records, observations, tree."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from sipdoctor.system import host_platform
from sipdoctor.trace.build import build_probe
from sipdoctor.trace.compare import differences, macos_protects, predicted_states
from sipdoctor.trace.emulate import protected_paths
from sipdoctor.trace.judge import Context
from sipdoctor.trace.model import Node, State, TraceResult
from sipdoctor.trace.records import Record, assign_starts, read_records
from sipdoctor.trace.runner import EnvHook, RunOutcome, run_traced
from sipdoctor.trace.shim_events import LOG_NAME, ShimEvent, read_events
from sipdoctor.trace.tree import build_tree


def run_trace(argv: Sequence[str], *, emulate_sip: bool = False, probe: Path | None = None,
              env: Mapping[str, str] | None = None, compare: bool = False,
              stdout_fd: int | None = None, env_hook: EnvHook | None = None) -> TraceResult:
    """Run argv under the probe and return its tree; the command's stdio is the caller's. With compare, the
    prediction for argv (sipdoctor.chains; as on macOS under --emulate-sip) is checked against the trace.
    env_hook changes the command's environment (trace --reinject); the shims' events are then read too."""
    probe = build_probe() if probe is None else probe
    outcome = run_traced(argv, probe, emulate_sip=emulate_sip, base_env=env, stdout_fd=stdout_fd,
                         env_hook=env_hook)
    try:
        parsed = read_records(outcome.trace_dir)
        events = read_events(outcome.trace_dir / LOG_NAME) if env_hook is not None else None
    finally:
        _remove(outcome.trace_dir)
    outcome.observer.account(pid for r in parsed.records for pid in (r.pid, r.child_pid) if pid > 0)
    ctx = Context(emulated=frozenset(protected_paths()) if emulate_sip else None)
    known: dict[int, list[int]] = {}
    for pid, start in outcome.observer.processes:
        known.setdefault(pid, []).append(start)
    known.setdefault(outcome.root_pid, []).append(outcome.root_start)
    records = assign_starts([*parsed.records, _root_spawn(outcome, argv)], known, os.sysconf("SC_CLK_TCK"))
    roots = build_tree(records, outcome.observer.processes, root_pid=outcome.root_pid,
                       tracer_pid=outcome.tracer_pid, ctx=ctx)
    result = TraceResult(list(argv), outcome.exit_code, roots, _missed(outcome.observer.missed_estimate, roots),
                         malformed_records=parsed.malformed, emulate_sip=emulate_sip, incomplete=parsed.incomplete)
    if events is not None:
        result.shim_events = sorted(events, key=lambda e: e.clock_ns)
        attach_shim_events(result, result.shim_events)
    if compare:
        target = "macos" if emulate_sip else host_platform()
        predicted = predicted_states(argv, target, os.environ if env is None else env, Path.cwd())
        protected = macos_protects(ctx.emulated, host_platform())
        result.prediction_differences = (None if predicted is None
                                         else differences(predicted, result.nodes(), protected))
    return result


def _remove(trace_dir: Path) -> None:
    """The records directory, or whatever the command left in its place (a file, a link)."""
    if trace_dir.is_symlink() or (trace_dir.exists() and not trace_dir.is_dir()):
        trace_dir.unlink(missing_ok=True)
    else:
        shutil.rmtree(trace_dir, ignore_errors=True)


def _missed(estimate: int | None, roots: list[Node]) -> int | None:
    """Only a process without the probe can start a child that neither polling nor a record sees: when every
    process of the tree loaded it (or ignored it and passed it on), nothing relevant escaped, whatever the
    pid counter says (it counts threads and unrelated processes too)."""
    pending = list(roots)
    while pending:
        node = pending.pop()
        if node.state not in (State.PROFILED, State.IGNORED):
            return estimate
        pending.extend(node.children)
    return 0


def _root_spawn(outcome: RunOutcome, argv: Sequence[str]) -> Record:
    """The tracer's own spawn of the command, written as the probe would have written it."""
    return Record("spawn", outcome.tracer_pid, 0, 0, 0, outcome.spawn_ns, has_var=True, path=outcome.program,
                  argv=tuple(argv), argc=len(argv), child_pid=outcome.root_pid, child_start=outcome.root_start)


def attach_shim_events(result: TraceResult, events: Sequence[ShimEvent]) -> None:
    """Each event belongs to the first image its process ran after it (the shim execs in place)."""
    by_pid: dict[int, list[Node]] = {}
    previous: dict[int, Node] = {}  # id(image) -> the image its process ran before it
    for node in result.nodes():
        by_pid.setdefault(node.pid, []).append(node)
        for child in node.children:
            if child.pid == node.pid:
                previous[id(child)] = node
    for event in events:
        later = [n for n in by_pid.get(event.pid, []) if n.t_ns >= event.clock_ns and n.shim is None]
        if not later:
            continue
        target = min(later, key=lambda n: n.t_ns)
        target.shim = event
        before = previous.get(id(target))
        if before is not None and not before.loaded and os.path.basename(before.exe) == event.name:
            before.is_shim = True  # the shim's own image, seen by the observer before its exec
