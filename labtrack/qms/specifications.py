"""Release specification versions: the one in force, and domain views of a version."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.qms.models import Specification, SpecificationTest
from labtrack.qms.rules.specification import DEFAULT_SPECIFICATION, ResultKind, SpecTest


def current_specification() -> Specification:
    """The newest version in force; version 1 is created from the default on first use."""
    spec = db.session.scalar(
        select(Specification).where(Specification.effective_from <= utcnow())
        .order_by(Specification.version.desc()).limit(1)
    )
    return spec or create_version(DEFAULT_SPECIFICATION, "Initial release specification",
                                  created_by_id=None)


def create_version(tests, change_summary: str, created_by_id: int | None) -> Specification:
    """Store a new specification version (never edits an old one); flushes, no commit."""
    latest = db.session.scalar(select(Specification.version)
                               .order_by(Specification.version.desc()).limit(1)) or 0
    spec = Specification(version=latest + 1, effective_from=utcnow(),
                         change_summary=change_summary, created_by_id=created_by_id)
    spec.tests = [_to_row(position, test) for position, test in enumerate(tests)]
    db.session.add(spec)
    db.session.flush()
    return spec


def _to_row(position: int, test: SpecTest) -> SpecificationTest:
    return SpecificationTest(
        position=position, code=test.code, name=test.name, kind=str(test.kind),
        unit=test.unit, method=test.method,
        lower=None if test.lower is None else Decimal(str(test.lower)),
        lower_inclusive=test.lower_inclusive,
        upper=None if test.upper is None else Decimal(str(test.upper)),
        upper_inclusive=test.upper_inclusive,
        accepted_values=json.dumps(sorted(test.accepted_values)),
        mandatory=test.mandatory, may_be_pending=test.may_be_pending_at_release,
    )


def as_domain(row: SpecificationTest) -> SpecTest:
    """The domain rule for a stored test, to evaluate results against."""
    return SpecTest(
        code=row.code, name=row.name, kind=ResultKind(row.kind), unit=row.unit,
        method=row.method, lower=row.lower, lower_inclusive=row.lower_inclusive,
        upper=row.upper, upper_inclusive=row.upper_inclusive,
        accepted_values=frozenset(json.loads(row.accepted_values)),
        mandatory=row.mandatory, may_be_pending_at_release=row.may_be_pending,
    )
