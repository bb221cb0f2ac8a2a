"""Translated words for clinicians: readiness statuses and alerts, timeline stages."""

from __future__ import annotations

from labtrack.web.i18n import label_for
from labtrack.web.i18n import lazy_gettext as _l

READINESS_LABELS = {  # keyed by domain.readiness.Status values
    "awaiting_sample": _l("Awaiting sample"),
    "sample_rejected": _l("Sample rejected"),
    "in_culture": _l("In culture"),
    "at_risk": _l("At risk"),
    "awaiting_release": _l("Awaiting release"),
    "released": _l("Released and ready"),
    "expired": _l("Expired"),
    "administered": _l("Administered"),
}


READINESS_ALERTS = {  # keyed by domain.readiness.Alert values
    "at_risk": _l("At risk: the doses may not be ready for the planned procedure."),
    "sample_rejected": _l("The sample was rejected: a new bone-marrow collection is needed."),
    "batch_rejected": _l("The batch was rejected by QA: a new bone-marrow collection is "
                         "needed."),
    "batch_terminated": _l("The batch was terminated: a new bone-marrow collection is needed."),
    "on_hold": _l("The batch is on hold in the laboratory."),
    "exceptional_release": _l("Released by exception: out of specification, at the treating "
                              "clinician's request."),
    "out_of_specification": _l("A result that arrived after release is out of specification: "
                               "contact QA before any use."),
    "expires_before_procedure": _l("The doses expire before the planned procedure date."),
    "count_overdue": _l("Count overdue: the culture has not been counted for longer than the "
                        "protocol's count interval, so its projection may be out of date."),
    "ready_date_passed": _l("The projected ready date has passed without the target being "
                            "reached: at risk until a new count says otherwise."),
}


TIMELINE_STAGE_LABELS = {
    "order": _l("Order"),
    "sample": _l("Sample"),
    "culture": _l("Culture"),
    "qc": _l("QC"),
    "deviation": _l("Deviation"),
    "release": _l("Release"),
    "doses": _l("Doses"),
    "administration": _l("Administration"),
    "identity": _l("Identity"),
}


def readiness_label(status: str) -> str:
    """The clinician's name for a readiness status."""
    return label_for(READINESS_LABELS, status)


def readiness_alert(alert: str) -> str:
    """The sentence shown for a readiness alert."""
    return label_for(READINESS_ALERTS, alert)


def timeline_stage_label(stage: str) -> str:
    return label_for(TIMELINE_STAGE_LABELS, stage)
