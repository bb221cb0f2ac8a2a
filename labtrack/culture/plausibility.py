"""Plausibility of counts at entry: the batch's history, the messages, the exceptions list.

The rules are pure (``culture.rules.plausibility``); this module reads what they judge a
new count against (the counts in force, the passages, the culture's surface, the target)
and words what they find. A count past a soft limit is recorded only with a reason
(``CellCount.plausibility_warning`` and ``plausibility_reason``, audited with the count);
:func:`plausibility_exceptions` lists them for the batch page and the release record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.culture.rules.growth import CountPoint
from labtrack.culture.rules.plausibility import (
    SAME_MINUTE,
    CountContext,
    Finding,
    PassageFact,
    Soft,
    soft_findings,
    surface_limit,
)
from labtrack.culture.rules.protocol import CultureProtocol, StepKind
from labtrack.database import not_superseded
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.templating import cells as cells_text
from labtrack.web.templating import number


class Implausible(ServiceError):
    """A count past a soft limit, without a confirmation's reason; ``warnings`` say why."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(" ".join(warnings), field="viable_cells")
        self.warnings = warnings


def implausible(error: Implausible) -> list[str]:
    """For a form: roll the refused count back and give the warnings to show."""
    db.session.rollback()
    return error.warnings


def protocol() -> CultureProtocol:
    """The lab's protocol, with its plausibility limits (``CULTURE_*`` settings)."""
    return CultureProtocol.from_config(current_app.config)


def context_of(batch: Batch, at: datetime, replacing: int | None = None) -> CountContext:
    """What a count at ``at`` is judged against (``replacing``: a count being corrected)."""
    rows = db.session.execute(
        select(CellCount.id, CellCount.counted_at, CellCount.viable_cells,
               CellCount.passage_number)
        .where(CellCount.batch_id == batch.id, not_superseded(CellCount),
               CellCount.is_void.is_(False))).all()
    earlier = [CountPoint(row.counted_at, float(row.viable_cells), row.passage_number)
               for row in rows if row.id != replacing]
    steps = db.session.execute(
        select(CultureStep.kind, CultureStep.performed_at, CultureStep.split_ratio,
               CultureStep.surface_cm2)
        .where(CultureStep.batch_id == batch.id, CultureStep.is_void.is_(False),
               CultureStep.kind.in_((StepKind.SEEDING, StepKind.PASSAGE)),
               CultureStep.performed_at < at + SAME_MINUTE)
        .order_by(CultureStep.performed_at, CultureStep.id)).all()
    surfaces = [step.surface_cm2 for step in steps if step.surface_cm2]
    return CountContext(
        earlier=earlier,
        passages=[PassageFact(step.performed_at, step.split_ratio) for step in steps
                  if step.kind == StepKind.PASSAGE],
        target_cells=float(batch.order.target_cells),
        surface_cm2=float(surfaces[-1]) if surfaces else None)


def check_surface(viable_cells: int, context: CountContext, limits: CultureProtocol) -> None:
    """Refuse more cells than the culture's recorded surface can hold (a hard limit)."""
    limit = surface_limit(viable_cells, context, limits)
    if limit is not None:
        raise ServiceError(_(
            "Viable cells: %(cells)s cannot be true: the culture's %(surface)s cm² hold at "
            "most %(limit)s (%(density)s cells per cm²). Check the number (in × 10⁶).",
            cells=cells_text(viable_cells), surface=number(context.surface_cm2),
            limit=cells_text(int(limit)), density=number(limits.max_cells_per_cm2)),
            field="viable_cells")


def warnings_for(viable_cells: int, at: datetime, passage: int, context: CountContext,
                 limits: CultureProtocol, harvest: bool = False) -> list[str]:
    """The soft limits a count is past, each in words naming the value and the limit."""
    point = CountPoint(at, float(viable_cells), passage)
    return [message(finding, viable_cells, harvest)
            for finding in soft_findings(point, context, limits, harvest)]


