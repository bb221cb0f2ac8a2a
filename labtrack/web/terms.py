"""Translatable display labels for the domain's vocabularies."""

from labtrack.accounts.signature_rules import Meaning
from labtrack.culture.states import BatchState
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

STATE_LABELS = {
    BatchState.IN_CULTURE: _l("In culture"),
    BatchState.HARVESTED: _l("Harvested"),
    BatchState.AWAITING_RELEASE: _l("Awaiting release"),
    BatchState.RELEASED: _l("Released"),
    BatchState.REJECTED: _l("Rejected"),
    BatchState.ON_HOLD: _l("On hold"),
    BatchState.TERMINATED: _l("Terminated"),
    BatchState.COMPLETED: _l("Completed"),
}

TRANSITION_REFUSALS = {
    "transition.terminal_state": _l("A batch that is %(current)s can no longer change state."),
    "transition.not_allowed": _l("A batch that is %(current)s cannot move to %(target)s."),
    "transition.role_not_allowed": _l(
        "Your role may not move a batch from %(current)s to %(target)s."),
    "transition.resume_state_unknown": _l(
        "The state the batch was held from is not known, so the hold cannot be lifted."),
    "transition.resume_state_mismatch": _l(
        "A batch held while %(resume_state)s can only return to %(resume_state)s."),
    "transition.reason_required": _l("A reason is required for this change of state."),
}


def label_for(labels: dict, key) -> str:
    """The translated label of ``key`` in ``labels``, or the key itself when it has none.

    Enum-keyed tables work with plain strings too: a StrEnum member equals its value.
    """
    return str(labels.get(str(key), key))


def state_label(state: str) -> str:
    """The translated name of a batch state."""
    return label_for(STATE_LABELS, state)


def role_label(role: str) -> str:
    """The translated name of a role."""
    return label_for(ROLE_LABELS, role)


def meaning_label(meaning: str) -> str:
    """The translated meaning of an electronic signature."""
    return label_for(MEANING_LABELS, meaning)


def transition_refusal(error) -> str:
    """A translated message for a refused batch transition."""
    params = {key: state_label(value) if key in ("current", "target", "resume_state") else value
              for key, value in error.params.items()}
    template = TRANSITION_REFUSALS.get(error.code)
    return str(template) % params if template else error.message


# --- Patients, orders and sample receipt --------------------------------------------------

SEX_LABELS = {
    "F": _l("Female"),
    "M": _l("Male"),
    "X": _l("Unspecified"),
}

ACCEPTANCE_RULE_MESSAGES = {
    "transit_time": _l("Received %(hours)s h after collection (limit %(limit)s h)."),
    "volume": _l("Volume %(value)s mL is outside %(low)s–%(high)s mL."),
    "temperature": _l("Temperature on arrival %(value)s °C is outside %(low)s–%(high)s °C."),
    "container": _l("The container is not intact."),
}

AUTHORISATION_MESSAGES = {
    "authorisation.missing": _l("No AEMPS authorisation is recorded for this treatment."),
    "authorisation.level_not_covered": _l(
        "Authorisation %(reference)s does not cover disc level %(level)s."),
    "authorisation.not_yet_granted": _l(
        "Authorisation %(reference)s is dated in the future (%(granted_on)s)."),
    "authorisation.expired": _l("Authorisation %(reference)s expired on %(expires_on)s."),
}

SAMPLE_STATUS_LABELS = {
    "accepted": _l("Accepted"),
    "accepted_with_deviation": _l("Accepted with a deviation"),
    "rejected": _l("Rejected"),
}


def _message(templates: dict, code: str, params: dict, fallback: str) -> str:
    template = templates.get(code)
    if template is None:
        return fallback or code
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return fallback or str(template)


def sex_label(sex: str) -> str:
    """The translated name of a patient's recorded sex."""
    return label_for(SEX_LABELS, sex)


def failed_rule_message(rule) -> str:
    """A translated message for a broken sample acceptance rule (a domain FailedRule)."""
    return _message(ACCEPTANCE_RULE_MESSAGES, rule.code, rule.params, rule.message)


