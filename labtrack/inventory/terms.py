"""Translated names of reagent lot statuses."""

from __future__ import annotations

from labtrack.web.i18n import label_for
from labtrack.web.i18n import lazy_gettext as _l

LOT_STATUS_LABELS = {
    "quarantine": _l("Quarantine"),
    "released": _l("Released"),
    "rejected": _l("Rejected"),
}


def lot_status_label(status: str) -> str:
    """The translated name of a reagent lot's status."""
    return label_for(LOT_STATUS_LABELS, status)
