"""Counts at the bench: hard limits refused, soft limits recorded only with a reason."""

import re
from datetime import timedelta

from sqlalchemy import select

from labtrack.audit.models import AuditEvent
from labtrack.culture import plausibility
from labtrack.culture.models import CellCount
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.integration.bench_forms import post_count, rows, text


def _growing(technician):
    """Day 12 of a culture on 700 cm², counted on days 6, 8 and 11 (6, 10.5, 20 × 10⁶)."""
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=12)
    for days_ago, cells in ((6, 6_000_000), (4, 10_500_000), (1, 20_000_000)):
        builders.count(batch, cells, 500_000, counted_at=utcnow() - timedelta(days=days_ago),
                       technician=technician)
    return batch


def test_99999_million_on_day_12_is_refused_as_more_than_the_surface_holds(signed_in):
    client, technician = signed_in("technician")
    batch = _growing(technician)  # seeded on 700 cm²
    response = post_count(client, batch, viable_cells="99999", dead_cells="1",
                          plausibility_confirmed="y", plausibility_reason="Sure")
    assert response.status_code == 400
    assert ("Viable cells: 99,999 × 10⁶ cannot be true: the culture's 700 cm² hold at most "
            "70 × 10⁶ (100,000 cells per cm²)") in text(response).replace("&#39;", "'")
    assert rows(CellCount) == 3


def test_a_count_past_soft_limits_shows_the_warning_and_is_not_recorded(signed_in):
    client, technician = signed_in("technician")
    batch = _growing(technician)
    response = post_count(client, batch, viable_cells="55", dead_cells="1")
    assert response.status_code == 400
    page = text(response).replace("&#39;", "'")
    warning = re.search(r'data-testid="plausibility-warning">(.*?)</ul>', page, re.S).group(1)
    assert "Viable cells: 55 × 10⁶ means a doubling time of 0.6" in warning
    assert "since the previous count (20 × 10⁶)" in warning
    assert "shorter than the protocol's minimum of 0.8 days" in warning
    assert 'name="plausibility_reason"' in page and 'name="plausibility_confirmed"' in page
    assert rows(CellCount) == 3


def test_confirming_without_a_reason_is_refused(signed_in):
    client, technician = signed_in("technician")
    batch = _growing(technician)
    response = post_count(client, batch, viable_cells="55", dead_cells="1",
                          plausibility_confirmed="y", plausibility_reason="  ")
    assert response.status_code == 400
    assert "Give the reason the value is right." in text(response)
    assert rows(CellCount) == 3


def test_a_confirmed_value_is_recorded_with_its_reason_audited_and_shown(signed_in):
    client, technician = signed_in("technician")
    batch = _growing(technician)
    response = post_count(client, batch, viable_cells="55", dead_cells="1",
                          plausibility_confirmed="y",
                          plausibility_reason="Pooled the three flasks; recounted twice.")
    assert response.status_code == 302, text(response)
    count = db.session.scalars(select(CellCount).order_by(CellCount.id.desc())).first()
    assert count.viable_cells == 55_000_000
    assert count.plausibility_reason == "Pooled the three flasks; recounted twice."
    assert "doubling time" in count.plausibility_warning
    audited = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "cell_count", AuditEvent.record_id == str(count.id))).one()
    assert "Pooled the three flasks" in audited.changes
    page = text(client.get(f"/batches/{batch.batch_number}"))
    shown = re.search(r'data-testid="plausibility-exception">(.*?)</p>', page, re.S).group(1)
    assert "Pooled the three flasks; recounted twice." in shown and "doubling time" in shown
    [exception] = plausibility.plausibility_exceptions(batch)
    assert (exception.value, exception.reason, exception.who) == (
        "55 × 10⁶ viable cells", "Pooled the three flasks; recounted twice.",
        technician.full_name)
    assert "doubling time" in exception.warning and exception.when == count.created_at


def test_a_plausible_count_needs_no_confirmation(signed_in):
    client, technician = signed_in("technician")
    batch = _growing(technician)
    response = post_count(client, batch, viable_cells="36", dead_cells="1")
    assert response.status_code == 302
    assert plausibility.plausibility_exceptions(batch) == []


def test_a_count_after_a_passage_below_its_split_ratio_asks_for_a_reason(signed_in):
    client, technician = signed_in("technician")
    batch = _growing(technician)
    builders.step(batch, "passage", technician, confluence_percent=75, flasks=6,
                  cells=20_000_000, split_ratio="1:2",
                  performed_at=utcnow() - timedelta(hours=12))
    response = post_count(client, batch, viable_cells="4", dead_cells="0.5")
    assert response.status_code == 400
    assert "below the 10 × 10⁶ that its split ratio 1:2 explains" in text(response)
