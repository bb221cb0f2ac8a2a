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


# --- follow-up and adverse events (clinic/rules/followup.py, adverse_events.py) -----------
VISIT_LABELS = {
    "baseline": _l("Baseline (before the injection)"), "week_1": _l("1 week"),
    "month_1": _l("1 month"), "month_3": _l("3 months"), "month_6": _l("6 months"),
    "month_12": _l("12 months"), "month_24": _l("24 months"),
}
VISIT_STATE_LABELS = {"done": _l("Done"), "upcoming": _l("Upcoming"), "due": _l("Due"),
                      "overdue": _l("Overdue")}
FOLLOWUP_LABELS = {
    "very_much_improved": _l("Very much improved"), "much_improved": _l("Much improved"),
    "minimally_improved": _l("Minimally improved"), "no_change": _l("No change"),
    "minimally_worse": _l("Minimally worse"), "much_worse": _l("Much worse"),
    "very_much_worse": _l("Very much worse"),
    "none": _l("None"), "occasional": _l("Occasional"),
    "regular_non_opioid": _l("Regular, non-opioid"), "opioid": _l("Opioid"),
    "nrs": _l("0–10 numeric rating scale"), "vas": _l("0–100 mm visual analogue scale"),
}
AE_LABELS = {
    "death": _l("Death"), "life_threatening": _l("Life-threatening"),
    "hospitalisation": _l("Hospitalisation or its prolongation"),
    "disability": _l("Persistent or significant disability"),
    "congenital_anomaly": _l("Congenital anomaly"),
    "medically_important": _l("Other medically important event"),
    "mild": _l("Mild"), "moderate": _l("Moderate"), "severe": _l("Severe"),
    "certain": _l("Certain"), "probable": _l("Probable / likely"), "possible": _l("Possible"),
    "unlikely": _l("Unlikely"), "conditional": _l("Conditional / unclassified"),
    "unassessable": _l("Unassessable / unclassifiable"),
    "none": _l("None"), "treatment": _l("Treatment given"),
    "procedure": _l("Procedure or intervention"), "other": _l("Other"),
    "recovered": _l("Recovered"), "recovering": _l("Recovering"),
    "not_recovered": _l("Not recovered"),
    "recovered_with_sequelae": _l("Recovered with sequelae"), "fatal": _l("Fatal"),
    "unknown": _l("Unknown"),
}


def visit_label(key: str) -> str:
    return label_for(VISIT_LABELS, key)


def visit_state_label(state: str) -> str:
    return label_for(VISIT_STATE_LABELS, state)


def followup_label(value: str | None) -> str:
    return label_for(FOLLOWUP_LABELS, value) if value else "—"


def ae_label(value: str | None) -> str:
    return label_for(AE_LABELS, value) if value else "—"


def criteria_text(stored: str | None) -> str:
    """The seriousness criteria as words, or a dash when none."""
    return ", ".join(ae_label(value) for value in (stored or "").split(",") if value) or "—"
