"""Write the report of an unexpected error, so the user sees one line and can attach the rest."""

from __future__ import annotations

import datetime
import platform
import sys
import traceback
from pathlib import Path

from sipdoctor import __version__


def write_report(exc: BaseException, argv: list[str]) -> Path | str:
    from platformdirs import user_cache_dir

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "\n".join([
        f"sipdoctor {__version__} on Python {sys.version.split()[0]}, {platform.platform()}",
        f"argv: {argv!r}",
        "",
        "".join(traceback.format_exception(exc)),
    ])
    try:
        folder = Path(user_cache_dir("sipdoctor")) / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{stamp}.txt"
        path.write_text(text, "utf-8")
    except OSError:
        sys.stderr.write(text)
        return "standard error (the cache directory was not writable)"
    return path
