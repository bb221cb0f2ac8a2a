"""When a procedure may be planned: not in the past, within the horizon and the authorisation."""

from datetime import date

from labtrack.orders.rules.planning import planned_date_problem

TODAY = date(2026, 12, 7)


def _code(planned, horizon=365, until=None):
    problem = planned_date_problem(planned, TODAY, horizon, until)
    return problem.code if problem else None


def test_a_procedure_on_2999_12_31_is_beyond_the_horizon():
    assert _code(date(2999, 12, 31)) == "planned.beyond_horizon"


def test_the_horizon_and_today_are_inclusive():
    assert _code(date(2027, 12, 7)) is None
    assert _code(date(2027, 12, 8)) == "planned.beyond_horizon"
    assert _code(TODAY) is None
    assert _code(date(2026, 12, 6)) == "planned.past"
    assert _code(None) == "planned.past"


def test_the_procedure_must_fall_within_the_authorisations_validity():
    assert _code(date(2027, 1, 10), until=date(2027, 1, 10)) is None
    assert _code(date(2027, 1, 11), until=date(2027, 1, 10)) == "planned.after_authorisation"
