"""The test suite's own download helper: a failure is remembered for the session, installs run once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import downloads


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SIPDOCTOR_TEST_CACHE", str(tmp_path))
    monkeypatch.setenv(downloads.SESSION_VAR, "session-a")
    monkeypatch.setattr(downloads, "IN_CI", False)
    return tmp_path


def test_a_failed_download_is_tried_once_per_session(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def install() -> None:
        calls.append("x")
        raise downloads.DownloadFailed("offline")

    for _ in range(3):
        with pytest.raises(pytest.skip.Exception, match="offline"):
            downloads.provide("tool", lambda: False, install)
    assert calls == ["x"]
    monkeypatch.setenv(downloads.SESSION_VAR, "session-b")  # a new session tries again
    with pytest.raises(pytest.skip.Exception):
        downloads.provide("tool", lambda: False, install)
    assert calls == ["x", "x"]


def test_a_ready_tool_is_not_installed_again(root: Path) -> None:
    done: list[int] = []
    downloads.provide("tool", lambda: bool(done), lambda: done.append(1))
    downloads.provide("tool", lambda: bool(done), lambda: done.append(1))
    assert done == [1]


def test_every_npm_package_is_pinned_to_one_exact_version() -> None:
    import re

    assert all(re.fullmatch(r"[a-z0-9-]+@\d+\.\d+\.\d+", spec) for spec in downloads.PINS.values())


def test_tool_caches_are_not_in_home() -> None:
    import os

    for variable in ("npm_config_cache", "PIP_CACHE_DIR", "ZIG_GLOBAL_CACHE_DIR"):
        assert not os.environ[variable].startswith(str(Path.home() / ".cache")) or "SIPDOCTOR_TEST_CACHE" in os.environ
