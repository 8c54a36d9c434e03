"""A package-manager stand-in (think `pnpm run bench`): runs the project's script through /bin/sh."""

import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
shim = os.path.join(here, "shim.sh")
sys.exit(subprocess.run(["/bin/sh", "-c", f'"{shim}" "{sys.executable}" "{here}/bench.py"'], check=False).returncode)
