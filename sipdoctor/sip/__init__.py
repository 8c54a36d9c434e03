"""SIP state on macOS (csrutil status, the active CSR configuration) and the Linux loader facts."""
