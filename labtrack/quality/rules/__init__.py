"""Pure rules of quality: plain Python, no Flask, no database (docs/ARCHITECTURE.md)."""
