"""The batch lifecycle: its states, the allowed transitions and who may make them.

A batch starts ``in_culture`` when its sample is accepted. Preconditions that need data
(doses formulated before ``awaiting_release``, every dose administered before
``completed``, the release checklist before ``released``) are checked by the services;
this module only answers "may this role move a batch from here to there, and why not".

Decisions recorded here:
- Terminating is a QA decision only: it destroys the patient's one batch. A technician
  who suspects contamination puts the batch on hold, and QA decides.
- Lifting a hold is QA's, back to exactly the state the batch was held from, with a reason.
- Rejecting needs a reason; releasing does not (its e-signature carries the meaning).
- ``completed`` is reached by the system (``role=None``) or a clinician recording the
  last administration; nothing else leaves ``released``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from labtrack.web.policy import Role


class BatchState(StrEnum):
    """Where a batch is in its life."""

    IN_CULTURE = "in_culture"
    HARVESTED = "harvested"
    AWAITING_RELEASE = "awaiting_release"
    RELEASED = "released"
    REJECTED = "rejected"
    ON_HOLD = "on_hold"
    TERMINATED = "terminated"
    COMPLETED = "completed"


INITIAL_STATE = BatchState.IN_CULTURE
PRE_RELEASE_STATES = (BatchState.IN_CULTURE, BatchState.HARVESTED, BatchState.AWAITING_RELEASE)
TERMINAL_STATES = frozenset({BatchState.REJECTED, BatchState.TERMINATED, BatchState.COMPLETED})
# Once QA has decided, the batch record may no longer be edited.
LOCKED_STATES = TERMINAL_STATES | {BatchState.RELEASED}

# English defaults for messages; the web layer has its own translated labels.
STATE_LABELS = {
    BatchState.IN_CULTURE: "in culture",
    BatchState.HARVESTED: "harvested",
    BatchState.AWAITING_RELEASE: "awaiting release",
    BatchState.RELEASED: "released",
    BatchState.REJECTED: "rejected",
    BatchState.ON_HOLD: "on hold",
    BatchState.TERMINATED: "terminated",
    BatchState.COMPLETED: "completed",
}
# "A batch that is <state> cannot be <action>".
TARGET_ACTIONS = {
    BatchState.IN_CULTURE: "returned to culture",
    BatchState.HARVESTED: "marked harvested",
    BatchState.AWAITING_RELEASE: "sent for release",
    BatchState.RELEASED: "released",
    BatchState.REJECTED: "rejected",
    BatchState.ON_HOLD: "put on hold",
    BatchState.TERMINATED: "terminated",
    BatchState.COMPLETED: "marked completed",
}


@dataclass(frozen=True)
class Transition:
    """One allowed move; ``system`` means the application may make it on its own."""

    source: BatchState
    target: BatchState
    roles: frozenset[Role]
    reason_required: bool = False
    system: bool = False
    resumes_hold: bool = False  # only back to the state the batch was held from


def _t(source, target, *roles, reason=False, system=False, resumes_hold=False) -> Transition:
    return Transition(source, target, frozenset(roles), reason, system, resumes_hold)


def _table() -> tuple[Transition, ...]:
    s, tech, qa, clinician = BatchState, Role.TECHNICIAN, Role.QA, Role.CLINICIAN
    return (
        _t(s.IN_CULTURE, s.HARVESTED, tech),
        _t(s.HARVESTED, s.AWAITING_RELEASE, tech),
        _t(s.AWAITING_RELEASE, s.RELEASED, qa),
        _t(s.AWAITING_RELEASE, s.REJECTED, qa, reason=True),
        *(_t(state, s.ON_HOLD, tech, qa, reason=True) for state in PRE_RELEASE_STATES),
        *(_t(state, s.TERMINATED, qa, reason=True) for state in (*PRE_RELEASE_STATES, s.ON_HOLD)),
        *(_t(s.ON_HOLD, state, qa, reason=True, resumes_hold=True) for state in PRE_RELEASE_STATES),
        _t(s.RELEASED, s.COMPLETED, clinician, system=True),
    )


# The whole lifecycle: every move not listed here is refused.
TRANSITIONS = _table()
_BY_MOVE = {(t.source, t.target): t for t in TRANSITIONS}


class TransitionRefused(ValueError):
    """A state change that is not allowed; ``code`` is stable, ``message`` is English."""

    def __init__(self, code: str, message: str, params: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params: dict = params or {}


def is_locked(state: BatchState | str) -> bool:
    """True once QA has decided on the batch or it has ended: its record is locked."""
    return BatchState(state) in LOCKED_STATES


def is_terminal(state: BatchState | str) -> bool:
    """True when the batch can never change state again."""
    return BatchState(state) in TERMINAL_STATES


def is_active_culture(state: BatchState | str) -> bool:
    """True while cells are being grown, so culture steps and counts may be logged."""
    return BatchState(state) is BatchState.IN_CULTURE


def find_transition(current: BatchState | str, target: BatchState | str) -> Transition | None:
    """The table row for moving from ``current`` to ``target``, if there is one."""
    return _BY_MOVE.get((BatchState(current), BatchState(target)))


def requires_reason(current: BatchState | str, target: BatchState | str) -> bool:
    """True when the move must be justified in the audit trail."""
    transition = find_transition(current, target)
    return bool(transition and transition.reason_required)


def role_may_make(transition: Transition, role: Role | str | None) -> bool:
    """True when ``role`` (``None`` = the system) may make ``transition``."""
    if role is None:
        return transition.system
    try:
        return Role(role) in transition.roles
    except ValueError:
        return False


def allowed_targets(
    current: BatchState | str, role: Role | str | None, resume_state: BatchState | str | None = None
) -> list[BatchState]:
    """States ``role`` may move the batch to now, in table order (for action buttons).

    From ``on_hold`` the resume target is offered only when ``resume_state`` is given.
    """
    current = BatchState(current)
    return [
        t.target
        for t in TRANSITIONS
        if t.source is current
        and role_may_make(t, role)
        and (not t.resumes_hold or (resume_state is not None and t.target == resume_state))
    ]


def check_transition(
    current: BatchState | str,
    target: BatchState | str,
    role: Role | str | None,
    reason: str | None = None,
    resume_state: BatchState | str | None = None,
) -> Transition:
    """Return the allowed transition, or raise ``TransitionRefused`` saying why not.

    ``role=None`` is the system acting on its own. ``resume_state`` is the state a held
    batch was held from; it is needed to lift a hold.
    """
    current, target = _parse_state(current), _parse_state(target)
    params = {"current": current.value, "target": target.value, "role": _role_value(role)}
    _refuse_if_terminal(current, params)
    transition = _BY_MOVE.get((current, target))
    if transition is None:
        raise _not_allowed(current, target, params)
    _refuse_if_role_not_allowed(transition, role, params)
    if transition.resumes_hold:
        _refuse_if_wrong_resume(target, resume_state, params)
    if transition.reason_required and not (reason or "").strip():
        raise TransitionRefused(
            "transition.reason_required",
            f"A reason is required for a batch to be {TARGET_ACTIONS[target]}",
            params,
        )
    return transition


def _parse_state(state: BatchState | str) -> BatchState:
    try:
        return BatchState(state)
    except ValueError:
        raise TransitionRefused(
            "transition.unknown_state", f"Unknown batch state: {state}", {"state": str(state)}
        ) from None


def _role_value(role: Role | str | None) -> str:
    return "system" if role is None else str(role)


def _refuse_if_terminal(current: BatchState, params: dict) -> None:
    if current in TERMINAL_STATES:
        raise TransitionRefused(
            "transition.terminal_state",
            f"A batch that is {STATE_LABELS[current]} can no longer change state",
            params,
        )


def _not_allowed(current: BatchState, target: BatchState, params: dict) -> TransitionRefused:
    return TransitionRefused(
        "transition.not_allowed",
        f"A batch that is {STATE_LABELS[current]} cannot be {TARGET_ACTIONS[target]}",
        params,
    )


def _refuse_if_role_not_allowed(
    transition: Transition, role: Role | str | None, params: dict
) -> None:
    if role_may_make(transition, role):
        return
    allowed = sorted(r.value for r in transition.roles) + (["system"] if transition.system else [])
    raise TransitionRefused(
        "transition.role_not_allowed",
        f"The role {params['role']} may not move a batch from "
        f"{STATE_LABELS[transition.source]} to {STATE_LABELS[transition.target]}",
        {**params, "allowed_roles": allowed},
    )


def _refuse_if_wrong_resume(
    target: BatchState, resume_state: BatchState | str | None, params: dict
) -> None:
    if resume_state is None:
        raise TransitionRefused(
            "transition.resume_state_unknown",
            "The state the batch was held from is not known, so the hold cannot be lifted",
            params,
        )
    held_from = _parse_state(resume_state)
    if target is not held_from:
        raise TransitionRefused(
            "transition.resume_state_mismatch",
            f"A batch held while {STATE_LABELS[held_from]} can only return to "
            f"{STATE_LABELS[held_from]}",
            {**params, "resume_state": held_from.value},
        )
