"""Decoding the active CSR configuration, which sipdoctor.system reads with csr_get_active_config (xnu
bsd/sys/csr.h, docs/macos-facts.md#csrutil). A set bit *allows* something, i.e.
turns a protection off."""

from __future__ import annotations

CSR_BITS = {
    "kext_signing": 0x1,  # CSR_ALLOW_UNTRUSTED_KEXTS
    "filesystem_protections": 0x2,  # CSR_ALLOW_UNRESTRICTED_FS
    "debugging_restrictions": 0x4,  # CSR_ALLOW_TASK_FOR_PID (csrstat's mapping for `--without debug`)
    "apple_internal": 0x10,  # CSR_ALLOW_APPLE_INTERNAL: "enabled" means the internal allowances are on
    "dtrace_restrictions": 0x20,  # CSR_ALLOW_UNRESTRICTED_DTRACE
    "nvram_protections": 0x40,  # CSR_ALLOW_UNRESTRICTED_NVRAM
    "basesystem_verification": 0x100,  # CSR_ALLOW_ANY_RECOVERY_OS
    "authenticated_root_requirement": 0x800,  # CSR_ALLOW_UNAUTHENTICATED_ROOT
}


def decode_config(value: int) -> dict[str, str]:
    """Protections as csrutil labels them, from the raw bits."""
    out: dict[str, str] = {}
    for label, bit in CSR_BITS.items():
        allowed = bool(value & bit)
        if label == "apple_internal":
            out[label] = "enabled" if allowed else "disabled"
        else:
            out[label] = "disabled" if allowed else "enabled"
    return out
