"""Follow-up rules: ODI 2.1a scoring, pain scales, the visit schedule and its windows."""

from datetime import date
from decimal import Decimal

import pytest

from labtrack.clinic.rules import odi
from labtrack.clinic.rules.adverse_events import decode_criteria, encode_criteria, is_serious
from labtrack.clinic.rules.followup import (
    DEFAULT_SCHEDULE,
    DEFAULT_SCHEDULE_TEXT,
    PainScale,
    ScheduleError,
    VisitState,
    as_nrs,
    pain_in_range,
    parse_schedule,
    schedule_states,
    windows,
)
from labtrack.clinic.rules.odi import OdiError, OdiProblem, odi_index


def test_odi_of_a_complete_questionnaire_is_total_over_fifty():
    assert odi_index([3, 2, 4, 1, 3, 2, 3, 4, 0, 2]) == Decimal("48.0")
    assert odi_index([0] * 10) == Decimal("0.0")
    assert odi_index([5] * 10) == Decimal("100.0")


def test_a_skipped_section_leaves_both_numerator_and_denominator():
    # 24 of 9 sections × 5 = 45, not 24 of 50.
    assert odi_index([3, 2, 4, 1, 3, 2, 3, 4, None, 2]) == Decimal("53.3")


def test_more_sections_skipped_than_the_limit_are_refused():
    answers = [3, 2, None, 1, 3, 2, 3, 4, None, 2]
    with pytest.raises(OdiError) as refused:
        odi_index(answers)
    assert refused.value.problem is OdiProblem.TOO_MANY_MISSING and refused.value.detail == 2
    assert odi_index(answers, max_missing=2) == Decimal("50.0")  # 20 / 40
    with pytest.raises(OdiError):
        odi_index([None] * 10, max_missing=10)


@pytest.mark.parametrize("answers", [[3] * 9, [3] * 11, [6] + [3] * 9, [-1] + [3] * 9])
def test_a_questionnaire_a_patient_cannot_give_is_refused(answers):
    with pytest.raises(OdiError):
        odi_index(answers)


def test_answers_are_stored_one_character_per_section():
    answers = [3, 2, None, 1, 3, 2, 3, 4, 0, 2]
    assert odi.encode(answers) == "32-1323402"
    assert odi.decode("32-1323402") == answers


def test_pain_scales_have_their_bounds():
    assert pain_in_range(10, PainScale.NRS) and not pain_in_range(11, PainScale.NRS)
    assert pain_in_range(100, PainScale.VAS) and not pain_in_range(101, PainScale.VAS)
    assert not pain_in_range(-1, PainScale.NRS)
    assert not pain_in_range(Decimal("4.5"), PainScale.NRS)
    assert as_nrs(65, PainScale.VAS) == Decimal("6.5") and as_nrs(7, PainScale.NRS) == 7


def test_windows_run_from_the_injection_day():
    found = {window.key: window for window in windows(date(2026, 1, 15))}
    assert found["baseline"].opens == date(2025, 12, 16)
    assert found["baseline"].closes == date(2026, 1, 15)
    assert found["week_1"].due == date(2026, 1, 22)
    assert found["month_3"].due == date(2026, 4, 16)
    assert found["month_3"].opens == date(2026, 4, 2)
    assert found["month_3"].closes == date(2026, 4, 30)
    assert found["month_12"].due == date(2027, 1, 15)
    assert found["month_12"].holds(date(2027, 2, 14)) and not found["month_12"].holds(
        date(2027, 2, 15))


def test_a_visit_is_upcoming_due_overdue_or_done():
    injected = date(2026, 1, 15)
    states = {w.key: s for w, s in schedule_states(injected, date(2026, 4, 20),
                                                         {"baseline", "week_1"})}
    assert states == {"baseline": VisitState.DONE, "week_1": VisitState.DONE,
                      "month_3": VisitState.DUE, "month_6": VisitState.UPCOMING,
                      "month_12": VisitState.UPCOMING}
    later = {w.key: s for w, s in schedule_states(injected, date(2026, 5, 1), ())}
    assert later["month_3"] is VisitState.OVERDUE and later["week_1"] is VisitState.OVERDUE


def test_the_schedule_is_a_setting():
    assert parse_schedule(DEFAULT_SCHEDULE_TEXT) == DEFAULT_SCHEDULE
    custom = parse_schedule("month_24:730:60:60, baseline:0:14:0, month_1:30:7:7")
    assert [visit.key for visit in custom] == ["baseline", "month_1", "month_24"]
    for bad in ("month_3:91:14", "baseline:0:30:0, month_3:x:1:1", "month_3:91:14:14",
                "baseline:0:1:0, baseline:0:1:0", "baseline:0:-1:0"):
        with pytest.raises(ScheduleError):
            parse_schedule(bad)


def test_seriousness_criteria_are_stored_in_a_fixed_order():
    assert encode_criteria(["hospitalisation", "death"]) == "death,hospitalisation"
    assert [c.value for c in decode_criteria("death,hospitalisation")] == [
        "death", "hospitalisation"]
    assert is_serious(["disability"]) and not is_serious([]) and is_serious([], "fatal")
