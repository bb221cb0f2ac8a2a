"""Outcome rules: responders, the mean change and its t-based 95 % CI, the cohort."""

from decimal import Decimal as D

import pytest

from labtrack.clinic.rules.outcomes import (
    Join,
    PatientOutcome,
    ResponderRule,
    is_responder,
    mean_change,
    summarise,
    t_quantile_975,
)


def test_pain_thirty_percent_lower_makes_a_responder():
    assert is_responder((D(7), D("4.9")), (None, None)) is True  # 30 % exactly
    assert is_responder((D(7), D(5)), (D(40), D(35))) is False  # 28.6 %, 5 points


def test_odi_ten_points_lower_makes_a_responder():
    assert is_responder((D(7), D(6)), (D(44), D(34))) is True
    assert is_responder((D(7), D(6)), (D(44), D("34.1"))) is False


def test_a_rule_needing_both_criteria():
    both = ResponderRule(join=Join.ALL)
    assert is_responder((D(8), D(2)), (D(50), D(45)), both) is False
    assert is_responder((D(8), D(2)), (D(50), D(30)), both) is True
    assert is_responder((D(8), D(2)), (None, None), both) is None


def test_the_rule_is_configurable():
    strict = ResponderRule(pain_percent=D(50), odi_points=D(15))
    assert is_responder((D(8), D(5)), (D(50), D(40)), strict) is False
    assert is_responder((D(8), D(4)), (D(50), D(40)), strict) is True


def test_nothing_recorded_cannot_be_judged():
    assert is_responder((D(7), None), (D(40), None)) is None
    assert is_responder((D(0), D(0)), (None, None)) is None


def test_t_quantiles():
    assert t_quantile_975(9) == pytest.approx(2.2622)
    assert t_quantile_975(35) == pytest.approx(2.0301, abs=2e-4)  # exact: 2.0301
    assert t_quantile_975(10_000) == pytest.approx(1.960, abs=1e-3)
    with pytest.raises(ValueError):
        t_quantile_975(0)


def test_mean_change_with_its_confidence_interval():
    change = mean_change([-4, -3, -5, -2, -4, -3, -6, -1, -4, 0])
    # mean −3.2, sd 1.8135, se 0.5735, t(9) 2.2622 → ±1.2973
    assert change.n == 10 and change.mean == pytest.approx(-3.2)
    assert change.low == pytest.approx(-4.4973, abs=1e-3)
    assert change.high == pytest.approx(-1.9027, abs=1e-3)
    assert mean_change([-2]).low is None and mean_change([]).mean is None


def test_nine_of_ten_improved():
    patients = [PatientOutcome(f"P{n}", D(7), D(3), D(44), D(20)) for n in range(9)]
    patients.append(PatientOutcome("P9", D(6), D(6), D(40), D(38)))
    patients.append(PatientOutcome("P10", D(7), None, D(40), None, lost=True))
    summary = summarise(patients)
    assert (summary.responders, summary.assessed) == (9, 10)
    assert (summary.treated, summary.followed, summary.lost) == (11, 10, 1)
    assert summary.pain.n == 10 and summary.pain.mean == pytest.approx(-3.6)
