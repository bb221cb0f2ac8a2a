"""The deviation vocabulary every area shares."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How serious a deviation is."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
