"""The vocabulary of adverse events: seriousness criteria, severity, WHO-UMC causality,
action taken and outcome."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Seriousness(StrEnum):
    """The standard criteria that make an adverse event serious."""

    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "hospitalisation"
    DISABILITY = "disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    MEDICALLY_IMPORTANT = "medically_important"


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Causality(StrEnum):
    """WHO-UMC causality categories."""

    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"
    CONDITIONAL = "conditional"
    UNASSESSABLE = "unassessable"


class Action(StrEnum):
    NONE = "none"
    TREATMENT = "treatment"
    PROCEDURE = "procedure"
    HOSPITALISATION = "hospitalisation"
    OTHER = "other"


class Outcome(StrEnum):
    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not_recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


RELATED = frozenset({Causality.CERTAIN, Causality.PROBABLE, Causality.POSSIBLE})


def encode_criteria(criteria: Iterable[str]) -> str:
    """The criteria as stored: their values in the enum's order, comma-separated."""
    chosen = {Seriousness(value) for value in criteria}
    return ",".join(member.value for member in Seriousness if member in chosen)


def decode_criteria(text: str | None) -> list[Seriousness]:
    return [Seriousness(value) for value in (text or "").split(",") if value]


def is_serious(criteria: Iterable[str], outcome: str | None = None) -> bool:
    """Serious when any criterion is met (a fatal outcome meets 'death')."""
    return bool(list(criteria)) or outcome == Outcome.FATAL


def is_related(causality: str | None) -> bool:
    """WHO-UMC certain, probable or possible: a suspected reaction."""
    return causality in RELATED