def authorisation_message(problem) -> str:
    """A translated message for an authorisation problem (a domain AuthorisationProblem)."""
    return _message(AUTHORISATION_MESSAGES, problem.code, problem.params, problem.message)


def sample_status_label(status: str) -> str:
    """The translated name of a sample's receipt status."""
    return label_for(SAMPLE_STATUS_LABELS, status)


# --- Culture at the bench, reagent lots and equipment ---------------------------------------

STEP_KIND_LABELS = {
    "isolation": _l("Mononuclear-cell isolation"),
    "seeding": _l("Seeding"),
    "non_adherent_removal": _l("Removal of non-adherent cells"),
    "medium_change": _l("Medium change"),
    "observation": _l("Observation"),
    "passage": _l("Passage"),
    "harvest": _l("Harvest"),
    "formulation": _l("Formulation"),
}

TASK_STATUS_LABELS = {
    "upcoming": _l("Upcoming"),
    "due": _l("Due"),
    "overdue": _l("Overdue"),
}

LOT_STATUS_LABELS = {
    "quarantine": _l("Quarantine"),
    "released": _l("Released"),
    "rejected": _l("Rejected"),
}

COUNT_METHOD_LABELS = {
    "haemocytometer": _l("Haemocytometer (trypan blue)"),
    "automated": _l("Automated counter"),
}


def step_kind_label(kind: str) -> str:
    """The translated name of a culture step."""
    return label_for(STEP_KIND_LABELS, kind)


def task_status_label(status: str) -> str:
    """The translated name of a protocol task's status."""
    return label_for(TASK_STATUS_LABELS, status)


def lot_status_label(status: str) -> str:
    """The translated name of a reagent lot's status."""
    return label_for(LOT_STATUS_LABELS, status)


def count_method_label(method: str) -> str:
    """The translated name of a counting method."""
    return label_for(COUNT_METHOD_LABELS, method)


# --- Quality: QC verdicts, deviations, the release checklist (issue #6) --------------------

VERDICT_LABELS = {
    "pass": _l("Pass"),
    "fail": _l("Fail"),
    "pending": _l("Pending"),
}

SEVERITY_LABELS = {
    "minor": _l("Minor"),
    "major": _l("Major"),
    "critical": _l("Critical"),
}

DEVIATION_STATUS_LABELS = {
    "open": _l("Open"),
    "investigating": _l("Under investigation"),
    "closed": _l("Closed"),
}

DEVIATION_KIND_LABELS = {
    "process": _l("Process"),
    "equipment": _l("Equipment"),
    "material": _l("Material"),
    "environment": _l("Environment"),
    "documentation": _l("Documentation"),
    "out_of_specification": _l("Out of specification"),
    "general": _l("Other"),
    "sample_acceptance": _l("Sample acceptance"),
    "protocol_window": _l("Step outside its protocol window"),
}

