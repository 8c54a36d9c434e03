"""Build the traced process tree (model.py) from the probe's records and the process-table observations.

A node is one image: one executable run by one process. A process that execs shows as a chain (the new image
is drawn as a child of the old one, as the CodSpeed docs draw `/usr/bin/env -> node`). Processes are keyed by
(pid, start time), so a reused pid never merges two processes. Each node gets a state:

- profiled: the probe loaded (a load record, or a fork of a profiled image);
- stripped / ignored / load-fails: the image started with the injection variable and left no record; why is
  judged from its executable (judge.py);
- unprofiled: the image started without the variable, because an ancestor stripped it (or dropped it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from sipdoctor.model import Verdict
from sipdoctor.trace.judge import Context, judge_unloaded, shebang_interpreter
from sipdoctor.trace.model import Key, Node, State
from sipdoctor.trace.observe import ObservedImage, ObservedProcess
from sipdoctor.trace.records import Record, by_process


@dataclass
class Process:
    """The images of one process, in order, plus what the tracer saw of it."""

    key: Key
    ppid: int
    images: list[Node]
    spawned_by: Record | None = None
    observed: ObservedProcess | None = None


def _image(rec: Record, *, loaded: bool, cpu_start: int | None) -> Node:
    return Node(rec.pid, rec.start, rec.ppid, rec.path, rec.argv, loaded, rec.has_var, rec.mono_ns, rec.execfn,
                cpu_start)


def _interpreter_of(path: str) -> str:
    """Records and spawns name the exec'd file; for a script the program that ran is its interpreter (the
    script stays in argv)."""
    interpreter = shebang_interpreter(path) if path.startswith("/") else None
    return os.path.realpath(interpreter) if interpreter else path


def resolve_scripts(procs: dict[Key, Process]) -> None:
    for proc in procs.values():
        for node in proc.images:
            node.exe = _interpreter_of(node.exe)


def _same_file(a: str, b: str) -> bool:
    return a == b or os.path.realpath(a) == os.path.realpath(b)


def _same_program(exec_path: str, execfn: str) -> bool:
    if not execfn or not exec_path:
        return True
    return os.path.normpath(exec_path) == os.path.normpath(execfn) or (
        os.path.realpath(exec_path) == os.path.realpath(execfn))


def _close(images: list[Node], cpu_us: int) -> None:
    if images and images[-1].cpu_end_us is None:
        images[-1].cpu_end_us = cpu_us


def images_from_events(events: list[Record]) -> list[Node]:
    """The images one process ran, from its own records (exec attempts that failed are dropped)."""
    images: list[Node] = []
    pending: list[Record] = []  # exec calls not yet known to have failed (nested on macOS: execvp -> execve)
    for ev in events:
        if ev.kind == "fork":
            images.append(Node(ev.pid, ev.start, ev.ppid, "", (), True, True, ev.mono_ns, "", 0, from_fork=True))
        elif ev.kind == "exec":
            pending.append(ev)
        elif ev.kind == "execfail" and pending:
            pending.pop()
        elif ev.kind == "load":
            _load(images, pending, ev)
            pending.clear()
        elif ev.kind == "exit":
            _close(images, ev.cpu_us)
    if pending:
        _close(images, pending[-1].cpu_us)
        images.append(_image(pending[-1], loaded=False, cpu_start=pending[-1].cpu_us))
    return images


def _load(images: list[Node], pending: list[Record], ev: Record) -> None:
    cpu_start = 0
    if pending:
        ex = pending[-1]
        _close(images, ex.cpu_us)
        cpu_start = ex.cpu_us
        if not _same_program(ex.path, ev.execfn):  # an image without the probe exec'd this one
            images.append(_image(ex, loaded=False, cpu_start=ex.cpu_us))
            _close(images, ev.cpu_us)
            cpu_start = ev.cpu_us
    images.append(_image(ev, loaded=True, cpu_start=cpu_start))


def processes_from_records(records: list[Record]) -> dict[Key, Process]:
    procs: dict[Key, Process] = {}
    for key, events in by_process(records):
        images = images_from_events(events)
        if images:
            procs[key] = Process(key, events[0].ppid, images)
    for rec in records:
        if rec.kind != "spawn":
            continue
        child_key = (rec.child_pid, rec.child_start)
        spawned = Node(rec.child_pid, rec.child_start, rec.pid, rec.path, rec.argv, False, rec.has_var,
                       rec.mono_ns, "", 0)
        if child_key not in procs:  # the child left no record: the spawn is all we know
            procs[child_key] = Process(child_key, rec.pid, [spawned])
        elif _started_elsewhere(procs[child_key].images[0], rec.path):
            first = procs[child_key].images[0]  # the spawned program ran without the probe, then exec'd this
            spawned.cpu_end_us, spawned.t_ns = first.cpu_start_us, min(spawned.t_ns, first.t_ns)
            procs[child_key].images.insert(0, spawned)
        procs[child_key].spawned_by = rec
    return procs


def _started_elsewhere(first: Node, spawned_path: str) -> bool:
    return first.loaded and not first.from_fork and not _same_program(spawned_path, first.execfn)


# --------------------------------------------------------------------------------------------------
# Observations -> processes


def _matches(node: Node, image: ObservedImage) -> bool:
    """The observed image is this node: same file, or the node is a script the observed interpreter runs."""
    if not node.exe:
        return False
    if node.exe == image.exe or os.path.realpath(node.exe) == image.exe:
        return True
    interpreter = shebang_interpreter(node.exe) if node.exe.startswith("/") else None
    return interpreter is not None and os.path.realpath(interpreter) == image.exe


def merge_observed(procs: dict[Key, Process], observed: dict[Key, ObservedProcess]) -> None:
    """Add what polling saw: processes with no record at all, images the records missed, environments."""
    for key, obs in observed.items():
        proc = procs.get(key)
        if proc is None:
            if not obs.images:
                continue
            proc = procs[key] = Process(key, obs.ppid, [])
        proc.observed = obs
        cursor = 0
        for image in obs.images:
            cursor = _merge_image(proc, obs, image, cursor)
        if proc.images and proc.images[-1].cpu_end_us is None:
            proc.images[-1].cpu_end_us = round(obs.cpu_seconds * 1e6)


def _merge_image(proc: Process, obs: ObservedProcess, image: ObservedImage, cursor: int) -> int:
    """Match one observed image to the process's images from `cursor` on (images only move forward);
    return where the next observed image may match."""
    found = next((i for i in range(cursor, len(proc.images)) if _matches(proc.images[i], image)), None)
    if found is not None:
        node = proc.images[found]
        node.secure = image.secure if node.secure is None else node.secure
        node.has_var = image.env_has_var if node.has_var is None else node.has_var
        node.argv = node.argv or image.argv
        return found
    if not image.exe and proc.images:  # a zombie seen without its executable: the records know better
        return cursor
    at = sum(1 for n in proc.images if n.t_ns <= image.first_seen_ns)  # in time order, e.g. before an exec
    node = Node(obs.pid, obs.start, obs.ppid, image.exe or f"[{image.name}]", image.argv, False,
                image.env_has_var, image.first_seen_ns, "", round(image.cpu_at_first_sight * 1e6) if at else 0,
                secure=image.secure)
    if at < len(proc.images):
        node.cpu_end_us = proc.images[at].cpu_start_us
    else:
        _close(proc.images, node.cpu_start_us or 0)
    proc.images.insert(at, node)
    return at


def fill_fork_images(procs: dict[Key, Process]) -> None:
    """A forked child runs its parent's image: copy the executable and arguments over."""
    by_pid = _by_pid(procs)
    for proc in sorted(procs.values(), key=lambda p: p.key[1]):
        first = proc.images[0]
        parent = _parent_process(proc, procs, by_pid) if first.from_fork and not first.exe else None
        if parent is not None and parent.images:
            anchor = _image_at(parent, first.t_ns)
            first.exe, first.argv = anchor.exe, anchor.argv


