"""`sipdoctor run`: save the DYLD_* variables under names SIP does not prune and restore them through PATH shims
(docs/reinjection.md)."""