CHECKLIST_MESSAGES = {
    "state.ok": _l("The batch is awaiting release."),
    "state.not_awaiting_release": _l(
        "The batch is %(state)s; only a batch awaiting release can be released."),
    "qc.ok": _l("Every mandatory QC result is present and within specification."),
    "qc.out_of_specification": _l(
        "%(name)s is out of specification: %(result)s (limit %(limit)s)."),
    "qc.missing": _l("%(name)s has no result yet."),
    "qc.pending": _l(
        "%(name)s is pending; the release record will show it was pending at release."),
    "qc.informational_out_of_limit": _l(
        "%(name)s (for information) is outside its limit: %(result)s (limit %(limit)s)."),
    "deviations.ok": _l("No major or critical deviation is open."),
    "deviations.open": _l("Deviation %(number)s (%(severity)s) is still open: %(title)s."),
    "deviations.open_minor": _l("Minor deviation %(number)s is still open: %(title)s."),
    "dose_levels.none_ordered": _l("The order names no disc level."),
    "dose_levels.ok": _l("There is one dose for each ordered disc level."),
    "dose_levels.missing": _l("There is no dose for disc level %(level)s."),
    "dose_levels.duplicate": _l("There is more than one dose for disc level %(level)s."),
    "dose_levels.extra": _l(
        "Dose %(dose_code)s is for disc level %(level)s, which was not ordered."),
    "dose_cells.ok": _l("Every dose holds the ordered viable cells within tolerance."),
    "dose_cells.below_range": _l(
        "The dose for %(level)s holds %(viable_cells)s viable cells, below the ordered "
        "%(cells_per_disc)s ± %(tolerance_percent)s %%."),
    "dose_cells.above_range": _l(
        "The dose for %(level)s holds %(viable_cells)s viable cells, above the ordered "
        "%(cells_per_disc)s ± %(tolerance_percent)s %%."),
    "dose_expiry.ok": _l("No dose has expired."),
    "dose_expiry.expired": _l("The dose for %(level)s expired at %(expires_at)s."),
    "authorisation.ok": _l("The authorisation covers every ordered disc level."),
    "authorisation.missing": _l("No AEMPS authorisation is recorded for this treatment."),
    "authorisation.level_not_covered": _l(
        "Authorisation %(reference)s does not cover disc level %(level)s."),
    "authorisation.not_yet_granted": _l(
        "Authorisation %(reference)s is dated in the future (%(granted_on)s)."),
    "authorisation.expired": _l("Authorisation %(reference)s expired on %(expires_on)s."),
    "four_eyes.ok": _l("The releasing person took no part in making or testing the batch."),
    "four_eyes.releaser_took_part": _l(
        "The releasing person performed, verified or entered results for this batch; "
        "another QA person must release it."),
}

SPEC_PROBLEM_MESSAGES = {
    "spec.empty": _l("A specification needs at least one test."),
    "spec.duplicate_code": _l("The code of %(name)s appears more than once."),
    "spec.missing_code": _l("A test has no code."),
    "spec.missing_name": _l("Test %(test)s has no name."),
    "spec.unknown_kind": _l("%(name)s has an unknown kind."),
    "spec.missing_unit": _l("%(name)s is numeric but has no unit."),
    "spec.missing_limit": _l("%(name)s is numeric but has no limit."),
    "spec.accepted_values_on_numeric": _l("%(name)s is numeric but lists accepted results."),
    "spec.limits_inverted": _l("%(name)s has a lower limit above its upper limit."),
    "spec.limits_empty": _l("%(name)s has limits no result can meet."),
    "spec.missing_accepted_values": _l("%(name)s is qualitative but accepts no result."),
    "spec.limits_on_qualitative": _l("%(name)s is qualitative but has numeric limits."),
}


def _formatted(templates: dict, code: str, params: dict, fallback: str) -> str:
    template = templates.get(code)
    try:
        return str(template) % params if template is not None else fallback
    except (KeyError, TypeError, ValueError):
        return fallback


def checklist_message(item, params: dict | None = None) -> str:
    """A release checklist item (domain ChecklistItem) in the reader's language."""
    params = dict(item.params if params is None else params)
    if "state" in params:
        params["state"] = state_label(params["state"]).lower()
    if "severity" in params:
        params["severity"] = severity_text(params["severity"]).lower()
    params.setdefault("number", params.get("deviation_id"))
    params.setdefault("dose_code", params.get("dose_id"))
    return _formatted(CHECKLIST_MESSAGES, item.code, params, item.message)


def spec_problem_message(problem) -> str:
    """Why a specification edit cannot be saved (a domain SpecProblem), translated."""
    params = {"name": problem.params.get("name") or problem.params.get("test") or "?",
              "test": problem.params.get("test") or "?"}
    return _formatted(SPEC_PROBLEM_MESSAGES, problem.code, params, problem.message)


def verdict_text(verdict: str) -> str:
    return label_for(VERDICT_LABELS, verdict)


def severity_text(severity: str) -> str:
    return label_for(SEVERITY_LABELS, severity)


def status_text(status: str) -> str:
    """The translated status of a deviation."""
    return label_for(DEVIATION_STATUS_LABELS, status)


def deviation_kind_text(kind: str) -> str:
    return label_for(DEVIATION_KIND_LABELS, kind)


# --- Dose readiness, administration and the order timeline (clinicians) -------------------

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
