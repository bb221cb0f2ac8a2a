"""Translated names of roles and of the meanings of electronic signatures."""

from __future__ import annotations

from labtrack.accounts.rules.signatures import Meaning
from labtrack.web.i18n import label_for
from labtrack.web.i18n import lazy_gettext as _l
from labtrack.web.policy import Role

ROLE_LABELS = {
    Role.TECHNICIAN: _l("Lab technician"),
    Role.QA: _l("Quality assurance"),
    Role.CLINICIAN: _l("Clinician"),
    Role.ADMIN: _l("Administrator"),
}


MEANING_LABELS = {
    Meaning.PERFORMED: _l("Performed"),
    Meaning.VERIFIED: _l("Verified"),
    Meaning.REVIEWED: _l("Reviewed"),
    Meaning.APPROVED: _l("Approved"),
    Meaning.RELEASED: _l("Released for clinical use"),
    Meaning.REJECTED: _l("Rejected"),
    Meaning.CLOSED: _l("Closed"),
}


def role_label(role: str) -> str:
    """The translated name of a role."""
    return label_for(ROLE_LABELS, role)


def meaning_label(meaning: str) -> str:
    """The translated meaning of an electronic signature."""
    return label_for(MEANING_LABELS, meaning)
