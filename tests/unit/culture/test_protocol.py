"""The culture protocol: due and overdue tasks, and steps outside their window."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config import BaseConfig
from labtrack.culture.rules.protocol import (
    ALWAYS,
    CultureProtocol,
    StepFact,
    TaskStatus,
    Timing,
    WorkDates,
    outside_window,
    tasks_for,
    work_dates,
)

MADRID = ZoneInfo("Europe/Madrid")
SEEDED = datetime(2026, 3, 2, 11, 0, tzinfo=MADRID)  # culture day 0
P = CultureProtocol()


def at(day: int, hour: int = 10) -> datetime:
    """Local time on a culture day."""
    return (SEEDED + timedelta(days=day)).replace(hour=hour)


def seeded(*more: StepFact) -> list[StepFact]:
    return [StepFact("isolation", SEEDED - timedelta(hours=2)), StepFact("seeding", SEEDED),
            *more]


def by_kind(tasks):
    return {task.kind: task for task in tasks}


def test_defaults_match_the_lab_protocol():
    assert P.non_adherent_removal_days == (2, 3)
    assert P.medium_change_days == (3, 4)
    assert P.observation_days == (1, 2)
    assert (P.passage_due_confluence, P.passage_overdue_confluence) == (70, 80)
    assert P.harvest_days == (19, 23)


def test_from_config_reads_every_setting():
    config = {
        "CULTURE_NON_ADHERENT_REMOVAL_FIRST_DAY": 1, "CULTURE_NON_ADHERENT_REMOVAL_LAST_DAY": 2,
        "CULTURE_MEDIUM_CHANGE_MIN_DAYS": 2, "CULTURE_MEDIUM_CHANGE_MAX_DAYS": 4,
        "CULTURE_OBSERVATION_MIN_DAYS": 1, "CULTURE_OBSERVATION_MAX_DAYS": 1,
        "CULTURE_PASSAGE_DUE_CONFLUENCE": "75", "CULTURE_PASSAGE_OVERDUE_CONFLUENCE": 90,
        "CULTURE_HARVEST_DAY": 18, "CULTURE_HARVEST_TOLERANCE_DAYS": 3,
    }
    protocol = CultureProtocol.from_config(config)
    assert protocol.medium_change_days == (2, 4)
    assert protocol.passage_due_confluence == 75
    assert protocol.harvest_days == (15, 21)


def test_the_default_settings_give_the_default_protocol():
    settings = {name: getattr(BaseConfig, name) for name in dir(BaseConfig)
                if name.startswith("CULTURE_")}
    assert CultureProtocol.from_config(settings) == CultureProtocol()


@pytest.mark.parametrize("kwargs", [
    {"medium_change_days": (4, 3)},
    {"observation_days": (-1, 2)},
    {"passage_due_confluence": 80, "passage_overdue_confluence": 80},
    {"passage_overdue_confluence": 120},
    {"harvest_day": 2, "harvest_tolerance_days": 2},
])
def test_an_impossible_protocol_is_refused(kwargs):
    with pytest.raises(ValueError):
        CultureProtocol(**kwargs)


def test_naive_step_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        StepFact("seeding", datetime(2026, 3, 2, 11, 0))


def test_before_seeding_the_isolation_then_the_seeding_is_due():
    assert [(t.kind, t.status) for t in tasks_for([], at(0), MADRID, P)] == [
        ("isolation", TaskStatus.DUE)]
    isolated = [StepFact("isolation", SEEDED)]
    assert [t.kind for t in tasks_for(isolated, at(0), MADRID, P)] == ["seeding"]


def test_day_one_only_the_observation_is_due():
    tasks = tasks_for(seeded(), at(1), MADRID, P)
    assert [t.kind for t in tasks if t.actionable] == ["observation"]
    upcoming = by_kind(tasks)
    assert upcoming["non_adherent_removal"].status == TaskStatus.UPCOMING
    assert (upcoming["non_adherent_removal"].opens_day,
            upcoming["non_adherent_removal"].closes_day) == (2, 3)
    assert "medium_change" not in upcoming  # the removal feeds the primary culture


def test_non_adherent_removal_is_due_on_days_2_and_3_then_overdue():
    assert by_kind(tasks_for(seeded(), at(2), MADRID, P))["non_adherent_removal"].status \
        == TaskStatus.DUE
    assert by_kind(tasks_for(seeded(), at(3), MADRID, P))["non_adherent_removal"].status \
        == TaskStatus.DUE
    late = by_kind(tasks_for(seeded(), at(4), MADRID, P))["non_adherent_removal"]
    assert late.status == TaskStatus.OVERDUE
    assert tasks_for(seeded(), at(4), MADRID, P)[0] == late  # overdue first


def test_medium_change_every_three_to_four_days_after_the_last_feed():
    steps = seeded(StepFact("non_adherent_removal", at(2)),
                   StepFact("medium_change", at(6)))
    assert by_kind(tasks_for(steps, at(8), MADRID, P))["medium_change"].status \
        == TaskStatus.UPCOMING
    due = by_kind(tasks_for(steps, at(9), MADRID, P))["medium_change"]
    assert (due.status, due.opens_day, due.closes_day) == (TaskStatus.DUE, 9, 10)
    assert by_kind(tasks_for(steps, at(11), MADRID, P))["medium_change"].status \
        == TaskStatus.OVERDUE
    assert "non_adherent_removal" not in by_kind(tasks_for(steps, at(9), MADRID, P))


def test_a_passage_feeds_the_culture_and_resets_the_medium_change():
    steps = seeded(StepFact("non_adherent_removal", at(2)),
                   StepFact("observation", at(9), confluence=75),
                   StepFact("passage", at(10)))
    change = by_kind(tasks_for(steps, at(12), MADRID, P))["medium_change"]
    assert (change.opens_day, change.closes_day, change.status) == (13, 14,
                                                                    TaskStatus.UPCOMING)


def test_observation_daily_overdue_after_two_days():
    steps = seeded(StepFact("observation", at(4), confluence=30))
    assert by_kind(tasks_for(steps, at(4, 18), MADRID, P))["observation"].status \
        == TaskStatus.UPCOMING
    assert by_kind(tasks_for(steps, at(5), MADRID, P))["observation"].status == TaskStatus.DUE
    assert by_kind(tasks_for(steps, at(7), MADRID, P))["observation"].status \
        == TaskStatus.OVERDUE


@pytest.mark.parametrize(("confluence", "status"), [
    (50, None), (69, None), (70, TaskStatus.DUE), (79, TaskStatus.DUE),
    (80, TaskStatus.DUE), (81, TaskStatus.OVERDUE), (95, TaskStatus.OVERDUE),
])
def test_passage_is_driven_by_the_latest_confluence(confluence, status):
    steps = seeded(StepFact("non_adherent_removal", at(2)),
                   StepFact("observation", at(5), confluence=40),
                   StepFact("observation", at(8), confluence=confluence))
    passage = by_kind(tasks_for(steps, at(8, 12), MADRID, P)).get("passage")
    assert (passage.status if passage else None) == status
    if passage:
        assert passage.confluence == confluence


def test_a_passage_starts_a_new_culture_whose_confluence_is_unknown():
    steps = seeded(StepFact("non_adherent_removal", at(2)),
                   StepFact("observation", at(9), confluence=85),
                   StepFact("passage", at(9, 14), confluence=85))
    assert "passage" not in by_kind(tasks_for(steps, at(10), MADRID, P))


def test_a_passage_at_80_percent_confluence_is_inside_the_70_to_80_window():
    steps = seeded(StepFact("non_adherent_removal", at(2)),
                   StepFact("observation", at(9), confluence=80))
    assert outside_window("passage", at(9, 11), steps, MADRID, P, confluence=80) is None
    assert outside_window("passage", at(9, 11), steps, MADRID, P, confluence=70) is None


def test_nothing_says_passage_due_right_after_a_passage_in_the_same_minute():
    # The observation was recorded 20 s into the minute; the passage form took the minute.
    steps = seeded(StepFact("non_adherent_removal", at(2)),
                   StepFact("observation", at(9) + timedelta(seconds=20), confluence=78, seq=7),
                   StepFact("passage", at(9), confluence=78, seq=8))
    assert "passage" not in by_kind(tasks_for(steps, at(9, 11), MADRID, P))
    assert work_dates(steps, MADRID, P).due_on != ALWAYS
    later = [*steps, StepFact("observation", at(9, 10) + timedelta(seconds=40),
                              confluence=72, seq=9)]
    assert by_kind(tasks_for(later, at(9, 11), MADRID, P))["passage"].confluence == 72


def test_harvest_around_day_21_and_nothing_after_it():
    steps = seeded(StepFact("non_adherent_removal", at(2)),
                   StepFact("medium_change", at(17)))
    assert by_kind(tasks_for(steps, at(18), MADRID, P))["harvest"].status \
        == TaskStatus.UPCOMING
    assert by_kind(tasks_for(steps, at(19), MADRID, P))["harvest"].status == TaskStatus.DUE
    assert by_kind(tasks_for(steps, at(24), MADRID, P))["harvest"].status \
        == TaskStatus.OVERDUE
    harvested = [*steps, StepFact("harvest", at(21))]
    assert tasks_for(harvested, at(22), MADRID, P) == []


def test_culture_days_are_local_calendar_days_across_a_dst_change():
    # Seeded 23:30 on Saturday 28 March 2026; clocks go forward on Sunday 29 March.
    late_seed = datetime(2026, 3, 28, 23, 30, tzinfo=MADRID)
    steps = [StepFact("seeding", late_seed)]
    on_day_2 = datetime(2026, 3, 30, 0, 30, tzinfo=MADRID)  # 24 h later in absolute time
    removal = by_kind(tasks_for(steps, on_day_2, MADRID, P))["non_adherent_removal"]
    assert removal.status == TaskStatus.DUE


@pytest.mark.parametrize(("day", "timing"), [
    (1, Timing.EARLY), (2, None), (3, None), (4, Timing.LATE),
])
def test_non_adherent_removal_window(day, timing):
    issue = outside_window("non_adherent_removal", at(day), seeded(), MADRID, P)
    assert (issue.timing if issue else None) == timing
    if issue:
        assert (issue.day, issue.opens_day, issue.closes_day) == (day, 2, 3)


@pytest.mark.parametrize(("day", "timing"), [
    (7, Timing.EARLY), (8, None), (9, None), (10, Timing.LATE), (14, Timing.LATE),
])
def test_medium_change_window(day, timing):
    steps = seeded(StepFact("non_adherent_removal", at(2)), StepFact("medium_change", at(5)))
    issue = outside_window("medium_change", at(day), steps, MADRID, P)
    assert (issue.timing if issue else None) == timing


def test_the_window_is_judged_on_steps_before_the_step():
    steps = seeded(StepFact("non_adherent_removal", at(2)), StepFact("medium_change", at(5)),
                   StepFact("medium_change", at(9)))
    # Recording the day-9 change again afterwards: the later change is ignored.
    assert outside_window("medium_change", at(9), steps, MADRID, P) is None


def test_an_observation_is_never_early_but_can_be_late():
    steps = seeded(StepFact("observation", at(3)))
    assert outside_window("observation", at(3, 15), steps, MADRID, P) is None
    assert outside_window("observation", at(5), steps, MADRID, P) is None
    late = outside_window("observation", at(6), steps, MADRID, P)
    assert (late.timing, late.closes_day) == (Timing.LATE, 5)


@pytest.mark.parametrize(("given", "observed", "timing"), [
    (None, 60, Timing.EARLY), (None, 75, None), (None, 85, Timing.LATE),
    (72, 60, None), (65, 75, Timing.EARLY), (80, 75, None), (81, 75, Timing.LATE),
    (70, 90, None), (None, 80, None), (None, None, None),
])
def test_passage_window_by_confluence(given, observed, timing):
    extra = [StepFact("observation", at(8), confluence=observed)] if observed else []
    steps = seeded(StepFact("non_adherent_removal", at(2)), *extra)
    issue = outside_window("passage", at(9), steps, MADRID, P, confluence=given)
    assert (issue.timing if issue else None) == timing
    if issue:
        assert issue.confluence == (given if given is not None else observed)
        assert (issue.due_confluence, issue.overdue_confluence) == (70, 80)


@pytest.mark.parametrize(("day", "timing"), [
    (18, Timing.EARLY), (19, None), (21, None), (23, None), (24, Timing.LATE),
])
def test_harvest_window(day, timing):
    issue = outside_window("harvest", at(day), seeded(StepFact("non_adherent_removal", at(2))),
                           MADRID, P)
    assert (issue.timing if issue else None) == timing


def test_steps_without_a_window():
    assert outside_window("isolation", at(0), [], MADRID, P) is None
    assert outside_window("seeding", at(0), [StepFact("isolation", at(0, 8))], MADRID, P) \
        is None
    assert outside_window("medium_change", at(5), [], MADRID, P) is None  # not seeded
    removed = seeded(StepFact("non_adherent_removal", at(2)))
    assert outside_window("non_adherent_removal", at(9), removed, MADRID, P) is None
    harvested = [*removed, StepFact("harvest", at(21))]
    assert outside_window("medium_change", at(30), harvested, MADRID, P) is None


# --- the stored work dates agree with the tasks, whatever the steps and the day ------------

KINDS = ("isolation", "seeding", "non_adherent_removal", "medium_change", "observation",
         "passage", "harvest")
step_strategy = st.builds(
    lambda kind, hours, confluence: StepFact(
        kind, SEEDED + timedelta(hours=hours),
        confluence if kind in ("observation", "passage") else None),
    st.sampled_from(KINDS), st.integers(-48, 30 * 24), st.none() | st.integers(0, 100))


@settings(max_examples=400, deadline=None)
@given(steps=st.lists(step_strategy, max_size=12), hours_later=st.integers(-72, 40 * 24),
       zone=st.sampled_from(["Europe/Madrid", "Atlantic/Canary", "UTC", "Pacific/Auckland"]))
def test_work_dates_say_when_tasks_are_due_and_overdue(steps, hours_later, zone):
    tz = ZoneInfo(zone)
    now = SEEDED + timedelta(hours=hours_later)
    tasks = [task for task in tasks_for(steps, now, tz, P) if task.actionable]
    dates = work_dates(steps, tz, P)
    today = now.astimezone(tz).date()
    assert bool(tasks) == (dates.due_on is not None and today >= dates.due_on)
    overdue = any(task.status == TaskStatus.OVERDUE for task in tasks)
    assert overdue == (dates.overdue_on is not None and today >= dates.overdue_on)


def test_work_dates_of_a_fresh_culture():
    dates = work_dates(seeded(), MADRID, P)
    assert dates.due_on == min(at(P.observation_days[0]).date(),
                               at(P.non_adherent_removal_days[0]).date())
    assert dates.overdue_on == at(P.observation_days[1] + 1).date()
    assert work_dates([], MADRID, P).due_on == ALWAYS  # isolation is due straight away
    assert work_dates(seeded(StepFact("harvest", at(21))), MADRID, P) == WorkDates(None, None)


def test_a_count_is_due_after_the_protocols_interval_and_overdue_after_it():
    steps = seeded(StepFact("non_adherent_removal", at(2)))
    counted = at(5)
    assert "count" not in {t.kind for t in tasks_for(steps, at(11), MADRID, P, counted)
                           if t.actionable}
    due = by_kind(tasks_for(steps, at(12), MADRID, P, counted))["count"]
    assert (due.status, due.opens_day) == (TaskStatus.DUE, 12)
    assert by_kind(tasks_for(steps, at(13), MADRID, P, counted))["count"].status \
        == TaskStatus.OVERDUE
    never = by_kind(tasks_for(steps, at(8), MADRID, P))["count"]  # from the seeding
    assert never.status == TaskStatus.OVERDUE
    assert work_dates(steps, MADRID, P, counted).overdue_on <= (SEEDED + timedelta(days=13)
                                                               ).date()
