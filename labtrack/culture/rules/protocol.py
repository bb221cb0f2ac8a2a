"""The culture protocol: which steps are due when, and when a step is outside its window.

Culture days are local calendar days since seeding (day 0), as on every batch page.
The rules, each configurable (``CULTURE_*`` settings, see :meth:`CultureProtocol.from_config`):

- Removal of non-adherent cells: once, in the primary culture (passage 0), on days 2–3.
- Medium change: 3–4 days after the culture was last fed (seeding, removal of non-adherent
  cells, medium change or passage all give fresh medium). In the primary culture it is not
  asked for until the non-adherent cells are removed: that step feeds the culture.
- Observation: 1–2 days after the last look (an observation, the seeding or a passage).
- Passage: due once the latest observation of the current passage shows ≥ 70 % confluence,
  overdue above 80 % (the window is 70–80 %, inclusive at both ends). An observation made
  at the very moment of a passage (the same minute on the form) is the one the passage was
  judged on: it belongs to the passage before, so nothing is due right after a passage.
- Harvest: days 19–23 (day 21 ± 2). Nothing else is due once the harvest is recorded.
- Cell count (a task, not a step): due ``count_interval_days`` after the last count (or
  the seeding, before the first), overdue the day after: no count for longer than the
  interval is "count overdue".

A task is *upcoming* before its window opens, *due* inside it and *overdue* once it has
closed. A step done before its window opens or after it closed is *outside its window*,
which asks for a deviation. An observation is never early (looking more often is good
practice); a passage is judged on the confluence seen just before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class StepKind(StrEnum):
    """What a culture step is; the order is the protocol's (isolation first, harvest last)."""

    ISOLATION = "isolation"
    SEEDING = "seeding"
    NON_ADHERENT_REMOVAL = "non_adherent_removal"
    MEDIUM_CHANGE = "medium_change"
    OBSERVATION = "observation"
    PASSAGE = "passage"
    HARVEST = "harvest"


COUNT_TASK = "count"  # a task of the protocol that no step records: a cell count
FEEDING_KINDS = frozenset({StepKind.SEEDING, StepKind.NON_ADHERENT_REMOVAL,
                           StepKind.MEDIUM_CHANGE, StepKind.PASSAGE})
LOOKING_KINDS = frozenset({StepKind.SEEDING, StepKind.OBSERVATION, StepKind.PASSAGE})
KIND_ORDER = tuple(StepKind)


