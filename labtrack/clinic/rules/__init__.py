"""Pure rules of clinic: plain Python, no Flask, no database (docs/ARCHITECTURE.md)."""
