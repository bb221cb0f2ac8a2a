"""The Oswestry Disability Index, version 2.1a.

Ten sections, each answered 0 (no disability) to 5. The index is the total divided by
5 × the number of sections answered, × 100 %: a skipped section is left out of both the
numerator and the denominator. A questionnaire with more sections skipped than the
configured limit is not scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

SECTIONS = 10
SECTION_MAX = 5
DEFAULT_MAX_MISSING = 1
SKIPPED = "-"


class OdiProblem(StrEnum):
    """Why a questionnaire cannot be scored."""

    SECTION_COUNT = "section_count"
    OUT_OF_RANGE = "out_of_range"
    TOO_MANY_MISSING = "too_many_missing"


class OdiError(ValueError):
    """A questionnaire that cannot be scored; ``problem`` says why."""

    def __init__(self, problem: OdiProblem, detail: int = 0) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem, self.detail = problem, detail


def odi_index(answers: Sequence[int | None], max_missing: int = DEFAULT_MAX_MISSING) -> Decimal:
    """The index in % (one decimal) of ten section scores, ``None`` for a skipped section."""
    if len(answers) != SECTIONS:
        raise OdiError(OdiProblem.SECTION_COUNT, len(answers))
    answered = [score for score in answers if score is not None]
    for score in answered:
        if isinstance(score, bool) or not isinstance(score, int) \
                or not 0 <= score <= SECTION_MAX:
            raise OdiError(OdiProblem.OUT_OF_RANGE, answers.index(score) + 1)
    missing = SECTIONS - len(answered)
    if missing > max_missing or not answered:
        raise OdiError(OdiProblem.TOO_MANY_MISSING, missing)
    index = Decimal(sum(answered) * 100) / Decimal(SECTION_MAX * len(answered))
    return index.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def encode(answers: Sequence[int | None]) -> str:
    """The ten answers as stored: one digit a section, ``-`` for a skipped one."""
    return "".join(SKIPPED if score is None else str(score) for score in answers)


def decode(text: str | None) -> list[int | None]:
    """The stored answers back as a list (empty when none were recorded)."""
    return [None if char == SKIPPED else int(char) for char in (text or "")
            if char == SKIPPED or char.isdigit()]
