"""The batch lifecycle: allowed transitions, who may make them, and every refusal."""

import pytest

from labtrack.culture.rules.states import (
    LOCKED_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    BatchState,
    TransitionRefused,
    allowed_targets,
    check_transition,
    is_active_culture,
    is_locked,
    is_terminal,
    requires_reason,
)
from labtrack.web.policy import Role

S = BatchState
TECH, QA, CLINICIAN, ADMIN = Role.TECHNICIAN, Role.QA, Role.CLINICIAN, Role.ADMIN
SYSTEM = None
PRE_RELEASE = (S.IN_CULTURE, S.HARVESTED, S.AWAITING_RELEASE)

# (current, target, who may, reason required), written out by hand to check the table.
EXPECTED = [
    (S.IN_CULTURE, S.HARVESTED, {TECH}, False),
    (S.HARVESTED, S.AWAITING_RELEASE, {TECH}, False),
    (S.AWAITING_RELEASE, S.RELEASED, {QA}, False),
    (S.AWAITING_RELEASE, S.REJECTED, {QA}, True),
    *((state, S.ON_HOLD, {TECH, QA}, True) for state in PRE_RELEASE),
    *((state, S.TERMINATED, {QA}, True) for state in (*PRE_RELEASE, S.ON_HOLD)),
    *((S.ON_HOLD, state, {QA}, True) for state in PRE_RELEASE),
    (S.RELEASED, S.COMPLETED, {CLINICIAN, SYSTEM}, False),
]
ALLOWED = [
    (current, target, actor, reason)
    for current, target, actors, reason in EXPECTED
    for actor in sorted(actors, key=str)
]


def refusal(current, target, role, reason=None, resume_state=None) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as caught:
        check_transition(current, target, role, reason, resume_state)
    return caught.value


def test_the_table_holds_exactly_the_expected_moves():
    assert {(t.source, t.target) for t in TRANSITIONS} == {(c, t) for c, t, _, _ in EXPECTED}


@pytest.mark.parametrize(("current", "target", "role", "needs_reason"), ALLOWED)
def test_every_allowed_transition_is_accepted(current, target, role, needs_reason):
    reason = "documented reason" if needs_reason else None
    resume_state = target if current is S.ON_HOLD and target in PRE_RELEASE else None
    transition = check_transition(current, target, role, reason, resume_state)
    assert (transition.source, transition.target) == (current, target)
    assert transition.reason_required is needs_reason
    assert requires_reason(current, target) is needs_reason


def test_states_may_be_given_as_plain_strings():
    assert check_transition("in_culture", "harvested", "technician").target is S.HARVESTED


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (S.RELEASED, S.ON_HOLD, "A batch that is released cannot be put on hold"),
        (S.RELEASED, S.TERMINATED, "A batch that is released cannot be terminated"),
        (S.IN_CULTURE, S.RELEASED, "A batch that is in culture cannot be released"),
        (S.HARVESTED, S.IN_CULTURE, "A batch that is harvested cannot be returned to culture"),
        (S.IN_CULTURE, S.AWAITING_RELEASE, "A batch that is in culture cannot be sent for release"),
        (S.ON_HOLD, S.RELEASED, "A batch that is on hold cannot be released"),
        (S.ON_HOLD, S.ON_HOLD, "A batch that is on hold cannot be put on hold"),
        (S.AWAITING_RELEASE, S.COMPLETED, "A batch that is awaiting release cannot be marked "
                                          "completed"),
    ],
)  # fmt: skip
def test_unknown_transitions_are_refused_naming_both_states(current, target, message):
    refused = refusal(current, target, QA, reason="why not")
    assert refused.code == "transition.not_allowed"
    assert refused.message == message == str(refused)
    assert refused.params == {"current": current.value, "target": target.value, "role": "qa"}


@pytest.mark.parametrize(
    ("current", "target", "role"),
    [
        (S.IN_CULTURE, S.HARVESTED, QA),
        (S.IN_CULTURE, S.HARVESTED, CLINICIAN),
        (S.IN_CULTURE, S.HARVESTED, SYSTEM),
        (S.HARVESTED, S.AWAITING_RELEASE, ADMIN),
        (S.AWAITING_RELEASE, S.RELEASED, TECH),
        (S.AWAITING_RELEASE, S.REJECTED, TECH),
        (S.HARVESTED, S.TERMINATED, TECH),
        (S.IN_CULTURE, S.ON_HOLD, CLINICIAN),
        (S.ON_HOLD, S.HARVESTED, TECH),
        (S.RELEASED, S.COMPLETED, QA),
        (S.IN_CULTURE, S.HARVESTED, "visitor"),
    ],
)
def test_roles_not_in_the_table_are_refused(current, target, role):
    refused = refusal(current, target, role, reason="why", resume_state=target)
    assert refused.code == "transition.role_not_allowed"
    assert refused.params["role"] == ("system" if role is None else str(role))
    assert "may not move a batch from" in refused.message


