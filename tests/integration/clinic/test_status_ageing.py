"""Status that ages: Today and readiness worked out as of now from the stored summaries."""

import re
from datetime import timedelta

import time_machine

from labtrack.database import utcnow
from tests import builders
from tests.helpers import lab_today, login
from tests.integration.bench_forms import text


def _counted_batch(clinician):
    """Day 12, counted on days 6 and 9 (5 and 14 × 10⁶, doubling in 2 days), target 40 × 10⁶:
    the target is projected in about 3 days, well before the procedure in 30."""
    order = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=30))
    batch = builders.seeded_batch(order, seeded_days_ago=12)
    builders.count(batch, 5_000_000, counted_at=utcnow() - timedelta(days=6))
    builders.count(batch, 14_000_000, counted_at=utcnow() - timedelta(days=3))
    return order, batch


def _today_row(client, batch) -> str:
    page = text(client.get("/today"))
    return dict(re.findall(r'data-batch="([^"]+)">(.*?)</tr>', page, re.S)).get(
        batch.batch_number, "")


def test_today_flags_count_overdue_and_at_risk_once_time_passes(app, make_user):
    order, batch = _counted_batch(make_user("clinician"))
    client, technician = app.test_client(), make_user("technician")
    login(client, technician.username)
    assert 'data-kind="count"' not in _today_row(client, batch)
    with time_machine.travel(utcnow() + timedelta(days=10), tick=True):
        login(client, technician.username)  # ten days later: a new session
        row = _today_row(client, batch)
        assert 'data-kind="count" data-status="overdue"' in row
        assert "Day 22" in row and "At risk" in row
        page = text(client.get("/today"))
        at_risk = re.search(r'data-testid="at-risk-batches">(.*?)</section>', page,
                            re.S).group(1)
        assert batch.batch_number in at_risk


def test_readiness_ages_without_new_entries(app, make_user):
    clinician = make_user("clinician")
    order, _batch = _counted_batch(clinician)
    client = app.test_client()
    login(client, clinician.username)
    page = text(client.get("/readiness"))
    assert f'data-order="{order.order_number}" data-status="in_culture"' in page
    with time_machine.travel(utcnow() + timedelta(days=10), tick=True):
        login(client, clinician.username)
        page = text(client.get("/readiness?status=at_risk"))
        row = re.search(rf'data-order="{order.order_number}" data-status="at_risk">(.*?)</tr>',
                        page, re.S).group(1)
        assert "day 22" in row
        assert 'data-alert="ready_date_passed"' in row and 'data-alert="count_overdue"' in row
        assert order.order_number not in text(client.get("/readiness?status=in_culture"))