def soft_warnings(batch: Batch, viable_cells: int, at: datetime, passage: int) -> list[str]:
    """The soft limits a count would be past (for a preview); stores nothing."""
    return warnings_for(viable_cells, at, passage, context_of(batch, at), protocol())


def message(finding: Finding, cells: int, harvest: bool = False) -> str:
    """One finding in words, its numbers as the screen language writes them."""
    values = finding.values
    field = _("Viable cells harvested") if harvest else _("Viable cells")
    shown = cells_text(cells)
    if finding.code is Soft.FAST_DOUBLING:
        return _("%(field)s: %(cells)s means a doubling time of %(days)s days since the "
                 "previous count (%(previous)s), shorter than the protocol's minimum of "
                 "%(minimum)s days.", field=field, cells=shown,
                 days=number(values["doubling_days"]),
                 previous=cells_text(int(values["previous"])),
                 minimum=number(values["minimum_days"]))
    if finding.code is Soft.ABOVE_PROJECTION:
        return _("%(field)s: %(cells)s is more than %(multiple)s times the %(projected)s "
                 "projected from the earlier counts.", field=field, cells=shown,
                 multiple=number(values["multiple"]), projected=cells_text(values["projected"]))
    if finding.code is Soft.ABOVE_TARGET:
        return _("%(field)s: %(cells)s is more than %(multiple)s times the batch's target "
                 "(%(target)s).", field=field, cells=shown, multiple=number(values["multiple"]),
                 target=cells_text(int(values["target"])))
    if finding.code is Soft.HARVEST_FAR:
        return _("%(field)s: %(cells)s is more than %(ratio)s times away from the %(expected)s "
                 "expected from the counts.", field=field, cells=shown,
                 ratio=number(values["ratio"]), expected=cells_text(values["expected"]))
    return _("%(field)s: %(cells)s after the passage is below the %(expected)s that its split "
             "ratio %(split)s explains (%(before)s before it).", field=field, cells=shown,
             expected=cells_text(values["expected"]), split=values["split"],
             before=cells_text(int(values["before"])))


def judge(batch: Batch, viable_cells: int, at: datetime, passage: int, reason: str | None,
          *, harvest: bool = False, replacing: int | None = None,
          soft: bool = True) -> tuple[str | None, str | None]:
    """Refuse a value past a hard limit, or past a soft one without a reason.

    Returns what to store with the count: (the warnings, the reason), or (None, None).
    ``soft=False`` judges nothing (a void entry repeats the count it withdraws).
    """
    if not soft:
        return None, None
    limits = protocol()
    context = context_of(batch, at, replacing)
    check_surface(viable_cells, context, limits)
    warnings = warnings_for(viable_cells, at, passage, context, limits, harvest)
    if not warnings:
        return None, None
    reason = (reason or "").strip()
    if not reason:
        raise Implausible(warnings)
    return " ".join(warnings), reason


@dataclass(frozen=True)
class PlausibilityException:
    """A value recorded past a soft limit: what, the value, the warning, why, who, when."""

    what: str
    value: str
    warning: str
    reason: str
    who: str
    when: datetime
    count: CellCount


def plausibility_exceptions(batch: Batch) -> list[PlausibilityException]:
    """Every value of the batch recorded past a soft limit, with its reason, oldest first.

    Corrected and withdrawn counts stay listed: the exception was made when they were
    recorded (the count history shows what replaced them).
    """
    found: Sequence[CellCount] = db.session.scalars(
        select(CellCount).where(CellCount.batch_id == batch.id,
                                CellCount.plausibility_reason.is_not(None))
        .options(joinedload(CellCount.entered_by))
        .order_by(CellCount.created_at, CellCount.id)).all()
    return [PlausibilityException(
        what=_("Harvest count") if batch.harvested_at and count.counted_at == batch.harvested_at
        else _("Cell count"),
        value=_("%(cells)s viable cells", cells=cells_text(count.viable_cells)),
        warning=count.plausibility_warning or "", reason=count.plausibility_reason,
        who=count.entered_by.full_name or count.entered_by.username, when=count.created_at,
        count=count) for count in found]
