"""Translatable display labels for the domain's vocabularies."""

from flask_babel import lazy_gettext as _l

from labtrack.domain.roles import Role

ROLE_LABELS = {
    Role.TECHNICIAN: _l("Lab technician"),
    Role.QA: _l("Quality assurance"),
    Role.CLINICIAN: _l("Clinician"),
    Role.ADMIN: _l("Administrator"),
}
