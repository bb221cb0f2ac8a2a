"""Samples: receipt of the aspirate, acceptance rules, ISBT 128 identifiers and labels."""
