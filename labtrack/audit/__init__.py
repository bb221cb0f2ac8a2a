"""The audit trail: capture of every change, the hash chain, verification and the viewer."""
