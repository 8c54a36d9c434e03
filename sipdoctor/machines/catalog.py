"""The shipped machine models: which Macs sipdoctor can judge a command for without being on them.

Every fact here is in docs/machines.md with its primary source. The per-program rows are
data/macos-machines.tsv (plus data/macos-machines-extra.tsv); Apple's own programs are the system-binary
inventory data/macos-system-binaries.tsv, present on every model.
"""

from __future__ import annotations

from dataclasses import dataclass

RUNNER_HOME = "/Users/runner"
DEV_HOME = "/Users/you"
TOOL_CACHE = f"{RUNNER_HOME}/hostedtoolcache"
"""RUNNER_TOOL_CACHE on GitHub's macOS images (images/macos/assets/bashrc)."""

BASE_PATH = ("/usr/local/bin", "/System/Cryptexes/App/usr/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")
"""/etc/paths on a Mac, which path_helper puts on every login shell's PATH."""


def _runner_path(arch: str, ruby: str, mono: bool) -> tuple[str, ...]:
    """The PATH of a `run:` step with no setup action (docs/machines.md "Runner PATH")."""
    tail = (f"{RUNNER_HOME}/bin", f"{RUNNER_HOME}/.yarn/bin",
            f"{RUNNER_HOME}/Library/Android/sdk/tools", f"{RUNNER_HOME}/Library/Android/sdk/platform-tools",
            "/Library/Frameworks/Python.framework/Versions/Current/bin",
            *(("/Library/Frameworks/Mono.framework/Versions/Current/Commands",) if mono else ()),
            "/usr/bin", "/bin", "/usr/sbin", "/sbin", f"{RUNNER_HOME}/.dotnet/tools")
    if arch == "arm64":
        return (f"{RUNNER_HOME}/.local/share/gem/ruby/{ruby}.0/bin", f"/opt/homebrew/lib/ruby/gems/{ruby}.0/bin",
                f"/opt/homebrew/opt/ruby@{ruby}/bin", f"{RUNNER_HOME}/.local/bin", "/opt/homebrew/bin",
                "/opt/homebrew/sbin", f"{RUNNER_HOME}/.cargo/bin", "/usr/local/opt/curl/bin", "/usr/local/bin",
                "/usr/local/sbin", *tail)
    return (f"{RUNNER_HOME}/.local/share/gem/ruby/{ruby}.0/bin", f"/usr/local/opt/ruby@{ruby}/bin",
            "/usr/local/opt/pipx_bin", f"{RUNNER_HOME}/.cargo/bin", "/usr/local/opt/curl/bin", "/usr/local/bin",
            "/usr/local/sbin", *tail)


@dataclass(frozen=True)
class ModelSpec:
    """One modelled Mac: what describes it beyond its per-program rows."""

    name: str
    label: str  # how output names it: "judged on <label>"
    arch: str  # "arm64" | "x86_64"
    sip: str  # "on" | "unknown" (GitHub-hosted: reported off, on in some VMs)
    path: tuple[str, ...]
    home: str
    homebrew: str | None  # the Homebrew prefix, None when there is no Homebrew
    runner_labels: tuple[str, ...] = ()  # the `runs-on` labels GitHub maps to this image
    summary: str = ""

    @property
    def is_runner(self) -> bool:
        return bool(self.runner_labels)


