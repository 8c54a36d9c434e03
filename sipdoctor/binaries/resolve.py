"""PATH lookup as execvp(3) and env(1) do it: every match in PATH order; the first one wins.

`resolve_command` stats `dir/name` for every PATH entry. `PathIndex` gives the same answers from one listing of
each directory, for a run that looks many names up on a long PATH (3,000 entries are not unusual in CI).
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from dataclasses import dataclass

ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR})
"""Listing errors that mean no file can be found under the entry: `stat(dir/name)` fails the same way."""


def _is_executable_file(path: str) -> bool:
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(mode) and os.access(path, os.X_OK)


def resolve_command(name: str, env_path: str) -> list[str]:
    """Every executable named `name` on env_path, in order (duplicates once); a name with a slash is a path."""
    if "/" in name:
        return [os.path.abspath(name)] if _is_executable_file(name) else []
    matches: list[str] = []
    for directory in env_path.split(os.pathsep):
        candidate = os.path.abspath(_candidate(directory, name))
        if candidate not in matches and _is_executable_file(candidate):
            matches.append(candidate)
    return matches


def _candidate(directory: str, name: str) -> str:
    return os.path.join(directory or ".", name)  # an empty entry means the current directory


def name_key(name: str) -> str:
    """What a case- and normalisation-insensitive file system (APFS, HFS+ on a Mac) compares names by."""
    return name.lower() if name.isascii() else unicodedata.normalize("NFD", name).casefold()


@dataclass(frozen=True)
class Listing:
    """One PATH directory as listed once: its entries, and their names by `name_key`.

    `keys` is None when a lookup must stat the candidate as `resolve_command` does: the directory exists but
    cannot be listed (search permission without read permission), or the PATH entry has a `..` component, which
    the lookup resolves lexically (as `os.path.abspath` does) and the listing through symlinks (as the kernel does).
    """

    directory: str  # what was listed: entry.path is directory/name
    entries: tuple[os.DirEntry[str], ...]
    keys: frozenset[str] | None


@dataclass(frozen=True)
class Search:
    """One PATH value: each entry as written with its listing, and where each listed directory sits in it."""

    directories: tuple[tuple[str, Listing], ...]
    positions: dict[str, tuple[int, ...]]  # Listing.directory -> indexes in `directories`
    unlisted: tuple[int, ...]  # entries whose listing cannot rule a name out


class PathIndex:
    """PATH directories listed once each, shared by every lookup and scan of one run.

    `resolve(name, env_path)` returns what `resolve_command` returns: the listings only rule out the entries
    where no name matches (compared by `name_key`, so a Mac's case-insensitive match is not ruled out), and
    every remaining candidate is stat'ed as before (a directory or a non-executable file named like the command
    is no match). A listing is a snapshot: files created later in the run are not seen, like the judge's other
    memos.
    """

    def __init__(self) -> None:
        self._listings: dict[str, Listing] = {}
        self._absolute: dict[str, str] = {}  # absolute PATH entry as written -> Listing.directory
        self._holders: dict[str, list[str]] = {}  # name_key -> every listed directory with such a name
        self._searches: dict[str, Search] = {}

    def listing(self, directory: str) -> Listing:
        """The listing of one PATH entry as written ("" is the current directory)."""
        key = self._absolute.get(directory)
        if key is None:
            key = self._listing_key(directory)
            if directory.startswith("/"):  # a relative entry depends on the current directory
                self._absolute[directory] = key
        found = self._listings.get(key)
        if found is None:
            found = self._listings[key] = _list(key, trusted=".." not in directory.split("/"))
            for name in found.keys or ():
                self._holders.setdefault(name, []).append(key)
        return found

    @staticmethod
    def _listing_key(directory: str) -> str:
        if ".." not in directory.split("/"):
            return os.path.abspath(directory or ".")
        return directory if directory.startswith("/") else os.path.join(os.getcwd(), directory)

    def search(self, env_path: str) -> Search:
        found = self._searches.get(env_path)
        if found is None:
            dirs = env_path.split(os.pathsep)
            pairs = tuple((d, self.listing(d)) for d in dirs)
            positions: dict[str, list[int]] = {}
            for index, (_, listing) in enumerate(pairs):
                positions.setdefault(listing.directory, []).append(index)
            found = Search(pairs, {k: tuple(v) for k, v in positions.items()},
                           tuple(i for i, (_, listing) in enumerate(pairs) if listing.keys is None))
            if all(d.startswith("/") for d in dirs):  # a relative entry depends on the current directory
                self._searches[env_path] = found
        return found

    def directories(self, env_path: str) -> tuple[tuple[str, Listing], ...]:
        """Every PATH entry as written, with its listing, in order (duplicates included)."""
        return self.search(env_path).directories

    def resolve(self, name: str, env_path: str) -> list[str]:
        if "/" in name or name in ("", ".", ".."):  # these name the PATH entry itself (or its parent)
            return resolve_command(name, env_path)
        search = self.search(env_path)
        holders = self._holders.get(name_key(name), ())
        indexes = sorted([*search.unlisted, *(i for d in holders for i in search.positions.get(d, ()))])
        matches: list[str] = []
        for index in indexes:
            candidate = os.path.abspath(_candidate(search.directories[index][0], name))
            if candidate not in matches and _is_executable_file(candidate):
                matches.append(candidate)
        return matches


def _list(directory: str, trusted: bool) -> Listing:
    try:
        with os.scandir(directory) as found:
            entries = tuple(found)
    except OSError as exc:
        return Listing(directory, (), frozenset() if exc.errno in ABSENT and trusted else None)
    return Listing(directory, entries, frozenset(name_key(e.name) for e in entries) if trusted else None)
