"""Pure rules of the quality system: plain Python, no Flask, no database."""
