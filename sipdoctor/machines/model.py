"""ModelMachine: a Mac known from shipped data, never from this computer's files.

A model holds one Entry per program path: Apple's programs from the system-binary inventory, then the rows of
data/macos-machines.tsv for that machine (Homebrew, runner tools...). A row's verdict is written for SIP on and
SIP off; an Apple binary's follows docs/machines.md "SIP off": stripped with SIP on; with SIP off ignored on Apple
Silicon (arm64e cannot load a plain arm64 library) and profiled on Intel.
"""

from __future__ import annotations

import csv
import functools
import os
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources

from sipdoctor.machines.base import HEAD_BYTES, Judged, Machine, SipState, executable_in
from sipdoctor.machines.catalog import LAYOUTS, TOOL_CACHE, ModelSpec
from sipdoctor.model import Reason, Verdict

NODE_TOOL_TARGETS = {"npx": "npm/bin/npx-cli.js", "corepack": "corepack/dist/corepack.js"}
"""Where Homebrew's and nodejs.org's npx and corepack links point, next to npm's npm-cli.js."""
DEVELOPER_DIRS = ("/Library/Developer/CommandLineTools/", "/Applications/Xcode")


@dataclass(frozen=True)
class Entry:
    """One program at one path on a modelled machine."""

    path: str
    kind: str  # "mach-o" | "script" | "apple-shim" | "apple-stub" | "apple-script" | "link"
    sip_on: Verdict
    sip_off: Verdict
    detail: str  # signature facts, or the #! line of a script
    source: str
    target: str | None = None  # a link's target
    inferred: bool = False
    protected: bool = False
    text: str = ""
    """A script's whole text when the data holds it (a wrapper the predictor follows past its #! line)."""

    @property
    def shebang_line(self) -> str | None:
        if self.kind != "script" or not self.detail.startswith("#!/"):
            return None
        return self.detail.split(" (", 1)[0].split(";", 1)[0].strip()


def _verdicts(row: Mapping[str, str]) -> tuple[Verdict, Verdict]:
    """(SIP on, SIP off). Rows of Macs with SIP on say `sip_off=n/a`: then SIP off follows docs/machines.md
    "SIP off" (inferred): a protected Apple binary is ignored on Apple Silicon (arm64e) and profiled on Intel;
    a hardened binary (ignored with SIP on) is profiled, library validation no longer applying."""
    parts = dict(p.split("=", 1) for p in row["expected_verdict"].split(";"))
    on = Verdict(parts["sip_on"])
    off = parts.get("sip_off", "n/a")
    if off != "n/a":
        return on, Verdict(off)
    intel = "intel" in row["machine"] or "x64" in row["machine"]
    if on == Verdict.STRIPPED and row["protected"] == "yes":
        return on, Verdict.PROFILED if intel else Verdict.IGNORED
    return on, Verdict.PROFILED if on == Verdict.IGNORED else on