def test_role_refusal_lists_who_may():
    refused = refusal(S.RELEASED, S.COMPLETED, TECH)
    assert refused.params["allowed_roles"] == ["clinician", "system"]
    assert refused.message == "The role technician may not move a batch from released to completed"


REASONED = [(current, target) for current, target, _, needs in EXPECTED if needs]


@pytest.mark.parametrize(("current", "target"), REASONED)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_reason_is_required_where_the_table_says(current, target, reason):
    refused = refusal(current, target, QA, reason=reason, resume_state=target)
    assert refused.code == "transition.reason_required"
    assert refused.message.startswith("A reason is required for a batch to be ")


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
@pytest.mark.parametrize("target", list(S))
def test_terminal_states_never_change(terminal, target):
    refused = refusal(terminal, target, QA, reason="because")
    assert refused.code == "transition.terminal_state"
    assert "can no longer change state" in refused.message


def test_lifting_a_hold_needs_the_state_it_was_held_from():
    refused = refusal(S.ON_HOLD, S.HARVESTED, QA, reason="investigation closed")
    assert refused.code == "transition.resume_state_unknown"


def test_lifting_a_hold_returns_only_to_the_state_it_was_held_from():
    refused = refusal(S.ON_HOLD, S.AWAITING_RELEASE, QA, "closed", resume_state=S.IN_CULTURE)
    assert refused.code == "transition.resume_state_mismatch"
    assert refused.message == "A batch held while in culture can only return to in culture"
    assert refused.params["resume_state"] == "in_culture"


def test_a_held_batch_can_be_terminated_without_knowing_where_it_was_held():
    assert check_transition(S.ON_HOLD, S.TERMINATED, QA, "contaminated").target is S.TERMINATED


@pytest.mark.parametrize("bad", ["cultured", ""])
def test_unknown_states_are_refused(bad):
    assert refusal(bad, S.HARVESTED, TECH).code == "transition.unknown_state"
    assert refusal(S.IN_CULTURE, bad, TECH).code == "transition.unknown_state"


def test_refusal_is_a_value_error():
    assert issubclass(TransitionRefused, ValueError)


@pytest.mark.parametrize(
    ("current", "role", "resume_state", "targets"),
    [
        (S.IN_CULTURE, TECH, None, [S.HARVESTED, S.ON_HOLD]),
        (S.IN_CULTURE, QA, None, [S.ON_HOLD, S.TERMINATED]),
        (S.IN_CULTURE, CLINICIAN, None, []),
        (S.HARVESTED, TECH, None, [S.AWAITING_RELEASE, S.ON_HOLD]),
        (S.AWAITING_RELEASE, QA, None, [S.RELEASED, S.REJECTED, S.ON_HOLD, S.TERMINATED]),
        (S.AWAITING_RELEASE, ADMIN, None, []),
        (S.ON_HOLD, QA, None, [S.TERMINATED]),
        (S.ON_HOLD, QA, S.HARVESTED, [S.TERMINATED, S.HARVESTED]),
        (S.ON_HOLD, TECH, S.HARVESTED, []),
        (S.RELEASED, CLINICIAN, None, [S.COMPLETED]),
        (S.RELEASED, SYSTEM, None, [S.COMPLETED]),
        (S.RELEASED, QA, None, []),
        (S.COMPLETED, QA, None, []),
    ],
)
def test_allowed_targets_offer_only_what_the_role_may_do(current, role, resume_state, targets):
    assert allowed_targets(current, role, resume_state) == targets


@pytest.mark.parametrize("state", list(S))
def test_locked_and_terminal_states(state):
    assert is_locked(state) is (state in {S.RELEASED, S.REJECTED, S.TERMINATED, S.COMPLETED})
    assert is_terminal(state) is (state in {S.REJECTED, S.TERMINATED, S.COMPLETED})
    assert is_locked(state) is (state in LOCKED_STATES)


@pytest.mark.parametrize("state", list(S))
def test_only_a_batch_in_culture_is_an_active_culture(state):
    assert is_active_culture(state) is (state is S.IN_CULTURE)
    assert is_active_culture(state.value) is (state is S.IN_CULTURE)
