"""Second-person verification before release: which recorded steps must be verified.

The protocol marks some culture steps critical (by default isolation, seeding, passage,
harvest and formulation; the ``CULTURE_CRITICAL_STEPS`` setting). Each of them, as it
stands in the record (a void or amended step is replaced by its correction), must be
verified by a second person before QA may release the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from labtrack.culture.rules.protocol import StepKind

FORMULATION = "formulation"  # recorded as a step by the formulation, not at the bench
DEFAULT_CRITICAL_STEPS = frozenset({StepKind.ISOLATION.value, StepKind.SEEDING.value,
                                    StepKind.PASSAGE.value, StepKind.HARVEST.value,
                                    FORMULATION})
KNOWN_STEPS = frozenset({kind.value for kind in StepKind} | {FORMULATION})


@dataclass(frozen=True)
class StepRecord:
    """A recorded step in force, as the verification check reads it."""

    step_id: int
    kind: str
    performed_at: datetime
    verified: bool
    passage: int = 0

    def describe(self) -> str:
        return f"{self.kind} at {self.performed_at.isoformat(timespec='minutes')}"

    def params(self) -> dict:
        """What a checklist message names: the step, its passage and when it was done."""
        return {"step_id": self.step_id, "step_kind": self.kind, "passage": self.passage,
                "performed_at": self.performed_at.isoformat(timespec="minutes")}


def critical_steps(setting: str | Iterable[str] | None) -> frozenset[str]:
    """The critical step kinds from the setting ("isolation,seeding,…"); unknown kinds refused.

    An empty setting means no step needs verification before release.
    """
    if setting is None:
        return DEFAULT_CRITICAL_STEPS
    names = setting.split(",") if isinstance(setting, str) else list(setting)
    kinds = frozenset(name.strip().lower() for name in names if name.strip())
    unknown = kinds - KNOWN_STEPS
    if unknown:
        raise ValueError(f"unknown critical step kind(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(KNOWN_STEPS))}")
    return kinds


def unverified(steps: Iterable[StepRecord], critical: frozenset[str]) -> list[StepRecord]:
    """The critical steps nobody has verified yet, in the order they were performed."""
    return sorted((step for step in steps if step.kind in critical and not step.verified),
                  key=lambda step: (step.performed_at, step.step_id))
