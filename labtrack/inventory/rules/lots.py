"""A reagent lot's status and the QA decisions that move it (pure)."""

from __future__ import annotations

from enum import StrEnum


class LotStatus(StrEnum):
    """Where a reagent lot stands: received lots wait in quarantine until QA decides."""

    QUARANTINE = "quarantine"
    RELEASED = "released"
    REJECTED = "rejected"


# QA decisions on a lot; a rejected lot stays rejected.
LOT_DECISIONS: dict[LotStatus, tuple[LotStatus, ...]] = {
    LotStatus.QUARANTINE: (LotStatus.RELEASED, LotStatus.REJECTED),
    LotStatus.RELEASED: (LotStatus.QUARANTINE, LotStatus.REJECTED),
    LotStatus.REJECTED: (),
}


def decisions_from(status: str) -> tuple[LotStatus, ...]:
    """The statuses QA may move a lot to from ``status`` (none from an unknown one)."""
    try:
        return LOT_DECISIONS[LotStatus(status)]
    except ValueError:
        return ()
