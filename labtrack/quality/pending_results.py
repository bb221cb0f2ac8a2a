"""Results allowed to be pending at release, and which of them have arrived since."""

from __future__ import annotations

from sqlalchemy import select

from labtrack.extensions import db
from labtrack.qms.models import SpecificationTest
from labtrack.quality.models import QcResult


def pending_allowed_tests(specification_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """(code, name) of the tests allowed to be pending at release, per specification id."""
    rows = db.session.execute(
        select(SpecificationTest.specification_id, SpecificationTest.code,
               SpecificationTest.name)
        .where(SpecificationTest.specification_id.in_(specification_ids),
               SpecificationTest.may_be_pending.is_(True))
        .order_by(SpecificationTest.position)).all()
    tests: dict[int, list[tuple[str, str]]] = {}
    for spec_id, code, name in rows:
        tests.setdefault(spec_id, []).append((code, name))
    return tests


def result_codes(batch_ids: set[int]) -> set[tuple[int, str]]:
    """(batch id, test code) for every test that has a result, for these batches."""
    return {(batch_id, code) for batch_id, code in db.session.execute(
        select(QcResult.batch_id, QcResult.test_code).where(QcResult.batch_id.in_(batch_ids)))}
