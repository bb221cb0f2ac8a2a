"""Pure rules of samples: plain Python, no Flask, no database (docs/ARCHITECTURE.md)."""
