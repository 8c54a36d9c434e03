"""One module per command: parse nothing, decide nothing; call the domain packages and a renderer.

Light at import (heavy modules load inside the functions), so that `sipdoctor --help` stays fast.
"""
