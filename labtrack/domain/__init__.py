"""Pure domain rules: standard library only, no Flask, no database."""
