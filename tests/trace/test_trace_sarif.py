"""`trace --format sarif`: a valid SARIF 2.1.0 log whose findings (about processes, not files) are notifications."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.conftest import validate_sarif
from tests.trace.trace_helpers import LINUX

pytestmark = pytest.mark.skipif(not LINUX, reason="traces real processes with LD_PRELOAD")
CPU = "import sys; sum(i * i for i in range(3_000_000))"


def test_trace_sarif_validates_and_carries_the_trace_rules(probe: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SIPDOCTOR_CACHE_DIR": str(probe.parents[2]), "NO_COLOR": "1"}
    out = tmp_path / "trace.sarif"
    script = f'env {sys.executable} -c "{CPU}"'
    done = subprocess.run([sys.executable, "-m", "sipdoctor", "trace", "--emulate-sip", "--format", "sarif", "-o",
                           out, "--", "/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    (run,) = validate_sarif(out.read_text())["runs"]
    assert run["results"] == []  # nothing of a traced process is a line of a file
    notes = run["invocations"][0]["toolExecutionNotifications"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert notes and {n["associatedRule"]["id"] for n in notes} <= rules.keys()
    assert any(rule_id.startswith("TRC") for rule_id in rules)
    assert json.loads(out.read_text())["version"] == "2.1.0"
