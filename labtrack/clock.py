"""The one clock and the lab's local time: "now", clock skew, the lab's calendar.

Every rule that depends on the date or the hour reads "now" from :func:`utcnow` and
turns it into the lab's calendar here, so a test can set the time for all of them at
once (``time_machine.travel``) and no rule has its own idea of today or of a zone.
Pure: no Flask, no database; the lab's zone is passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# How far ahead of the server's clock a typed or sent time may be (a wall clock, a
# counter's clock or a phone a few minutes fast) before it counts as "in the future".
CLOCK_SKEW = timedelta(minutes=5)


_PRETENDED: ContextVar[datetime | None] = ContextVar("labtrack_pretended_now", default=None)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (pass the function, never its result)."""
    pretended = _PRETENDED.get()
    return pretended if pretended is not None else datetime.now(UTC)


@contextmanager
def pretend_now(moment: datetime) -> Iterator[None]:
    """Within the block, "now" is ``moment`` (aware): for demo data made as of a past day,
    through the same use cases and checks a user meets then. Never used by a request."""
    if moment.tzinfo is None:
        raise ValueError("pretend_now needs an aware time")
    token = _PRETENDED.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _PRETENDED.reset(token)


def zone_of(config) -> ZoneInfo:
    """The lab's zone from a configuration mapping (setting ``LAB_TIMEZONE``)."""
    return ZoneInfo(config["LAB_TIMEZONE"])


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """An aware instant as the lab's wall clock shows it."""
    return moment.astimezone(zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The lab's calendar date at an instant (not UTC's: at 23:30 UTC Madrid is tomorrow)."""
    return moment.astimezone(zone).date()


def lab_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date in the lab."""
    return local_date(now or utcnow(), zone)


def lab_year(zone: ZoneInfo, now: datetime | None = None) -> int:
    """The lab's calendar year now: the nominal year of DINs and yearly numbers."""
    return lab_today(zone, now).year


def lab_now_minute(zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """The lab's wall-clock time to the minute, naive: a ``datetime-local`` input's value."""
    return (now or utcnow()).astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)


def in_future(moment: datetime, now: datetime | None = None) -> bool:
    """Whether an entered time is later than now by more than the allowed clock skew."""
    return moment > (now or utcnow()) + CLOCK_SKEW


def culture_day(seeded_at: datetime, at: datetime, zone: ZoneInfo) -> int:
    """Culture day of ``at``: lab calendar days since seeding (seeding day = 0, negative before).

    Counted in the lab's calendar, not in 24-hour spans: a step at 08:00 the morning after
    a 17:00 seeding is day 1, and a day with a clock change still counts as one day.
    """
    return (local_date(at, zone) - local_date(seeded_at, zone)).days


class LocalTimeError(ValueError):
    """A typed wall-clock time that does not name exactly one instant in the lab's zone."""

    def __init__(self, value: datetime, zone: ZoneInfo, offsets: tuple[timedelta, ...]):
        super().__init__(f"{value:%Y-%m-%d %H:%M} is not one instant in {zone.key}")
        self.value = value
        self.zone = zone
        self.offsets = offsets  # the UTC offsets in force either side of the change


class NonexistentLocalTime(LocalTimeError):
    """The time falls in the spring-forward gap: the clocks skipped it."""


class AmbiguousLocalTime(LocalTimeError):
    """The time falls in the autumn fold: the clocks showed it twice."""

    def candidates(self) -> tuple[datetime, datetime]:
        """The two instants it can mean, the earlier (summer time) first, in UTC."""
        return tuple(self.value.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
                     for fold in (0, 1))


def _offsets(value: datetime, zone: ZoneInfo) -> tuple[timedelta, timedelta]:
    return tuple(value.replace(tzinfo=zone, fold=fold).utcoffset() for fold in (0, 1))


def lab_local_to_utc(value: datetime, zone: ZoneInfo, offset: timedelta | None = None
                     ) -> datetime:
    """A wall-clock time typed in the lab as an aware UTC instant, never silently shifted.

    An aware ``value`` is only converted. A naive one that the clocks skipped raises
    :class:`NonexistentLocalTime`; one they showed twice raises :class:`AmbiguousLocalTime`
    unless ``offset`` says which of the two is meant. Raises ``OverflowError`` for a time
    at the very edge of the calendar (year 1 or 9999) that has no UTC equivalent.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    first, second = _offsets(value, zone)
    if first == second:
        return value.replace(tzinfo=zone).astimezone(UTC)
    wall = value.replace(tzinfo=zone)
    if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise NonexistentLocalTime(value, zone, (first, second))
    if offset in (first, second):
        return (value - offset).replace(tzinfo=UTC)
    raise AmbiguousLocalTime(value, zone, (first, second))


def format_offset(offset: timedelta) -> str:
    """A UTC offset as people write it: +02:00."""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_offset(text: str | None) -> timedelta | None:
    """``+02:00`` → 2 hours; None for anything else."""
    text = (text or "").strip()
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    hours, minutes = text[1:3], text[4:6]
    if not (hours.isdigit() and minutes.isdigit()) or int(hours) > 14 or int(minutes) > 59:
        return None
    span = timedelta(hours=int(hours), minutes=int(minutes))
    return span if text[0] == "+" else -span
