"""Pure rules of accounts: plain Python, no Flask, no database (docs/ARCHITECTURE.md)."""