# --------------------------------------------------------------------------------------------------
# Linking


def _image_at(proc: Process, t_ns: int) -> Node:
    current = proc.images[0]
    for node in proc.images:
        if node.t_ns <= t_ns:
            current = node
    return current


def _by_pid(procs: dict[Key, Process]) -> dict[int, list[Process]]:
    index: dict[int, list[Process]] = {}
    for key, proc in procs.items():
        index.setdefault(key[0], []).append(proc)
    return index


def _parent_process(proc: Process, procs: dict[Key, Process], by_pid: dict[int, list[Process]]
                    ) -> Process | None:
    """The spawning process, or the latest process with the parent's pid that started no later."""
    if proc.spawned_by is not None:
        return procs.get(proc.spawned_by.key)
    candidates = [p for p in by_pid.get(proc.ppid, []) if p.key[1] <= proc.key[1] and p is not proc]
    return max(candidates, key=lambda p: p.key[1]) if candidates else None


def link(procs: dict[Key, Process], root_pid: int, tracer_pid: int) -> list[Node]:
    """Attach every process's first image below its parent's image; return the roots (the command first).

    An orphan first seen after its parent died has the tracer (the subreaper) as parent: it descends from the
    command, so it is attached below the command's process."""
    roots: list[Node] = []
    root_proc = next((p for k, p in procs.items() if k[0] == root_pid), None)
    by_pid = _by_pid(procs)
    for proc in sorted(procs.values(), key=lambda p: (p.key[1], p.images[0].t_ns)):
        for older, newer in zip(proc.images, proc.images[1:], strict=False):
            older.children.append(newer)
        parent = _parent_process(proc, procs, by_pid) if proc.key[0] != root_pid else None
        if parent is None and proc.ppid == tracer_pid and proc is not root_proc:
            parent = root_proc
        first = proc.images[0]
        if parent is None:
            roots.append(first)
            continue
        anchor = _image_at(parent, proc.spawned_by.mono_ns if proc.spawned_by else first.t_ns)
        if not first.loaded and _same_file(first.exe, anchor.exe) and first.argv == anchor.argv:
            first.from_fork = True  # a copy of the parent, seen between fork and exec, or a subshell
        anchor.children.append(first)
    roots.sort(key=lambda n: n.pid != root_pid)
    return roots


