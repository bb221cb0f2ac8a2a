"""Pure rules of identity (ISBT 128): plain Python, no Flask, no database."""
