"""Translatable display labels for the domain's vocabularies."""

from flask_babel import lazy_gettext as _l

from labtrack.domain.batch_states import BatchState
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


def state_label(state: str) -> str:
    """The translated name of a batch state."""
    try:
        return str(STATE_LABELS[BatchState(state)])
    except ValueError:
        return state


def transition_refusal(error) -> str:
    """A translated message for a refused batch transition."""
    params = {key: state_label(value) if key in ("current", "target", "resume_state") else value
              for key, value in error.params.items()}
    template = TRANSITION_REFUSALS.get(error.code)
    return str(template) % params if template else error.message
