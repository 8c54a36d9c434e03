"""Verdict cache: one JSON file in platformdirs' user cache dir, keyed by what identifies a file's contents.

Key: (path, device, inode, size, mtime_ns, sipdoctor version, assumptions). A file that fails to load is
ignored and rebuilt; writes go to a temporary file renamed into place, so readers never see half a file.
Scripts are not cached (their verdict depends on other files); the executables in their chains are.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from sipdoctor import __version__
from sipdoctor.binaries.fileinfo import FileFacts
from sipdoctor.binaries.report import Assumptions, BinaryReport

CACHE_FORMAT = 1
MAX_ENTRIES = 50_000
MAX_FILE_BYTES = 256 << 20


def default_cache_path() -> Path:
    from sipdoctor.system import cache_dir

    return cache_dir() / "verdicts.json"


def _read_regular(path: Path) -> bytes:
    """The cache file's bytes, never blocking on a FIFO or reading a device (/dev/zero) put in its place."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise OSError(f"{path}: not a regular file of at most {MAX_FILE_BYTES} bytes")
        with os.fdopen(os.dup(fd), "rb") as stream:
            return stream.read(MAX_FILE_BYTES)
    finally:
        os.close(fd)


class VerdictCache:
    """Load once, look up many, `save()` once at the end (also usable as a context manager)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_cache_path()
        self._entries = self._load()
        self._dirty = False

    def _load(self) -> dict[str, Any]:
        try:  # a corrupt file is rebuilt
            data = json.loads(_read_regular(self.path))
        except (OSError, ValueError, RecursionError):
            return {}
        valid = isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(
            data.get("entries"), dict) and data.get("version") == __version__
        return dict(data["entries"]) if valid else {}

    @staticmethod
    def key(facts: FileFacts, assume: Assumptions) -> str:
        return json.dumps([facts.path, *facts.identity, __version__, assume.to_json()], ensure_ascii=True)

    def get(self, facts: FileFacts, assume: Assumptions) -> BinaryReport | None:
        entry = self._entries.get(self.key(facts, assume))
        if entry is None:
            return None
        try:
            return BinaryReport.from_cache(entry)
        except (KeyError, TypeError, ValueError):  # an entry from a corrupt or foreign file: judge again
            return None

    def put(self, facts: FileFacts, assume: Assumptions, report: BinaryReport) -> None:
        self._entries[self.key(facts, assume)] = report.to_cache()
        self._dirty = True

    def __len__(self) -> int:
        return len(self._entries)

    def save(self) -> None:
        if not self._dirty:
            return
        entries = dict(list(self._entries.items())[-MAX_ENTRIES:])
        payload = json.dumps({"format": CACHE_FORMAT, "version": __version__, "entries": entries})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".verdicts-", dir=self.path.parent)
        except OSError:
            return  # a cache that cannot be written only costs speed next time
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(payload)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return
        self._dirty = False

    def __enter__(self) -> VerdictCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.save()
