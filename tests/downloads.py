"""Everything the tests download: pinned versions, one cache root, one download at a time, failures remembered.

- Root: $SIPDOCTOR_TEST_CACHE, else `.pytest_cache/d/sipdoctor-downloads` in the checkout: never the user's own
  cache or configuration directory.
- One download at a time per item: an exclusive lock file, so pytest-xdist workers wait for each other
  instead of racing on the same directory.
- A failed download is remembered for the rest of the test session (`<name>.failed`, stamped with the
  session's id), so that offline every other test that needs it skips at once instead of retrying.
- The tests that download are marked `network` (tests/conftest.py): `pytest -m "not network"` runs offline.
In CI (CI set) a failed download fails the run; elsewhere it skips.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
SESSION_VAR = "SIPDOCTOR_TEST_SESSION"

PINS = {
    "pnpm": "pnpm@12.23.0",
    "pnpm9": "pnpm@9.15.9",
    "vitest": "vitest@3.2.7",
    "tinybench": "tinybench@2.9.0",
    "yarn1": "yarn@1.22.22",
}
"""Every npm package the tests install, at one exact version each."""


class DownloadFailed(Exception):
    """An install or download that did not succeed; the message says why."""


def cache_root() -> Path:
    root = Path(os.environ.get("SIPDOCTOR_TEST_CACHE") or REPO / ".pytest_cache" / "d" / "sipdoctor-downloads")
    root.mkdir(parents=True, exist_ok=True)
    return root


def unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def locked(name: str) -> Iterator[None]:
    with open(cache_root() / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _failure_file(name: str) -> Path:
    return cache_root() / f"{name}.failed"


def remembered_failure(name: str) -> str | None:
    try:
        session, _, message = _failure_file(name).read_text().partition("\n")
    except OSError:
        return None
    return message if session == os.environ.get(SESSION_VAR) else None


def provide(name: str, ready: Callable[[], bool], install: Callable[[], None]) -> None:
    """Make `ready()` true by running `install()` once (under the lock), or skip/fail the calling test."""
    if ready():
        return
    failed = remembered_failure(name)
    if failed is not None:
        unavailable(f"{name} is unavailable (failed earlier in this session): {failed}")
    with locked(name):
        if ready():
            return
        failed = remembered_failure(name)
        if failed is None:
            try:
                install()
            except DownloadFailed as exc:
                failed = str(exc)
                _failure_file(name).write_text(f"{os.environ.get(SESSION_VAR)}\n{failed}")
            else:
                if not ready():
                    failed = "the install finished but left nothing usable"
    if failed is not None:
        unavailable(f"{name} could not be installed: {failed}")
