"""Pure rules of culture: plain Python, no Flask, no database (docs/ARCHITECTURE.md)."""
