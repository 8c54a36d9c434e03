"""sipdoctor: find where macOS SIP and friends hide processes from an injected profiler."""

__version__ = "0.1.0"
