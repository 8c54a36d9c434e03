"""`sipdoctor trace`: run a command with the probe library injected and show which processes it reached."""
