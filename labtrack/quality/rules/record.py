"""What the batch release record distinguishes among later changes to a recorded value."""

from __future__ import annotations

from enum import StrEnum


class ChangeKind(StrEnum):
    """How a recorded value came to differ from its first entry."""

    AMENDED = "amended"  # a new entry superseding the first, with a reason
    VOIDED = "voided"  # a new entry voiding the first, with a reason
    CHANGED = "changed"  # the record itself changed in place (from the audit trail)
