"""Runs the sample shapes named on the command line, one after the other (sipdoctor trace --sample)."""

import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
python, bench, pm = sys.executable, os.path.join(here, "bench.py"), os.path.join(here, "pm.py")
SHAPES = {
    "direct": [python, bench],
    "bash -c": ["/bin/bash", "-c", f'"{python}" "{bench}"'],
    "env + sh shim": ["/usr/bin/env", python, pm],
}
status = 0
for name in sys.argv[1:]:
    status |= subprocess.run(SHAPES[name], check=False).returncode
sys.exit(status)
