"""Translated names of reagent lot statuses."""

from __future__ import annotations

from labtrack.inventory.rules.lots import LotStatus
from labtrack.web.i18n import gettext as _
from labtrack.web.i18n import label_for
from labtrack.web.i18n import lazy_gettext as _l

LOT_STATUS_LABELS = {
    LotStatus.QUARANTINE: _l("Quarantine"),
    LotStatus.RELEASED: _l("Released"),
    LotStatus.REJECTED: _l("Rejected"),
}


def lot_status_label(status: str) -> str:
    """The translated name of a reagent lot's status, as a heading or badge shows it."""
    return label_for(LOT_STATUS_LABELS, status)


def lot_status_word(status: str) -> str:
    """The status inside a sentence ("Lot 123 is now in quarantine.")."""
    words = {LotStatus.QUARANTINE: _("in quarantine"), LotStatus.RELEASED: _("released"),
             LotStatus.REJECTED: _("rejected")}
    return words.get(status, status)
