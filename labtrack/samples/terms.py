"""Translated words for sample receipt: broken acceptance rules, receipt statuses."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal, InvalidOperation

from labtrack.web.i18n import label_for, message_for
from labtrack.web.i18n import lazy_gettext as _l
from labtrack.web.templating import exact_number

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


def _local_number(value):
    """A number (or a number's text) as the screen language writes it; else as it is."""
    with suppress(InvalidOperation, TypeError, ValueError):
        return exact_number(Decimal(str(value)))
    return value


def failed_rule_message(rule) -> str:
    """A translated message for a broken sample acceptance rule (a domain FailedRule), its
    numbers as the screen language writes them ("25,5 h", "1,5 °C")."""
    params = {name: _local_number(value) for name, value in rule.params.items()}
    return message_for(ACCEPTANCE_RULE_MESSAGES, rule.code, params, rule.message)


def sample_status_label(status: str) -> str:
    """The translated name of a sample's receipt status."""
    return label_for(SAMPLE_STATUS_LABELS, status)
