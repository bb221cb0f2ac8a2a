"""Roles and the areas of the application each may use."""

from __future__ import annotations

from enum import StrEnum

from labtrack.errors import PermissionDenied


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



# --- Need-to-know: whose patient records a user may read --------------------------------
# Technicians and QA make and check every batch, so they read every patient's records. A
# clinician reads the records of the orders they treat: the order, its sample, batch,
# doses, administration and release record, through every way in (pages, API, services).
# Identity data needed to find a patient or place a first order (the patient list, a
# patient without orders) and the readiness overview (status per order, for planning the
# procedure room) are open to every clinician; a record's detail is not. A colleague
# covering for the treating clinician is given access by reassigning the order, which is
# audited like any change. Administrators read no patient records.
RECORD_READERS = frozenset({Role.TECHNICIAN, Role.QA})


def may_read_order(role: Role | str, user_id: int, treating_clinician_id: int | None) -> bool:
    """True when the user may read an order's records (sample, batch, doses, release)."""
    try:
        role = Role(role)
    except ValueError:
        return False
    if role in RECORD_READERS:
        return True
    return role is Role.CLINICIAN and treating_clinician_id == user_id


def may_read_patient(role: Role | str, user_id: int,
                     treating_clinician_ids: frozenset[int] | set[int]) -> bool:
    """True when the user may open a patient's page: any order of theirs is readable, or
    the patient has no order yet (a clinician is about to place the first)."""
    if not treating_clinician_ids:
        return may_read_order(role, user_id, user_id)
    return any(may_read_order(role, user_id, clinician) for clinician in treating_clinician_ids)


def require_area(role: Role | str, areas: Area | tuple[Area, ...], refusal: str) -> None:
    """For use cases: raise PermissionDenied(refusal) unless ``role`` may use one of
    ``areas``, the same rule the pages and the API apply."""
    areas = (areas,) if isinstance(areas, Area) else areas
    if not any(may_use(role, area) for area in areas):
        raise PermissionDenied(refusal)
