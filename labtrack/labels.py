"""Translatable display labels for the domain's vocabularies."""

from flask_babel import lazy_gettext as _l

from labtrack.domain.roles import Role
from labtrack.domain.signatures import Meaning

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
