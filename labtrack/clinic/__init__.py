"""The clinic: dose readiness, the bedside administration check and the patient timeline."""
