"""`sipdoctor check --fix` and `--diff`: write the plan's file edits into the project, safely.

Each edit changes exactly the text it names (sipdoctor.sources.edits keeps every other byte: line endings, BOM, final
newline). Only files inside the project are touched; a read-only file, or one whose owner cannot be kept, is
refused and left as it is; every write goes to a temporary file in the same directory that takes the file's
mode, owner and group before it replaces the file in one rename. An edit already made changes nothing. Before a
file is first changed its bytes are saved in the user cache directory, and the undo printed for it is a `cp -p`
of that copy (or `rm` of a file the fix created): it restores the file byte for byte.
"""

from __future__ import annotations

import difflib
import os
import shlex
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sipdoctor.model import FileEdit
from sipdoctor.sources import edits

READ_LIMIT = 4 * 1024 * 1024


class Refused(Exception):
    """This edit cannot be made safely; the message says why (the file is left as it is)."""


@dataclass(frozen=True)
class EditOutcome:
    edit: FileEdit
    applied: bool
    note: str
    """What was done, or why nothing was done."""
    undo: str | None = None
    """A shell command that restores the file as it was before this run changed it."""


@dataclass
class FixInterrupted(Exception):
    """Ctrl-C while writing: the outcomes of the edits made before it (each write is whole or not at all)."""

    outcomes: list[EditOutcome] = field(default_factory=list)


def apply_edits(root: Path, planned: Iterable[FileEdit], backups: Path | None = None) -> list[EditOutcome]:
    """Make each edit in turn. Raises FixInterrupted (with what was done) on Ctrl-C."""
    session = _Session(root, backups or _backup_dir())
    outcomes: list[EditOutcome] = []
    try:
        for edit in planned:
            outcomes.append(session.apply(edit))
    except KeyboardInterrupt:
        raise FixInterrupted(outcomes) from None
    return outcomes


def diff(root: Path, planned: Iterable[FileEdit]) -> tuple[str, list[str]]:
    """The edits as one unified diff (nothing is written), and why any edit could not be included."""
    current: dict[Path, tuple[str, bytes, bytes]] = {}
    refused: list[str] = []
    for edit in planned:
        try:
            path = _target(root, edit)
            name, before, now = current.get(path) or (edit.file, *(2 * (_read(path),)))
            current[path] = (name, before, edits.apply(now, edit))
        except (Refused, edits.EditRefused, UnicodeDecodeError) as exc:
            refused.append(f"{edit.file}: {exc}")
    chunks = [_unified(name, before, after) for name, before, after in current.values() if before != after]
    return "".join(chunks), refused


def _unified(name: str, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class _Session:
    def __init__(self, root: Path, backups: Path) -> None:
        self.root, self.backups = root, backups
        self.undo: dict[Path, str] = {}

    def apply(self, edit: FileEdit) -> EditOutcome:
        try:
            path = _target(self.root, edit)
            before = _read(path)
            after = edits.apply(before, edit)
            if after == before:
                return EditOutcome(edit, False, f"{edit.file}: already done ({edit.describe()})")
            _check_writable(path)
            if path not in self.undo:
                self.undo[path] = self._save(path, before)
            _write_atomically(path, after)
        except (Refused, edits.EditRefused) as exc:
            return EditOutcome(edit, False, f"{edit.file}: not changed, {exc}")
        except UnicodeDecodeError as exc:
            return EditOutcome(edit, False, f"{edit.file}: not changed, not UTF-8 text ({exc.reason})")
        except OSError as exc:
            return EditOutcome(edit, False, f"{edit.file}: not changed, {exc.strerror or exc}")
        return EditOutcome(edit, True, edit.describe(), self.undo[path])

    def _save(self, path: Path, before: bytes) -> str:
        if not path.exists():
            return f"rm {shlex.quote(str(path))}"
        copy = self.backups / path.relative_to(self.root.resolve())
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(before)
        _copy_metadata(path, copy)  # `cp -p` gives the file the copy's mode and times: the original's
        return f"cp -p {shlex.quote(str(copy))} {shlex.quote(str(path))}"


def _copy_metadata(source: Path, copy: Path) -> None:
    shutil.copystat(source, copy)
    st = source.stat()
    if os.geteuid() == 0:  # only root's `cp -p` sets the owner, and only root can set it on the copy
        os.chown(copy, st.st_uid, st.st_gid)


def _backup_dir() -> Path:
    import platformdirs

    stamp = time.strftime("%Y%m%dT%H%M%S")
    cache = os.environ.get("SIPDOCTOR_CACHE_DIR") or platformdirs.user_cache_dir("sipdoctor")
    return Path(cache) / "fix-backups" / f"{stamp}-{os.getpid()}"


def _target(root: Path, edit: FileEdit) -> Path:
    path = root / edit.file
    try:
        target = path.resolve()  # a symbolic link inside the project keeps pointing where it did
        inside = target.is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symbolic-link loop
        inside = False
    if not inside:
        raise Refused(f"{path} is outside the project")
    return target


def _read(path: Path) -> bytes:
    if not path.exists():
        return b""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise Refused("it is not a regular file")
    if st.st_size > READ_LIMIT:
        raise Refused("it is too large to edit here")
    return path.read_bytes()


def _check_writable(path: Path) -> None:
    if not path.exists():
        return
    mode = path.stat().st_mode
    if not mode & 0o222:
        raise Refused(f"it is read-only (mode {stat.S_IMODE(mode):04o}); make it writable first if you want "
                      "this change (chmod u+w), or make the change by hand")
    if not os.access(path, os.W_OK):
        raise Refused("you may not write it")


def _write_atomically(path: Path, data: bytes) -> None:
    existing = path.stat() if path.exists() else None
    owner = existing or path.parent.stat()
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".sipdoctor")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        _keep_owner(temporary, owner, existing is not None)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _keep_owner(temporary: str, owner: os.stat_result, required: bool) -> None:
    st = os.stat(temporary)
    if (st.st_uid, st.st_gid) == (owner.st_uid, owner.st_gid):
        return
    try:
        os.chown(temporary, owner.st_uid, owner.st_gid)
    except PermissionError:
        if required:
            raise Refused(f"its owner and group ({owner.st_uid}:{owner.st_gid}) could not be kept") from None


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def preview_edit(root: Path, edit: FileEdit) -> tuple[str, str] | None:
    """The file's text before and after `edit`, as apply_edits would write it; None when the edit would change
    nothing or could not be made (outside the project, unreadable, its text gone). Writes nothing."""
    try:
        before = _read(_target(root, edit))
        after = edits.apply(before, edit)
        return None if after == before else (before.decode("utf-8"), after.decode("utf-8"))
    except (Refused, edits.EditRefused, OSError, UnicodeDecodeError):
        return None