def _read_rows(resource: str) -> list[dict[str, str]]:
    text = resources.files("sipdoctor.data").joinpath(resource).read_text("utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


@functools.cache
def model_rows() -> tuple[dict[str, str], ...]:
    return tuple(_read_rows("macos-machines.tsv") + _read_rows("macos-machines-extra.tsv"))


def is_optional(row: Mapping[str, str]) -> bool:
    """A row for one way of installing a tool (nvm, setup-node, uv...), not on the model by default."""
    invoked = row["path"].split(" -> ")[0]
    return invoked.startswith(("~", "<")) or "<" in invoked or any(
        word in row["name"] for word in ("if installed", "nodejs.org .pkg", "action-setup"))


def _names(row: Mapping[str, str], invoked: str) -> list[str]:
    first = posixpath.basename(invoked)
    listed = row["name"].split(" (", 1)[0]
    extra = [n.strip() for n in listed.split("/")] if "/" in listed else []
    return [first, *(n for n in extra if n and n != first)]


def entries_of_row(row: Mapping[str, str], home: str = "~") -> list[Entry]:
    """The entries one data row gives: the program, its link target, its siblings (npx next to npm)."""
    invoked, _, target = (p.strip() for p in row["path"].partition(" -> "))
    invoked = invoked.replace("~", home, 1) if invoked.startswith("~") else invoked
    on, off = _verdicts(row)
    kind = row["kind"]
    detail = row["shebang_or_signature"]
    inferred = any(w in (detail + row["source"]).lower() for w in ("inferred", "not verified"))
    text = (row.get("script_text") or "").replace("\\n", "\n")  # one TSV field: newlines written as \n
    base = Entry(invoked, kind, on, off, detail, row["source"], inferred=inferred, protected=row["protected"] == "yes",
                 text=text)
    linked = kind in ("mach-o", "script", "symlink") and target.startswith(("/", "../"))
    out: list[Entry] = []
    for name in _names(row, invoked):
        path = posixpath.join(posixpath.dirname(invoked), name)
        real = _sibling_target(target, name, invoked) if linked else None
        if real is None:
            out.append(replace(base, path=path))
            continue
        real = posixpath.normpath(posixpath.join(posixpath.dirname(path), real))
        out.append(replace(base, path=path, kind="link", target=real))
        out.append(replace(base, path=real, kind="script" if kind == "script" else "mach-o"))
    return out


def _sibling_target(target: str, name: str, invoked: str) -> str | None:
    if name == posixpath.basename(invoked):
        return target
    if name in NODE_TOOL_TARGETS and "node_modules/" in target:
        return target.split("node_modules/", 1)[0] + "node_modules/" + NODE_TOOL_TARGETS[name]
    return None


def _implied_interpreters(entries: Iterable[Entry]) -> list[Entry]:
    """A script row with an absolute interpreter vouches for that interpreter (pip3 -> Homebrew python)."""
    out = []
    for entry in entries:
        line = entry.shebang_line
        if line is None or line.startswith("#!/usr/bin/env"):
            continue
        interpreter = line[2:].split()[0]
        out.append(Entry(interpreter, "mach-o", entry.sip_on, entry.sip_off,
                         f"the interpreter {entry.path}'s #! names", entry.source, inferred=True))
    return out


@functools.cache
def apple_entries(arch: str) -> dict[str, Entry]:
    """Apple's programs in SIP-protected directories (the system-binary inventory), as on every Mac."""
    from sipdoctor.macos_paths import shipped_binaries

    off = Verdict.IGNORED if arch == "arm64" else Verdict.PROFILED
    kinds = {"real": "mach-o", "xcode-shim": "apple-shim", "script": "apple-script", "unknown": "mach-o"}
    return {path: Entry(path, kinds.get(shipped.kind, "mach-o"), Verdict.STRIPPED, off,
                        "Apple platform binary" if shipped.kind != "script" else "Apple script",
                        shipped.source, protected=True)
            for path, shipped in shipped_binaries().items()}


@functools.cache
def model_entries(spec: ModelSpec) -> dict[str, Entry]:
    """A model's entries, built once per run (never changed in place: with_setup copies them)."""
    return build_entries(spec, model_rows())


def build_entries(spec: ModelSpec, rows: Iterable[Mapping[str, str]]) -> dict[str, Entry]:
    entries = dict(apple_entries(spec.arch))
    own = [e for row in rows if row["machine"] == spec.name and not is_optional(row)
           for e in entries_of_row(row, spec.home)]
    for entry in own:
        if entry.protected and entry.kind == "mach-o" and entry.path in entries:
            continue  # Apple's own binary: the inventory entry already says so, with its arm64e fact
        entries[entry.path] = entry
    for entry in _implied_interpreters(own):
        entries.setdefault(entry.path, entry)
    return entries


def setup_entries(spec: ModelSpec, tool: str) -> tuple[str | None, list[Entry]]:
    """What actions/setup-<tool> puts first on a runner's PATH: (directory, entries); None for no data."""
    arch = "arm64" if spec.arch == "arm64" else "x64"
    wanted = {"node": "setup-node", "python": "setup-python", "go": "go (toolcache)",
              "pnpm": "pnpm/action-setup", "uv": "setup-uv"}.get(tool)
    if wanted is None:
        return None, []
    rows = [r for r in model_rows() if r["machine"] == spec.name and wanted in r["name"]]
    entries = [e for r in rows for e in entries_of_row(r, spec.home)]
    directory = {"node": f"{TOOL_CACHE}/node/<ver>/{arch}/bin", "python": f"{TOOL_CACHE}/Python/<ver>/{arch}/bin",
                 "go": f"{TOOL_CACHE}/go/<ver>/{arch}/bin",
                 "pnpm": f"{spec.home}/setup-pnpm/node_modules/.bin",
                 "uv": f"{TOOL_CACHE}/uv/<ver>/{'aarch64' if spec.arch == 'arm64' else 'x86_64'}"}[tool]
    return directory, entries


class ModelMachine(Machine):
    kind = "model"
    target = "macos"

    def __init__(self, spec: ModelSpec, shared: tuple[str, ...] = (), sip: str | None = None,
                 entries: dict[str, Entry] | None = None, path_prefix: tuple[str, ...] = ()) -> None:
        super().__init__(shared)
        self.spec = spec
        self.name, self.label, self.arch, self.homebrew = spec.name, spec.label, spec.arch, spec.homebrew
        self.entries = entries if entries is not None else model_entries(spec)
        self.path_prefix = path_prefix
        state = sip or spec.sip
        assumed = "off" if state == "off" else "on"
        evidence = ("given as off (--sip off, or a recorded csrutil status)" if sip == "off" else
                    "GitHub documents nothing; reported disabled on current images, enabled in some VMs "
                    "(docs/machines.md \"SIP on GitHub's runners\")" if state == "unknown" and spec.is_runner
                    else f"the model's SIP state ({state})")
        self.sip = SipState(state, assumed, evidence)

    def with_setup(self, tool: str) -> ModelMachine:
        """This runner after actions/setup-<tool>: its tool cache directory first on PATH."""
        directory, added = setup_entries(self.spec, tool)
        if directory is None:
            return self
        entries = {**self.entries, **{e.path: e for e in added}}
        prefix = (directory, *(d for d in self.path_prefix if d != directory))
        machine = ModelMachine(self.spec, self.shared, self.sip.state, entries, prefix)
        machine.sip, machine.note = self.sip, self.note
        return machine

    def with_layout(self, name: str) -> ModelMachine:
        """This developer Mac with a version manager's layout first on PATH (docs/machines.md "Layouts")."""
        layout = LAYOUTS[name]
        home = self.spec.home

        def expand(path: str) -> str:
            return path.replace("~", home, 1) if path.startswith("~") else path

        rows = [r for r in model_rows() if r["machine"] == self.spec.name and r["name"] in layout.rows]
        added = [e for row in rows for e in entries_of_row(row, home)]
        added += [Entry(expand(m), "marker", Verdict.UNKNOWN, Verdict.UNKNOWN, f"{name} is installed", "layout")
                  for m in layout.markers]
        prefix = (*(expand(d) for d in layout.path), *self.path_prefix)
        machine = ModelMachine(self.spec, self.shared, self.sip.state, {**self.entries, **{e.path: e for e in added}},
                               prefix)
        machine.sip, machine.note = self.sip, self.note
        machine.name, machine.label = f"{self.name}+{name}", f"{self.label[:-len(' (model)')]} and {name} (model)" \
            if self.label.endswith(" (model)") else f"{self.label} and {name}"
        return machine

    def with_homebrew_bash(self) -> ModelMachine:
        """This machine after `brew install bash`, which CodSpeedHQ/action's runner does on macOS when the first
        bash on PATH is not ad-hoc signed (docs/machines.md "CodSpeed")."""
        if self.homebrew is None:
            return self
        dev = "dev-arm64-homebrew" if self.arch == "arm64" else "dev-intel-homebrew"
        row = next(r for r in model_rows() if r["machine"] == dev and r["name"].startswith("bash (Homebrew"))
        prefix = "/opt/homebrew" if self.arch == "arm64" else "/usr/local"
        added = [replace(e, path=e.path.replace(prefix, self.homebrew, 1)) for e in entries_of_row(row)]
        machine = ModelMachine(self.spec, self.shared, self.sip.state, {**self.entries, **{e.path: e for e in added}},
                               self.path_prefix)
        machine.sip, machine.note = self.sip, self.note
        return machine

    @property
    def default_path(self) -> str:
        return ":".join((*self.path_prefix, *self.spec.path))

    def environment(self, host_env: Mapping[str, str]) -> dict[str, str]:
        env = {"PATH": self.default_path, "HOME": self.spec.home, "SHELL": "/bin/zsh"}
        if self.spec.is_runner:
            env.update({"SHELL": "/bin/bash", "CI": "true", "GITHUB_ACTIONS": "true",
                        "RUNNER_TOOL_CACHE": TOOL_CACHE})
        return env

    # -- the boundary --------------------------------------------------------------------------------------
    def resolve(self, name: str, env_path: str) -> list[str]:
        if "/" in name:
            return [name] if self.is_file(name) else []
        matches: list[str] = []
        for directory in env_path.split(":"):
            candidate = posixpath.join(directory or ".", name)
            if self.is_shared(candidate):
                candidate = executable_in(directory, name) or ""
            elif self._entry(candidate) is None:
                candidate = ""
            if candidate and candidate not in matches:
                matches.append(candidate)
        return matches

    def _entry(self, path: str) -> Entry | None:
        found = self.entries.get(posixpath.normpath(path))
        if found is None and path.startswith(DEVELOPER_DIRS) and self.homebrew is not None:
            return Entry(path, "mach-o", Verdict.UNKNOWN, Verdict.UNKNOWN,
                         "an Xcode or Command Line Tools program; its signature is not in the model",
                         "docs/machines.md \"Developer Mac\"", inferred=True)
        return found

    def realpath(self, path: str) -> str:
        if self.is_shared(path):
            return self.shared_realpath(path)
        seen = 0
        entry = self._entry(path)
        while entry is not None and entry.kind == "link" and entry.target and seen < 40:
            path, seen = entry.target, seen + 1
            entry = self._entry(path)
        return path

    def is_file(self, path: str) -> bool:
        if self.is_shared(path):
            return os.path.isfile(path)
        return self._entry(path) is not None

    def is_dir(self, path: str) -> bool:
        if self.is_shared(path):
            return os.path.isdir(path)
        prefix = posixpath.normpath(path).rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.entries)

    def read_head(self, path: str, limit: int = HEAD_BYTES) -> bytes | None:
        from sipdoctor.machines.host import read_head

        if self.is_shared(path):
            return read_head(path, limit)
        entry = self._entry(self.realpath(path))
        if entry is not None and entry.text:
            return entry.text.encode()[:limit]
        line = entry.shebang_line if entry is not None else None
        return (line + "\n").encode()[:limit] if line else None

    def known_verdict(self, path: str) -> Judged | None:
        if self.is_shared(path):
            return None  # the project's own file: the binary judge reads it (a Linux build says nothing of a Mac)
        entry = self._entry(self.realpath(path)) or self._entry(path)
        if entry is None:
            return Verdict.UNKNOWN, (Reason("not-on-machine", f"{path} does not exist on {self.label}"),)
        return self._judge_entry(path, entry)

    def host_file(self, path: str) -> str:
        return path

    def _judge_entry(self, path: str, entry: Entry) -> Judged:
        verdict = entry.sip_off if self.sip.assumed == "off" else entry.sip_on
        reasons = [self._reason(path, entry, verdict)]
        if entry.inferred:
            reasons.append(Reason("inferred", "this verdict rests on an inference, not on a binary checked "
                                              "on a Mac (docs/machines.md)"))
        if self.sip.state == "unknown" and entry.sip_off != entry.sip_on:
            reasons.append(Reason("sip-unknown", f"SIP is unknown on {self.label}: with SIP on {path} is "
                                                 f"{entry.sip_on.value}, with SIP off it is {entry.sip_off.value}"
                                                 f"{_off_why(entry, self.arch)}"))
        return verdict, tuple(reasons)

    def _reason(self, path: str, entry: Entry, verdict: Verdict) -> Reason:
        if entry.protected and verdict == Verdict.STRIPPED:
            return Reason("sip-protected-path", f"{path} is in a SIP-protected directory on {self.label}; "
                                                f"{entry.detail} ({entry.source})")
        if entry.protected and verdict == Verdict.IGNORED:
            return Reason("arm64e-library", f"with SIP off, {path} runs as arm64e and cannot load a plain "
                                            "arm64 library: it runs without it, its children keep the variable")
        inferred = "; an inference, not checked on a Mac" if entry.inferred else ""
        return Reason("machine-model", f"{path} on {self.label}: {entry.detail} ({entry.source}{inferred})")


def _off_why(entry: Entry, arch: str) -> str:
    if entry.protected and arch == "arm64":
        return " (Apple's arm64e binary cannot load a plain arm64 library; its children keep the variable)"
    return ""
