"""Inventory: reagent lots (quarantine, release, expiry) and equipment (calibration)."""
