"""Readiness ages: worked out as of now, not as of the last entry."""

from datetime import timedelta

from labtrack.clinic.rules.readiness import Alert, Status, assess, stored_status
from tests.unit.clinic.test_readiness import LEAD, NOW, TZ, culture, growing


def test_a_projected_ready_date_that_passed_without_the_target_is_at_risk():
    order = culture(counts=growing())
    on_time = assess(order, NOW, TZ, LEAD)
    assert on_time.status is Status.IN_CULTURE
    ready = on_time.ready.projected
    the_day_after = NOW + timedelta(days=(ready - NOW.date()).days + 1)
    aged = assess(order, the_day_after, TZ, LEAD)
    assert aged.status is Status.AT_RISK
    assert Alert.READY_DATE_PASSED in aged.alerts and Alert.AT_RISK in aged.alerts
    assert assess(order, the_day_after - timedelta(days=1), TZ, LEAD).status \
        is Status.IN_CULTURE  # on the ready day itself, still on time


def test_the_stored_status_ages_without_new_entries():
    order = culture(counts=growing())
    stored = stored_status(assess(order, NOW, TZ, LEAD), LEAD, TZ)
    assert stored.status_at(NOW) is Status.IN_CULTURE
    assert stored.status_at(NOW + timedelta(days=30)) is Status.AT_RISK


def test_no_count_for_longer_than_the_interval_is_count_overdue():
    order = culture(counts=growing())  # the last count is NOW
    assert Alert.COUNT_OVERDUE not in assess(order, NOW + timedelta(days=7), TZ, LEAD,
                                             count_interval_days=7).alerts
    assert Alert.COUNT_OVERDUE in assess(order, NOW + timedelta(days=8), TZ, LEAD,
                                         count_interval_days=7).alerts


def test_a_culture_never_counted_is_count_overdue_from_its_seeding():
    order = culture(seeded_at=NOW - timedelta(days=26))
    result = assess(order, NOW, TZ, LEAD, count_interval_days=7)
    assert Alert.COUNT_OVERDUE in result.alerts and result.culture_day == 26


def test_the_culture_day_is_todays():
    order = culture(counts=growing())
    assert assess(order, NOW + timedelta(days=29), TZ, LEAD).culture_day == 38
