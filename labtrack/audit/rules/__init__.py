"""Pure rules of audit: plain Python, no Flask, no database (docs/ARCHITECTURE.md)."""
