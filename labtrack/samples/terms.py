"""Translated words for sample receipt: broken acceptance rules, receipt statuses."""

from __future__ import annotations

from labtrack.web.i18n import label_for, message_for
from labtrack.web.i18n import lazy_gettext as _l

ACCEPTANCE_RULE_MESSAGES = {
    "transit_time": _l("Received %(hours)s h after collection (limit %(limit)s h)."),
    "volume": _l("Volume %(value)s mL is outside %(low)s–%(high)s mL."),
    "temperature": _l("Temperature on arrival %(value)s °C is outside %(low)s–%(high)s °C."),
    "container": _l("The container is not intact."),
}


SAMPLE_STATUS_LABELS = {
    "accepted": _l("Accepted"),
    "accepted_with_deviation": _l("Accepted with a deviation"),
    "rejected": _l("Rejected"),
}


def failed_rule_message(rule) -> str:
    """A translated message for a broken sample acceptance rule (a domain FailedRule)."""
    return message_for(ACCEPTANCE_RULE_MESSAGES, rule.code, rule.params, rule.message)


def sample_status_label(status: str) -> str:
    """The translated name of a sample's receipt status."""
    return label_for(SAMPLE_STATUS_LABELS, status)
