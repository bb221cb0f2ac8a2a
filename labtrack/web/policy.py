"""Roles and the areas of the application each may use."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user does in the lab; each account has exactly one."""

    TECHNICIAN = "technician"
    QA = "qa"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class Area(StrEnum):
    """A part of the application guarded as a whole."""

    BENCH = "bench"  # sample receipt, culture, counts
    QUALITY = "quality"  # QC, deviations, release
    CLINIC = "clinic"  # orders, dose readiness, administration
    AUDIT = "audit"  # audit trail viewer
    ADMIN = "admin"  # user accounts


AREA_ROLES: dict[Area, frozenset[Role]] = {
    Area.BENCH: frozenset({Role.TECHNICIAN}),
    Area.QUALITY: frozenset({Role.QA}),
    Area.CLINIC: frozenset({Role.CLINICIAN}),
    Area.AUDIT: frozenset({Role.QA, Role.ADMIN}),
    Area.ADMIN: frozenset({Role.ADMIN}),
}

def may_use(role: Role | str, area: Area) -> bool:
    """True when ``role`` may use ``area``."""
    try:
        return Role(role) in AREA_ROLES[area]
    except ValueError:
        return False


def areas_for(role: Role | str) -> list[Area]:
    """The areas a role may use, in navigation order."""
    return [area for area in Area if may_use(role, area)]

