"""The lab's clock: typed wall-clock times either side of a clock change, the lab's year."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from labtrack import clock

MADRID = ZoneInfo("Europe/Madrid")


def test_an_ordinary_time_is_read_in_the_lab_zone():
    assert clock.lab_local_to_utc(datetime(2026, 7, 1, 9, 30), MADRID) == \
        datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert clock.lab_local_to_utc(datetime(2026, 12, 1, 9, 30), MADRID) == \
        datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def test_an_aware_time_is_only_converted():
    aware = datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Madrid"), fold=1)
    assert clock.lab_local_to_utc(aware, MADRID) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_a_time_in_the_spring_gap_is_refused_not_shifted():
    with pytest.raises(clock.NonexistentLocalTime) as raised:
        clock.lab_local_to_utc(datetime(2026, 3, 29, 2, 30), MADRID)
    assert raised.value.offsets == (timedelta(hours=1), timedelta(hours=2))
    with pytest.raises(clock.NonexistentLocalTime):
        clock.lab_local_to_utc(datetime(2026, 3, 29, 2, 30), MADRID, timedelta(hours=1))
    assert clock.lab_local_to_utc(datetime(2026, 3, 29, 3, 0), MADRID) == \
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert clock.lab_local_to_utc(datetime(2026, 3, 29, 1, 59), MADRID) == \
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC)


def test_a_time_in_the_autumn_fold_needs_its_offset():
    typed = datetime(2026, 10, 25, 2, 30)
    with pytest.raises(clock.AmbiguousLocalTime) as raised:
        clock.lab_local_to_utc(typed, MADRID)
    assert raised.value.candidates() == (datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                                         datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert clock.lab_local_to_utc(typed, MADRID, timedelta(hours=2)) == \
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert clock.lab_local_to_utc(typed, MADRID, timedelta(hours=1)) == \
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    with pytest.raises(clock.AmbiguousLocalTime):
        clock.lab_local_to_utc(typed, MADRID, timedelta(hours=5))


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_every_wall_clock_time_is_one_instant_refused_or_asked(typed):
    typed = typed.replace(second=0, microsecond=0)
    try:
        instant = clock.lab_local_to_utc(typed, MADRID)
    except clock.NonexistentLocalTime:
        return
    except clock.AmbiguousLocalTime as fold:
        for candidate in fold.candidates():
            assert candidate.astimezone(MADRID).replace(tzinfo=None) == typed
        return
    assert instant.astimezone(MADRID).replace(tzinfo=None) == typed


def test_the_lab_year_is_the_lab_date_s_year():
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert clock.lab_year(MADRID) == 2027
        assert clock.lab_year(ZoneInfo("UTC")) == 2026
        assert clock.lab_today(MADRID).isoformat() == "2027-01-01"


def test_the_lab_now_to_the_minute_is_naive_local():
    with time_machine.travel(datetime(2028, 2, 29, 22, 59, 45, tzinfo=UTC), tick=False):
        assert clock.lab_now_minute(MADRID) == datetime(2028, 2, 29, 23, 59)


@pytest.mark.parametrize(("text", "offset"), [
    ("+02:00", timedelta(hours=2)), ("-03:30", -timedelta(hours=3, minutes=30)),
    ("+2:00", None), ("", None), (None, None), ("+15:00", None), ("+01:60", None),
    ("02:00x", None)])
def test_offsets_are_read_strictly(text, offset):
    assert clock.parse_offset(text) == offset


def test_offsets_print_as_people_write_them():
    assert clock.format_offset(timedelta(hours=1)) == "+01:00"
    assert clock.format_offset(-timedelta(hours=3, minutes=30)) == "-03:30"