def collapse_forks(nodes: list[Node]) -> list[Node]:
    """A fork that only exec'd is drawn as the program it exec'd (one node, as the docs draw a spawn)."""
    out = []
    for node in nodes:
        while node.from_fork and len(node.children) == 1 and node.children[0].key == node.key:
            successor = node.children[0]
            successor.cpu_start_us = node.cpu_start_us
            node = successor
        node.children = collapse_forks(node.children)
        out.append(node)
    return out


# --------------------------------------------------------------------------------------------------
# States and CPU


def judge(node: Node, parent: Node | None, ctx: Context) -> None:
    for n, p in _with_parents(node, parent):
        _judge_one(n, p, ctx)


def _with_parents(node: Node, parent: Node | None) -> Iterator[tuple[Node, Node | None]]:
    yield node, parent
    for child in node.children:
        yield from _with_parents(child, node)


def _judge_one(node: Node, parent: Node | None, ctx: Context) -> None:
    node.cpu_seconds = _cpu(node)
    if node.loaded:
        node.state, node.cause = State.PROFILED, None
        return
    if node.from_fork and parent is not None:  # a fork copy runs its parent's image, in its parent's state
        _inherit(node, parent)
        return
    has_var = node.has_var if node.has_var is not None else _inherits_var(parent)
    if not has_var:
        node.state = State.UNPROFILED
        node.culprit = _culprit(parent)
        node.cause = _unprofiled_cause(node, parent)
        return
    verdict = judge_unloaded(node.exe, node.secure, ctx)
    node.state = {Verdict.STRIPPED: State.STRIPPED, Verdict.IGNORED: State.IGNORED}.get(
        verdict.verdict, State.LOAD_FAILS)
    node.cause = verdict.cause


def _inherit(node: Node, parent: Node) -> None:
    if parent.state in (State.STRIPPED, State.UNPROFILED):
        node.state, node.culprit = State.UNPROFILED, _culprit(parent)
        node.cause = _unprofiled_cause(node, parent)
    else:
        node.state, node.cause = parent.state, parent.cause


def _inherits_var(parent: Node | None) -> bool:
    return parent is None or parent.state in (State.PROFILED, State.IGNORED, State.LOAD_FAILS)


def _culprit(parent: Node | None) -> Node | None:
    if parent is None:
        return None
    if parent.state == State.STRIPPED:
        return parent
    return parent.culprit if parent.state == State.UNPROFILED else None


def _unprofiled_cause(node: Node, parent: Node | None) -> str:
    culprit = node.culprit
    if culprit is not None:
        return f"the variable was removed by {culprit.exe or '?'} (pid {culprit.pid}), an ancestor"
    starter = parent.exe if parent is not None else "the parent"
    return f"started without the injection variable by {starter}"


def _cpu(node: Node) -> float:
    if node.cpu_end_us is None:
        return 0.0
    return max(0, node.cpu_end_us - (node.cpu_start_us or 0)) / 1e6


def build_tree(records: list[Record], observed: dict[Key, ObservedProcess], *, root_pid: int, tracer_pid: int,
               ctx: Context) -> list[Node]:
    procs = processes_from_records(records)
    fill_fork_images(procs)
    merge_observed(procs, observed)
    resolve_scripts(procs)
    roots = collapse_forks(link(procs, root_pid, tracer_pid))
    for root in roots:
        judge(root, None, ctx)
    return roots
