"""QA's review judges each QC result again against the specification when shown, and
flags a recorded verdict that disagrees (a value changed in the database after entry)."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.quality import release
from labtrack.quality.models import QcResult
from labtrack.web.templating import lab_zone
from tests import builders


def _edit_in_the_database(batch, code, **values):
    """A value changed behind the application's back (no audit, no new verdict)."""
    result = db.session.scalar(select(QcResult).where(QcResult.batch_id == batch.id,
                                                      QcResult.test_code == code))
    table = QcResult.__table__
    db.session.execute(update(table).where(table.c.id == result.id).values(**values))
    db.session.commit()
    db.session.expire_all()


def _line(html: str, code: str) -> str:
    return re.search(rf'<tr data-testid="qc-line" data-code="{code}".*?</tr>', html,
                     re.S).group(0)


def test_a_stored_pass_now_out_of_limits_is_shown_failing_flagged_and_blocks_release(
        app, signed_in):
    batch = builders.releasable_batch()
    _edit_in_the_database(batch, "viability", numeric_value=Decimal("55"))
    client, qa = signed_in("qa")

    html = client.get(f"/quality/batches/{batch.batch_number}").get_data(as_text=True)

    line = _line(html, "viability")
    assert 'data-verdict="fail"' in line
    assert "Recorded as Pass: disagrees with the specification" in line
    assert ("Viability was recorded as pass, but its result 55 (limit ≥ 70 %) is fail "
            "against the specification") in html
    assert "Release…" not in html and "Exceptional release…" not in html
    with pytest.raises(ServiceError, match="cannot be released"):
        builders.release(batch)


def test_a_stored_fail_that_now_passes_is_flagged_too(app, signed_in):
    batch = builders.releasable_batch(endotoxin="0.7")
    _edit_in_the_database(batch, "endotoxin", numeric_value=Decimal("0.1"))
    review = release.review(batch, builders.user("qa"), lab_zone())
    assert [i.code for i in review.blocking] == ["qc.verdict_disagrees"]
    assert not review.can_release_exceptionally  # integrity, not specification
    client, _ = signed_in("qa")
    html = client.get(f"/quality/batches/{batch.batch_number}").get_data(as_text=True)
    assert "Recorded as Fail: disagrees" in _line(html, "endotoxin")


def test_results_that_agree_with_their_verdicts_are_not_flagged(app, signed_in):
    batch = builders.releasable_batch()
    client, _ = signed_in("qa")
    html = client.get(f"/quality/batches/{batch.batch_number}").get_data(as_text=True)
    assert 'data-testid="verdict-disagrees"' not in html
    assert "Release…" in html
