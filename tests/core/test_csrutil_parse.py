"""The csrutil parser over every recorded output, and over the variations the issue names."""

from __future__ import annotations

import pytest

from sipdoctor.sip.csrutil import CsrutilParseError, parse_csrutil
from tests.conftest import FIXTURES

# The expected reading of each recorded output: tests/fixtures/csrutil/SOURCES.md.
EXPECTED = {
    "enabled.txt": ("enabled", False, "enabled", "enabled"),
    "disabled.txt": ("disabled", False, "disabled", "disabled"),
    "elcapitan-custom.txt": ("enabled", True, "disabled", "disabled"),
    "monterey-apple-silicon-custom.txt": ("unknown", True, "disabled", "disabled"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_outputs(name: str) -> None:
    parsed = parse_csrutil((FIXTURES / "csrutil" / name).read_text())
    status, custom, debugging, filesystem = EXPECTED[name]
    assert parsed.status == status
    assert parsed.custom is custom
    assert parsed.protections["debugging_restrictions"] == debugging
    assert parsed.protections["filesystem_protections"] == filesystem
    assert parsed.dyld_env_stripping is (debugging == "enabled")


def test_plain_enabled_implies_all_but_apple_internal() -> None:
    parsed = parse_csrutil("System Integrity Protection status: enabled.\n")
    assert parsed.implied and parsed.qualifier is None
    assert parsed.protections["apple_internal"] == "disabled"
    assert {v for k, v in parsed.protections.items() if k != "apple_internal"} == {"enabled"}


def test_monterey_keeps_all_ten_lines_and_the_unsupported_note() -> None:
    parsed = parse_csrutil((FIXTURES / "csrutil" / "monterey-apple-silicon-custom.txt").read_text())
    assert len(parsed.protections) == 10
    assert parsed.protections["authenticated_root_requirement"] == "enabled"
    assert parsed.qualifier == "Custom Configuration"
    assert parsed.unsupported_note


def test_unknown_words_qualifiers_extra_lines_and_crlf() -> None:
    text = (
        "Some preamble from a wrapper script\r\n"
        "System Integrity Protection status: partially (Some Future Qualifier).\r\n"
        "\r\n"
        "Configuration:\r\n"
        "\tApple Internal: disabled\r\n"
        "\tDebugging Restrictions: enabled\r\n"
        "\tSomething New In macOS 27: maybe\r\n"
        "\r\n"
        "Authenticated Root status: enabled\r\n"
    )
    parsed = parse_csrutil(text)
    assert parsed.status == "partially"
    assert parsed.qualifier == "Some Future Qualifier"
    assert parsed.protections["something_new_in_macos_27"] == "maybe"
    assert parsed.dyld_env_stripping is True
    assert "authenticated_root_status" not in parsed.protections  # a trailing line, not a protection


def test_status_word_without_configuration_or_period() -> None:
    parsed = parse_csrutil("System Integrity Protection status: disabled")
    assert parsed.status == "disabled" and parsed.dyld_env_stripping is False


@pytest.mark.parametrize("text", ["", "csrutil: command not found", "System Integrity: on", "\x00\xff garbage"])
def test_unparseable_text_is_an_error_not_a_crash(text: str) -> None:
    with pytest.raises(CsrutilParseError):
        parse_csrutil(text)


@pytest.mark.parametrize("text", [
    "System Integrity Protection status: enabled.\nSystem Integrity Protection status: disabled.\n",
    "System Integrity Protection status: 1234.\n",
    "System Integrity Protection status: $(rm).\n",
])
def test_conflicting_or_non_word_status_lines_are_not_taken(text: str) -> None:
    with pytest.raises(CsrutilParseError):
        parse_csrutil(text)
