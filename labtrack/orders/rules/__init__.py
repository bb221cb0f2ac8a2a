"""Pure rules of orders: plain Python, no Flask, no database (docs/ARCHITECTURE.md)."""
