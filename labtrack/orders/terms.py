"""Translated words for patients and orders: recorded sex, authorisation problems."""

from __future__ import annotations

from labtrack.web.i18n import label_for, message_for
from labtrack.web.i18n import lazy_gettext as _l

SEX_LABELS = {
    "F": _l("Female"),
    "M": _l("Male"),
    "X": _l("Unspecified"),
}


AUTHORISATION_MESSAGES = {
    "authorisation.missing": _l("No AEMPS authorisation is recorded for this treatment."),
    "authorisation.level_not_covered": _l(
        "Authorisation %(reference)s does not cover disc level %(level)s."),
    "authorisation.not_yet_granted": _l(
        "Authorisation %(reference)s is dated in the future (%(granted_on)s)."),
    "authorisation.expired": _l("Authorisation %(reference)s expired on %(expires_on)s."),
}


def sex_label(sex: str) -> str:
    """The translated name of a patient's recorded sex."""
    return label_for(SEX_LABELS, sex)


def authorisation_message(problem) -> str:
    """A translated message for an authorisation problem (a domain AuthorisationProblem)."""
    return message_for(AUTHORISATION_MESSAGES, problem.code, problem.params, problem.message)


PLANNING_MESSAGES = {
    "planned.past": _l("The planned procedure date cannot be in the past."),
    "planned.beyond_horizon": _l(
        "The planned procedure date is more than %(days)s days ahead: plan it on or before "
        "%(latest)s."),
    "planned.after_authorisation": _l(
        "The authorisation is valid until %(until)s: plan the procedure within it."),
}


def planning_message(problem) -> str:
    """Why a planned procedure date is refused (a domain PlanningProblem), translated."""
    return message_for(PLANNING_MESSAGES, problem.code, problem.params, problem.message)
