"""Write the report of an unexpected error, so the user sees one line and can attach the rest."""

from __future__ import annotations

import datetime
import os
import platform
import sys
import traceback
from pathlib import Path

from sipdoctor import __version__


def _unique(folder: Path, stem: str) -> Path:
    """A new file: two crashes in the same second (two processes, or a retry loop) never overwrite each other."""
    for n in range(1000):
        path = folder / (f"{stem}.txt" if n == 0 else f"{stem}-{n}.txt")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(folder / f"{stem}.txt")


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
        path = _unique(folder, f"crash-{stamp}")
        path.write_text(text, "utf-8")
    except OSError:
        sys.stderr.write(text)
        return "standard error (the cache directory was not writable)"
    return path
