"""When a procedure may be planned: not in the past, within the authorisation's validity,
and not further ahead than the lab's horizon (``ORDER_MAX_DAYS_AHEAD``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

DEFAULT_MAX_DAYS_AHEAD = 365


@dataclass(frozen=True)
class PlanningProblem:
    """Why a planned date cannot be accepted: a code, an English message and its params."""

    code: str
    message: str
    params: dict = field(default_factory=dict)


def planned_date_problem(planned: date | None, today: date, max_days_ahead: int,
                         authorised_until: date | None = None) -> PlanningProblem | None:
    """None when ``planned`` is a date the procedure can really be planned on."""
    if planned is None or planned < today:
        return PlanningProblem("planned.past", "The planned procedure date cannot be in the past")
    latest = today + timedelta(days=max_days_ahead)
    if planned > latest:
        return PlanningProblem(
            "planned.beyond_horizon",
            f"The planned procedure date is more than {max_days_ahead} days ahead "
            f"(latest {latest.isoformat()})",
            {"days": max_days_ahead, "latest": latest.isoformat()})
    if authorised_until is not None and planned > authorised_until:
        return PlanningProblem(
            "planned.after_authorisation",
            f"The authorisation is valid until {authorised_until.isoformat()}; the procedure "
            "must be planned within it",
            {"until": authorised_until.isoformat()})
    return None
