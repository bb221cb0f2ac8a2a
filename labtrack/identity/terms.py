"""Translated words for identity: the kinds of label."""

from __future__ import annotations

from labtrack.identity.printing import LabelKind
from labtrack.web.i18n import label_for
from labtrack.web.i18n import lazy_gettext as _l

LABEL_KIND_LABELS = {
    LabelKind.TUBE: _l("Tube"),
    LabelKind.FLASK: _l("Culture flasks"),
    LabelKind.DOSE: _l("Dose"),
}


def label_kind_label(kind: str) -> str:
    """The translated name of a kind of label."""
    return label_for(LABEL_KIND_LABELS, kind)
