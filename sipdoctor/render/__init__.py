"""Renderers: pure functions from results to text or Rich renderables."""


def utf8_text(text: str) -> str:
    """Text that encodes as UTF-8: a file name that is not UTF-8 reaches Python with its undecodable bytes as
    lone surrogates (os.fsdecode); they become U+FFFD, so that a JSON report stays valid UTF-8."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