def _runner(version: str, arch: str, labels: tuple[str, ...]) -> ModelSpec:
    intel = arch == "x86_64"
    ruby = "3.4" if version == "26" else "3.3"
    suffix = "x64" if intel else "arm64"
    return ModelSpec(
        name=f"gha-macos-{version}-{suffix}",
        label=f"GitHub's macos-{version} {'Intel' if intel else 'arm64'} runner",
        arch=arch, sip="unknown", path=_runner_path(arch, ruby, mono=version == "14"), home=RUNNER_HOME,
        homebrew="/usr/local" if intel else "/opt/homebrew", runner_labels=labels,
        summary=f"GitHub-hosted macOS {version} image ({arch}): Homebrew node, python3, ruby@{ruby}; "
                "run: steps use Apple's /bin/bash 3.2; SIP reported off, on in some VMs",
    )


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("dev-arm64-homebrew", "a developer Mac with Homebrew on Apple Silicon (model)", "arm64", "on",
              ("/opt/homebrew/bin", "/opt/homebrew/sbin", *BASE_PATH), DEV_HOME, "/opt/homebrew",
              summary="Apple Silicon, SIP on, Homebrew in /opt/homebrew (node, python3, git); zsh login shell"),
    ModelSpec("dev-intel-homebrew", "a developer Mac with Homebrew on Intel (model)", "x86_64", "on",
              BASE_PATH, DEV_HOME, "/usr/local",
              summary="Intel, SIP on, Homebrew in /usr/local (node, python3, git); zsh login shell"),
    ModelSpec("fresh-mac", "a fresh Mac with only Apple's software (model)", "arm64", "on", BASE_PATH, DEV_HOME,
              None, summary="Apple Silicon, SIP on, no Command Line Tools: python3, git, make are Xcode stubs"),
    _runner("14", "arm64", ("macos-14", "macos-14-xlarge")),
    _runner("14", "x86_64", ("macos-14-large",)),
    _runner("15", "arm64", ("macos-15", "macos-15-xlarge")),
    _runner("15", "x86_64", ("macos-15-intel", "macos-15-large")),
    _runner("26", "arm64", ("macos-26", "macos-26-xlarge", "macos-latest", "macos-latest-xlarge")),
    _runner("26", "x86_64", ("macos-26-intel", "macos-26-large", "macos-latest-large")),
)
"""macos-latest is macos-26 arm64 per runner-images README.md (docs/machines.md "Labels")."""

DEFAULT_MODEL = "dev-arm64-homebrew"


@dataclass(frozen=True)
class Layout:
    """A version manager or installer added to a developer-Mac model (`--machine dev-arm64-homebrew+nvm`):
    its data rows, the PATH entries its setup puts first, and the files that show it is installed."""

    rows: tuple[str, ...]  # row names (data/macos-machines.tsv `name`) it adds
    path: tuple[str, ...]
    markers: tuple[str, ...]


LAYOUTS: dict[str, Layout] = {
    "nvm": Layout(("node (nvm)", "npm (nvm)"), ("~/.nvm/versions/node/vX/bin",), ("~/.nvm/nvm.sh",)),
    "pyenv": Layout(("python (pyenv shim)", "python (pyenv-built)"), ("~/.pyenv/shims",), ("~/.pyenv/bin/pyenv",)),
    "asdf": Layout(("node (asdf shim)",), ("~/.asdf/shims",), ()),
    "volta": Layout(("node (Volta shim)",), ("~/.volta/bin",), ("~/.volta/bin/volta",)),
    "mise": Layout(("node (mise shim)",), ("~/.local/share/mise/shims",), ()),
    "uv": Layout(("uv / uvx",), ("~/.local/bin",), ()),
    "rustup": Layout(("cargo/rustc (rustup proxy)",), ("~/.cargo/bin",), ("~/.cargo/bin/rustup",)),
}
"""Each layout's PATH entry is what its shell setup prepends (nvm.sh, `pyenv init`, asdf.sh, Volta's and
mise's installers, uv's and rustup's installers); docs/machines.md "Layouts"."""


def model_spec(name: str) -> ModelSpec | None:
    return next((m for m in MODELS if m.name == name), None)


def runner_for_label(label: str) -> ModelSpec | None:
    """The GitHub-hosted image a `runs-on` label names, or None (self-hosted, retired or unknown)."""
    wanted = label.strip().lower()
    return next((m for m in MODELS if wanted in m.runner_labels), None)
