"""The release checklist: what QA must see before certifying a batch, from plain data.

Each check yields either one met item (``<check>.ok``) or one unmet item per problem,
naming the test, deviation, dose or disc level concerned. Items carry a stable ``code``,
an English ``message`` and the ``params`` a translation needs.

What can be overridden: an *exceptional release* (the treating clinician's documented
request to avoid an immediate significant risk to the patient, plus QA's risk
assessment) may cover out-of-specification results only - a failed QC test, a dose
outside the ordered cells-per-disc range (kind ``specification``). Everything else
(kind ``requirement``) can never be overridden: the batch state, four-eyes, an expired
dose, a missing, expired or non-covering authorisation, doses not matching the ordered
disc levels, a mandatory result that is simply missing, an unverified critical step, and
any open major or critical deviation (close it first; its closure records the impact).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from labtrack.culture.rules.counting import millions
from labtrack.culture.rules.states import STATE_LABELS, BatchState
from labtrack.orders.rules.authorisation import AuthorisationInput, authorisation_problems
from labtrack.qms.rules.deviations import Severity
from labtrack.qms.rules.specification import EvaluatedResult, Number, Verdict, format_number
from labtrack.quality.rules import verification


class ItemKind(StrEnum):
    """What an unmet item means for release."""

    REQUIREMENT = "requirement"  # blocks; can never be overridden
    SPECIFICATION = "specification"  # blocks; only an exceptional release may cover it
    PENDING = "pending"  # a result allowed to arrive after release; recorded, not blocking
    NOTE = "note"  # for the releaser's attention; never blocks


BLOCKING_KINDS = frozenset({ItemKind.REQUIREMENT, ItemKind.SPECIFICATION})


@dataclass(frozen=True)
class OpenDeviation:
    """A deviation of the batch that is not yet closed."""

    id: int
    severity: Severity | str
    title: str


@dataclass(frozen=True)
class DoseInput:
    """One formulated dose (one syringe for one disc level)."""

    dose_id: int
    disc_level: str
    viable_cells: int
    expires_at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.expires_at, "expires_at")


@dataclass(frozen=True)
class OrderInput:
    """What the treating clinician ordered."""

    cells_per_disc: int
    tolerance_percent: Number
    disc_levels: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseInputs:
    """Everything the checklist reads.

    ``now`` is aware; give it in the lab's time zone, because the authorisation's expiry
    date is compared with ``now``'s calendar date.
    """

    results: tuple[EvaluatedResult, ...]
    deviations: tuple[OpenDeviation, ...]
    doses: tuple[DoseInput, ...]
    order: OrderInput
    authorisation: AuthorisationInput | None
    batch_state: BatchState | str
    batch_staff_ids: frozenset[int]  # who performed or verified any step of the batch
    releasing_user_id: int
    now: datetime
    steps: tuple[verification.StepRecord, ...] = ()  # in force: neither void nor amended
    critical_steps: frozenset[str] = verification.DEFAULT_CRITICAL_STEPS

    def __post_init__(self) -> None:
        _require_aware(self.now, "now")


@dataclass(frozen=True)
class ChecklistItem:
    """One line of the checklist; ``blocking`` is True only for unmet blocking kinds."""

    code: str
    ok: bool
    message: str
    params: dict = field(default_factory=dict)
    blocking: bool = False
    kind: ItemKind = ItemKind.REQUIREMENT


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a time-zone-aware datetime")


def _met(code: str, message: str, kind: ItemKind = ItemKind.REQUIREMENT, **params) -> ChecklistItem:
    return ChecklistItem(code, True, message, params, False, kind)


def _unmet(
    code: str, message: str, kind: ItemKind = ItemKind.REQUIREMENT, **params
) -> ChecklistItem:
    return ChecklistItem(code, False, message, params, kind in BLOCKING_KINDS, kind)


def _or_met(problems: list[ChecklistItem], met: ChecklistItem) -> list[ChecklistItem]:
    return problems or [met]


# --- the checks, in the order the checklist shows them ---


def check_state(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """The batch must be awaiting release."""
    state = BatchState(inputs.batch_state)
    if state is BatchState.AWAITING_RELEASE:
        return [_met("state.ok", "The batch is awaiting release")]
    return [
        _unmet(
            "state.not_awaiting_release",
            f"The batch is {STATE_LABELS[state]}; only a batch awaiting release can be released",
            state=state.value,
        )
    ]


def check_results(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """Mandatory results present and in specification; allowed-pending and informational noted."""
    mandatory = [r for r in inputs.results if r.mandatory]
    problems = [item for r in mandatory if (item := _result_problem(r))]
    met = _met(
        "qc.ok", "Every mandatory QC result is present and within specification",
        ItemKind.SPECIFICATION,
    )  # fmt: skip
    pending = [_pending(r) for r in mandatory if r.verdict == Verdict.PENDING and r.may_be_pending]
    informational = [_informational_fail(r) for r in inputs.results
                     if not r.mandatory and r.verdict == Verdict.FAIL]  # fmt: skip
    return _or_met(problems, met) + pending + informational


def _result_params(result: EvaluatedResult) -> dict:
    shown = None if result.result is None else _show_result(result.result)
    return {"test": result.code, "name": result.name, "result": shown, "limit": result.limit}


def _show_result(value) -> str:
    return value if isinstance(value, str) else format_number(value)


def _result_problem(result: EvaluatedResult) -> ChecklistItem | None:
    params = _result_params(result)
    if result.verdict == Verdict.FAIL:
        return _unmet(
            "qc.out_of_specification",
            f"{result.name} is out of specification: {params['result']} (limit {result.limit})",
            ItemKind.SPECIFICATION,
            **params,
        )
    if result.verdict == Verdict.PENDING and not result.may_be_pending:
        return _unmet("qc.missing", f"{result.name} has no result yet", **params)
    return None


def _pending(result: EvaluatedResult) -> ChecklistItem:
    return _unmet(
        "qc.pending",
        f"{result.name} is pending; the release record will show it was pending at release",
        ItemKind.PENDING,
        **_result_params(result),
    )


def _informational_fail(result: EvaluatedResult) -> ChecklistItem:
    params = _result_params(result)
    return _unmet(
        "qc.informational_out_of_limit",
        f"{result.name} (for information) is outside its limit: "
        f"{params['result']} (limit {result.limit})",
        ItemKind.NOTE,
        **params,
    )


def check_deviations(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """No open major or critical deviation; open minor ones are listed as notes."""
    blocking = [_open_deviation(d) for d in inputs.deviations if d.severity != Severity.MINOR]
    minor = [_open_minor(d) for d in inputs.deviations if d.severity == Severity.MINOR]
    met = _met("deviations.ok", "No major or critical deviation is open")
    return _or_met(blocking, met) + minor


def _open_deviation(deviation: OpenDeviation) -> ChecklistItem:
    severity = Severity(deviation.severity)
    return _unmet(
        "deviations.open",
        f"Deviation {deviation.id} ({severity.value}) is still open: {deviation.title}",
        deviation_id=deviation.id, severity=severity.value, title=deviation.title,
    )  # fmt: skip


def _open_minor(deviation: OpenDeviation) -> ChecklistItem:
    return _unmet(
        "deviations.open_minor",
        f"Minor deviation {deviation.id} is still open: {deviation.title}",
        ItemKind.NOTE,
        deviation_id=deviation.id, severity=Severity.MINOR.value, title=deviation.title,
    )  # fmt: skip


def level_key(level: str) -> str:
    """Disc levels compared without case or surrounding spaces ("l4-l5 " is "L4-L5")."""
    return level.strip().upper()


def check_dose_levels(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """Exactly one dose per ordered disc level, none missing, none extra."""
    ordered = {level_key(level): level for level in inputs.order.disc_levels}
    if not ordered:
        return [_unmet("dose_levels.none_ordered", "The order names no disc level")]
    counts = Counter(level_key(dose.disc_level) for dose in inputs.doses)
    problems = [
        *(_missing_level(level) for key, level in ordered.items() if counts[key] == 0),
        *(_duplicate_level(level) for key, level in ordered.items() if counts[key] > 1),
        *(_extra_dose(dose) for dose in inputs.doses if level_key(dose.disc_level) not in ordered),
    ]
    met = _met("dose_levels.ok", "There is one dose for each ordered disc level")
    return _or_met(problems, met)


def _missing_level(level: str) -> ChecklistItem:
    return _unmet("dose_levels.missing", f"There is no dose for disc level {level}", level=level)


def _duplicate_level(level: str) -> ChecklistItem:
    message = f"There is more than one dose for disc level {level}"
    return _unmet("dose_levels.duplicate", message, level=level)


def _extra_dose(dose: DoseInput) -> ChecklistItem:
    return _unmet(
        "dose_levels.extra",
        f"Dose {dose.dose_id} is for disc level {dose.disc_level}, which was not ordered",
        dose_id=dose.dose_id, level=dose.disc_level,
    )  # fmt: skip


def dose_range(order: OrderInput) -> tuple[int, int]:
    """The fewest and most viable cells a dose may hold: cells per disc ± tolerance."""
    target = Decimal(order.cells_per_disc)
    margin = target * Decimal(str(order.tolerance_percent)) / 100
    return math.ceil(target - margin), math.floor(target + margin)


def check_dose_cells(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """Each dose holds the ordered viable cells per disc, within the tolerance."""
    low, high = dose_range(inputs.order)
    problems = [
        _cells_out_of_range(dose, inputs.order, low, high)
        for dose in inputs.doses
        if not low <= dose.viable_cells <= high
    ]
    met = _met(
        "dose_cells.ok", "Every dose holds the ordered viable cells within tolerance",
        ItemKind.SPECIFICATION,
    )  # fmt: skip
    return _or_met(problems, met)


def _cells_out_of_range(dose: DoseInput, order: OrderInput, low: int, high: int) -> ChecklistItem:
    below = dose.viable_cells < low
    code = "dose_cells.below_range" if below else "dose_cells.above_range"
    where = "below" if below else "above"
    tolerance = format_number(order.tolerance_percent)
    return _unmet(
        code,
        f"The dose for {dose.disc_level} holds {millions(dose.viable_cells)} viable cells, "
        f"{where} the ordered {millions(order.cells_per_disc)} ± {tolerance} %",
        ItemKind.SPECIFICATION,
        dose_id=dose.dose_id, level=dose.disc_level, viable_cells=dose.viable_cells,
        cells_per_disc=order.cells_per_disc, tolerance_percent=tolerance, low=low, high=high,
    )  # fmt: skip


def check_dose_expiry(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """No dose has reached its expiry time."""
    problems = [_expired(dose) for dose in inputs.doses if dose.expires_at <= inputs.now]
    return _or_met(problems, _met("dose_expiry.ok", "No dose has expired"))


def _expired(dose: DoseInput) -> ChecklistItem:
    expires = dose.expires_at.isoformat(timespec="minutes")
    return _unmet(
        "dose_expiry.expired",
        f"The dose for {dose.disc_level} expired at {expires}",
        dose_id=dose.dose_id, level=dose.disc_level, expires_at=expires,
    )  # fmt: skip


def check_authorisation(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """An authorisation is recorded, covers every ordered disc level and has not expired."""
    problems = authorisation_problems(inputs.authorisation, inputs.order.disc_levels,
                                      inputs.now.date())
    met = _met(
        "authorisation.ok", "The authorisation covers every ordered disc level",
        reference=inputs.authorisation.reference if inputs.authorisation else None,
    )  # fmt: skip
    return _or_met([_unmet(p.code, p.message, **p.params) for p in problems], met)


def check_four_eyes(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """The releasing person performed or verified no step of the batch."""
    if inputs.releasing_user_id in inputs.batch_staff_ids:
        message = (
            "The releaser performed or verified a step of this batch; "
            "another QA person must release it"
        )
        return [_unmet("four_eyes.releaser_took_part", message, user_id=inputs.releasing_user_id)]
    return [_met("four_eyes.ok", "The releasing person took no part in making the batch")]


def check_verification(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """Every step the protocol marks critical was verified by a second person."""
    problems = [_unmet("verification.step_unverified", f"{step.describe()} is not verified",
                       **step.params())
                for step in verification.unverified(inputs.steps, inputs.critical_steps)]
    return _or_met(problems, _met("verification.ok", "Every critical step was verified"))


CHECKS = (
    check_state,
    check_results,
    check_verification,
    check_deviations,
    check_dose_levels,
    check_dose_cells,
    check_dose_expiry,
    check_authorisation,
    check_four_eyes,
)


def release_checklist(inputs: ReleaseInputs) -> list[ChecklistItem]:
    """Every check's items, in display order."""
    return [item for check in CHECKS for item in check(inputs)]


def blocking_items(items: Iterable[ChecklistItem]) -> list[ChecklistItem]:
    """The unmet items that prevent an ordinary release."""
    return [item for item in items if item.blocking]


def can_release(items: Iterable[ChecklistItem]) -> bool:
    """True when nothing blocks an ordinary release."""
    return not blocking_items(items)


def out_of_specification_items(items: Iterable[ChecklistItem]) -> list[ChecklistItem]:
    """Blocking items an exceptional release may cover: out-of-specification results."""
    return [item for item in items if item.blocking and item.kind is ItemKind.SPECIFICATION]


def never_overridable_items(items: Iterable[ChecklistItem]) -> list[ChecklistItem]:
    """Blocking items no exceptional release can cover."""
    return [item for item in items if item.blocking and item.kind is ItemKind.REQUIREMENT]


def can_release_exceptionally(items: Iterable[ChecklistItem]) -> bool:
    """True when something blocks, and all of it is out of specification."""
    items = list(items)
    return bool(out_of_specification_items(items)) and not never_overridable_items(items)


def pending_items(items: Iterable[ChecklistItem]) -> list[ChecklistItem]:
    """Results released while pending; the release record must list them."""
    return [item for item in items if item.kind is ItemKind.PENDING]