class TaskStatus(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"


class Timing(StrEnum):
    EARLY = "early"
    LATE = "late"


# The protocol's count interval and plausibility limits, and the settings that give them.
PLAUSIBILITY_SETTINGS = {
    "count_interval_days": ("CULTURE_COUNT_INTERVAL_DAYS", int),
    "min_doubling_time_days": ("CULTURE_MIN_DOUBLING_TIME_DAYS", float),
    "max_above_projection": ("CULTURE_MAX_ABOVE_PROJECTION", float),
    "max_target_multiple": ("CULTURE_MAX_TARGET_MULTIPLE", float),
    "harvest_max_ratio": ("CULTURE_HARVEST_MAX_RATIO", float),
    "split_tolerance_percent": ("CULTURE_SPLIT_TOLERANCE_PERCENT", int),
    "max_cells_per_cm2": ("CULTURE_MAX_CELLS_PER_CM2", int),
}


@dataclass(frozen=True)
class CultureProtocol:
    """The lab's culture schedule; day ranges are inclusive (first, last)."""

    non_adherent_removal_days: tuple[int, int] = (2, 3)  # culture days
    medium_change_days: tuple[int, int] = (3, 4)  # days after the last feeding
    observation_days: tuple[int, int] = (1, 2)  # days after the last look
    passage_due_confluence: int = 70
    passage_overdue_confluence: int = 80
    harvest_day: int = 21
    harvest_tolerance_days: int = 2
    # How often the cells must be counted: no count (nor seeding) for longer is overdue.
    count_interval_days: int = 7
    # Plausibility of counts (``culture.rules.plausibility``). Soft limits: a value past
    # them is recorded only when the technician confirms it with a reason.
    min_doubling_time_days: float = 0.8  # MSC do not double faster than this
    max_above_projection: float = 3.0  # a count this many times the projected cells
    max_target_multiple: float = 10.0  # a count this many times the batch's target
    harvest_max_ratio: float = 2.0  # a harvest this many times from the projected/last count
    split_tolerance_percent: int = 20  # after a passage: below count ÷ split ratio by this
    # Hard limit: cells per cm² of the culture's surface no MSC culture reaches.
    max_cells_per_cm2: int = 100_000

    def __post_init__(self) -> None:
        for name in ("non_adherent_removal_days", "medium_change_days", "observation_days"):
            first, last = getattr(self, name)
            if not 0 <= first <= last:
                raise ValueError(f"{name}: need 0 ≤ first ≤ last, got {first}–{last}")
        if not 0 < self.passage_due_confluence < self.passage_overdue_confluence <= 100:
            raise ValueError("need 0 < passage due confluence < overdue confluence ≤ 100")
        if self.harvest_tolerance_days < 0 or self.harvest_day - self.harvest_tolerance_days < 1:
            raise ValueError("the harvest window must start after day 0")
        if self.count_interval_days < 1 or self.min_doubling_time_days <= 0:
            raise ValueError("need a count interval ≥ 1 day and a minimum doubling time > 0")
        if min(self.max_above_projection, self.max_target_multiple, self.harvest_max_ratio) <= 1:
            raise ValueError("the plausibility multiples must be above 1")
        if not 0 <= self.split_tolerance_percent < 100 or self.max_cells_per_cm2 <= 0:
            raise ValueError("need a split tolerance 0–99 % and a positive cells per cm²")

    @property
    def harvest_days(self) -> tuple[int, int]:
        return (self.harvest_day - self.harvest_tolerance_days,
                self.harvest_day + self.harvest_tolerance_days)

    @classmethod
    def from_config(cls, config: Mapping) -> CultureProtocol:
        """The protocol from the application's ``CULTURE_*`` settings."""
        return cls(
            non_adherent_removal_days=(int(config["CULTURE_NON_ADHERENT_REMOVAL_FIRST_DAY"]),
                                       int(config["CULTURE_NON_ADHERENT_REMOVAL_LAST_DAY"])),
            medium_change_days=(int(config["CULTURE_MEDIUM_CHANGE_MIN_DAYS"]),
                                int(config["CULTURE_MEDIUM_CHANGE_MAX_DAYS"])),
            observation_days=(int(config["CULTURE_OBSERVATION_MIN_DAYS"]),
                              int(config["CULTURE_OBSERVATION_MAX_DAYS"])),
            passage_due_confluence=int(config["CULTURE_PASSAGE_DUE_CONFLUENCE"]),
            passage_overdue_confluence=int(config["CULTURE_PASSAGE_OVERDUE_CONFLUENCE"]),
            harvest_day=int(config["CULTURE_HARVEST_DAY"]),
            harvest_tolerance_days=int(config["CULTURE_HARVEST_TOLERANCE_DAYS"]),
            **{name: kind(config[key]) for name, (key, kind) in PLAUSIBILITY_SETTINGS.items()
               if key in config},
        )


@dataclass(frozen=True)
class StepFact:
    """A recorded step as the protocol sees it (confluence: observed, or before a passage)."""

    kind: str
    at: datetime
    confluence: int | None = None
    seq: int | None = None  # the order the steps were recorded in (the step's id), if known

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("step times must be timezone-aware")


@dataclass(frozen=True)
class Task:
    """Something the protocol asks for; days are culture days, confluence drives a passage."""

    kind: str
    status: TaskStatus
    opens_day: int | None = None
    closes_day: int | None = None
    confluence: int | None = None

    @property
    def actionable(self) -> bool:
        """True when due or overdue (what the Today worklist shows)."""
        return self.status != TaskStatus.UPCOMING


@dataclass(frozen=True)
class WindowIssue:
    """A step outside its window: when it was done, and the window it missed."""

    kind: str
    timing: Timing
    day: int
    opens_day: int | None = None
    closes_day: int | None = None
    confluence: int | None = None
    due_confluence: int | None = None
    overdue_confluence: int | None = None


@dataclass(frozen=True)
class CultureState:
    """What the recorded steps say about the culture: all the protocol needs of them.

    Small enough to store beside the batch (``culture.summary_models.BatchWorklist``), so a
    list of many batches can work out their tasks without reading their steps.
    """

    isolated: bool
    seeded_at: datetime | None
    harvested: bool
    passages: int  # how many passages so far (0: the primary culture)
    non_adherent_removed: bool
    last_feed_at: datetime | None
    last_look_at: datetime | None
    confluence: int | None  # latest observed in the current passage
    last_count_at: datetime | None = None  # the latest cell count in force


def culture_state(steps: Iterable[StepFact],
                  last_count_at: datetime | None = None) -> CultureState:
    """The state of the culture after these steps (in any order; void steps left out) and
    its latest cell count."""
    ordered = sorted(steps, key=lambda s: s.at)
    seeded_at = next((s.at for s in ordered if s.kind == StepKind.SEEDING), None)
    passages = [s for s in ordered if s.kind == StepKind.PASSAGE]
    readings = [s.confluence for s in ordered
                if s.kind == StepKind.OBSERVATION and s.confluence is not None
                and _in_current_passage(s, passages[-1] if passages else None, seeded_at)]
    return CultureState(
        isolated=any(s.kind == StepKind.ISOLATION for s in ordered),
        seeded_at=seeded_at,
        harvested=any(s.kind == StepKind.HARVEST for s in ordered),
        passages=len(passages),
        non_adherent_removed=any(s.kind == StepKind.NON_ADHERENT_REMOVAL for s in ordered),
        last_feed_at=max((s.at for s in ordered if s.kind in FEEDING_KINDS), default=None),
        last_look_at=max((s.at for s in ordered if s.kind in LOOKING_KINDS), default=None),
        confluence=readings[-1] if readings else None,
        last_count_at=last_count_at,
    )


SAME_MINUTE = timedelta(minutes=1)  # forms take times to the minute


def _in_current_passage(step: StepFact, passage: StepFact | None,
                        seeded_at: datetime | None) -> bool:
    """True when ``step`` belongs to the culture since the latest passage (or the seeding).

    An observation in the passage's own minute that was recorded before the passage is the
    one the passage was judged on (the form's time has no seconds): it belongs before.
    """
    if passage is None:
        return seeded_at is not None and step.at >= seeded_at
    if step.at < passage.at:
        return False
    if step.at - passage.at >= SAME_MINUTE:
        return True
    return step.seq is not None and passage.seq is not None and step.seq > passage.seq


def _local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _day(culture: CultureState, moment: datetime, tz: ZoneInfo) -> int:
    return (_local_date(moment, tz) - _local_date(culture.seeded_at, tz)).days


def _day_windows(culture: CultureState, protocol: CultureProtocol,
                 tz: ZoneInfo) -> dict[str, tuple[int, int]]:
    """The culture-day windows of the time-driven steps (seeded cultures only)."""
    windows = {}
    if culture.passages == 0 and not culture.non_adherent_removed:
        windows[StepKind.NON_ADHERENT_REMOVAL] = protocol.non_adherent_removal_days
    else:
        fed = _day(culture, culture.last_feed_at, tz)
        first, last = protocol.medium_change_days
        windows[StepKind.MEDIUM_CHANGE] = (fed + first, fed + last)
    looked = _day(culture, culture.last_look_at, tz)
    first, last = protocol.observation_days
    windows[StepKind.OBSERVATION] = (looked + first, looked + last)
    windows[StepKind.HARVEST] = protocol.harvest_days
    counted = _day(culture, max(culture.last_count_at or culture.seeded_at, culture.seeded_at), tz)
    windows[COUNT_TASK] = (counted + protocol.count_interval_days,
                           counted + protocol.count_interval_days)
    return windows


def _status(day: int, opens: int, closes: int) -> TaskStatus:
    if day > closes:
        return TaskStatus.OVERDUE
    return TaskStatus.DUE if day >= opens else TaskStatus.UPCOMING


def _passage_task(culture: CultureState, protocol: CultureProtocol) -> Task | None:
    reading = culture.confluence
    if reading is None or reading < protocol.passage_due_confluence:
        return None
    status = (TaskStatus.OVERDUE if reading > protocol.passage_overdue_confluence
              else TaskStatus.DUE)
    return Task(StepKind.PASSAGE, status, confluence=reading)


def _sort_key(task: Task) -> tuple[int, int]:
    urgency = {TaskStatus.OVERDUE: 0, TaskStatus.DUE: 1, TaskStatus.UPCOMING: 2}
    order = KIND_ORDER.index(task.kind) if task.kind in KIND_ORDER else len(KIND_ORDER)
    return urgency[task.status], order


def tasks_for(steps: Sequence[StepFact], now: datetime, tz: ZoneInfo,
              protocol: CultureProtocol, last_count_at: datetime | None = None) -> list[Task]:
    """Every task the protocol asks of this culture at ``now``, most urgent first.

    Before seeding: the isolation or the seeding (due, without a window). After the
    harvest: nothing. Upcoming tasks are included (``Task.actionable`` filters them out).
    """
    return tasks_at(culture_state(steps, last_count_at), now, tz, protocol)


def tasks_at(culture: CultureState, now: datetime, tz: ZoneInfo,
             protocol: CultureProtocol) -> list[Task]:
    """:func:`tasks_for` from the culture's state rather than its steps."""
    if culture.harvested:
        return []
    if culture.seeded_at is None:
        return [Task(StepKind.SEEDING if culture.isolated else StepKind.ISOLATION, TaskStatus.DUE)]
    today = _day(culture, now, tz)
    tasks = [Task(kind, _status(today, opens, closes), opens, closes)
             for kind, (opens, closes) in _day_windows(culture, protocol, tz).items()]
    passage = _passage_task(culture, protocol)
    if passage is not None:
        tasks.append(passage)
    return sorted(tasks, key=_sort_key)


@dataclass(frozen=True)
class WorkDates:
    """The first local days on which the culture has a task due, and one overdue.

    Worked out from the steps alone, so it can be stored when a step is recorded and
    compared with today's date later: a task is due on ``due_on`` and after, overdue on
    ``overdue_on`` and after. ``None``: never, until another step is recorded.
    """

    due_on: date | None
    overdue_on: date | None


ALWAYS = date.min  # a task due without a window (seeding, a passage): due whatever the day


def work_dates(steps: Sequence[StepFact], tz: ZoneInfo, protocol: CultureProtocol,
               last_count_at: datetime | None = None) -> WorkDates:
    """When :func:`tasks_for` starts listing an actionable task, and an overdue one.

    For every ``now``: some task of ``tasks_for(steps, now, …)`` is actionable exactly when
    the local date of ``now`` is on or after ``due_on``, and one is overdue exactly when
    it is on or after ``overdue_on``.
    """
    culture = culture_state(steps, last_count_at)
    if culture.harvested:
        return WorkDates(None, None)
    if culture.seeded_at is None:
        return WorkDates(ALWAYS, None)
    seeded_on = _local_date(culture.seeded_at, tz)
    windows = _day_windows(culture, protocol, tz).values()
    due_on = seeded_on + timedelta(days=min(opens for opens, _ in windows))
    overdue_on = seeded_on + timedelta(days=min(closes for _, closes in windows) + 1)
    passage = _passage_task(culture, protocol)
    if passage is not None:
        due_on = ALWAYS
        if passage.status == TaskStatus.OVERDUE:
            overdue_on = ALWAYS
    return WorkDates(due_on, overdue_on)


def _passage_issue(culture: CultureState, day: int, confluence: int | None,
                   protocol: CultureProtocol) -> WindowIssue | None:
    reading = confluence if confluence is not None else culture.confluence
    if reading is None:
        return None  # nothing to judge the timing by
    if protocol.passage_due_confluence <= reading <= protocol.passage_overdue_confluence:
        return None  # inclusive at both ends: 70 % and 80 % are both inside 70–80 %
    timing = Timing.EARLY if reading < protocol.passage_due_confluence else Timing.LATE
    return WindowIssue(StepKind.PASSAGE, timing, day, confluence=reading,
                       due_confluence=protocol.passage_due_confluence,
                       overdue_confluence=protocol.passage_overdue_confluence)


def outside_window(kind: str, when: datetime, steps: Sequence[StepFact], tz: ZoneInfo,
                   protocol: CultureProtocol, confluence: int | None = None) -> WindowIssue | None:
    """Why a ``kind`` step at ``when`` would be outside its window, or None when it is not.

    Judged against the steps recorded before ``when``. Isolation and seeding have no
    window, nor does anything before seeding or after the harvest, nor a step the protocol
    does not ask for at that point (e.g. a second removal of non-adherent cells).
    ``confluence`` is the confluence seen just before a passage; without it the latest
    observation of the passage is used.
    """
    culture = culture_state(s for s in steps if s.at < when)
    if culture.seeded_at is None or culture.harvested or when < culture.seeded_at:
        return None
    day = _day(culture, when, tz)
    if kind == StepKind.PASSAGE:
        return _passage_issue(culture, day, confluence, protocol)
    window = _day_windows(culture, protocol, tz).get(kind)
    if window is None:
        return None
    opens, closes = window
    if day > closes:
        return WindowIssue(kind, Timing.LATE, day, opens, closes)
    if day < opens and kind != StepKind.OBSERVATION:
        return WindowIssue(kind, Timing.EARLY, day, opens, closes)
    return None
