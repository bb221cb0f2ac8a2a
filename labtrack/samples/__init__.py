"""Samples: receipt of the bone-marrow aspirate, acceptance rules, ISBT 128 identifiers and labels."""
