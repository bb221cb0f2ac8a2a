"""Data protection: serving a patient's access request (docs/PRIVACY.md)."""
