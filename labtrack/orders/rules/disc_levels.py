"""Lumbar disc levels: the vocabulary, in anatomical order, one dose per level."""

from __future__ import annotations

from collections.abc import Iterable

DISC_LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


class DiscLevelError(ValueError):
    """An unknown or repeated disc level."""

    def __init__(self, code: str, message: str, level: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.level = level


def normalise_level(text: str) -> str:
    """'l4l5', 'L4/L5', ' L4-L5 ' → 'L4-L5'; unknown levels raise DiscLevelError."""
    compact = "".join(ch for ch in str(text).upper() if ch.isalnum())
    for level in DISC_LEVELS:
        if compact == level.replace("-", ""):
            return level
    raise DiscLevelError("unknown", f"Unknown disc level {text!r}", str(text))


def parse_levels(values: Iterable[str] | str) -> tuple[str, ...]:
    """Levels from a list or a comma-separated text, each at most once, in anatomical order."""
    if isinstance(values, str):
        values = [part for part in values.split(",") if part.strip()]
    levels = [normalise_level(value) for value in values]
    for level in levels:
        if levels.count(level) > 1:
            raise DiscLevelError("repeated", f"Disc level {level} is given twice", level)
    if not levels:
        raise DiscLevelError("empty", "At least one disc level is needed")
    return tuple(sorted(levels, key=DISC_LEVELS.index))


def format_levels(levels: Iterable[str]) -> str:
    """The stored form: 'L4-L5,L5-S1'."""
    return ",".join(levels)


def level_code(level: str) -> str:
    """A compact form for identifiers: 'L5-S1' → 'L5S1'."""
    return level.replace("-", "")
