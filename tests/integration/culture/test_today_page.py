"""Today, the bench's worklist: due and overdue tasks, batches at risk, and its cost."""

import re
from datetime import timedelta

from sqlalchemy import event

from labtrack.culture import batches
from labtrack.culture import worklist as bench_service
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.helpers import lab_today
from tests.integration.bench_forms import text


def test_today_is_empty_without_batches_in_culture(signed_in):
    client, _ = signed_in("technician")
    assert "Nothing is due today: no batch is in culture." in text(client.get("/today"))


def test_today_lists_due_and_overdue_tasks_and_batches_at_risk(signed_in):
    client, technician = signed_in("technician")
    late = builders.seeded_batch(technician=technician, seeded_days_ago=7)
    fresh = builders.seeded_batch(technician=technician, seeded_days_ago=2)
    soon = builders.order(planned_procedure_date=lab_today() + timedelta(days=3))
    risky = builders.seeded_batch(soon, technician, seeded_days_ago=6)
    builders.count(risky, 1_000_000, counted_at=utcnow() - timedelta(days=4))
    builders.count(risky, 2_000_000, counted_at=utcnow() - timedelta(days=1))
    ended = builders.seeded_batch(technician=technician)
    batches.change_state(builders.user("qa"), ended, "terminated", "Contamination")
    db.session.commit()

    page = text(client.get("/today"))
    rows_ = dict(re.findall(r'data-batch="([^"]+)">(.*?)</tr>', page, re.S))
    assert set(rows_) == {late.batch_number, fresh.batch_number, risky.batch_number}
    assert 'data-kind="non_adherent_removal" data-status="overdue"' in rows_[late.batch_number]
    assert 'data-kind="non_adherent_removal" data-status="due"' in rows_[fresh.batch_number]
    assert (f'href="/batches/{fresh.batch_number}/steps/new/non_adherent_removal"'
            in rows_[fresh.batch_number])
    at_risk = re.search(r'data-testid="at-risk-batches">(.*?)</section>', page, re.S).group(1)
    assert risky.batch_number in at_risk and late.batch_number not in at_risk
    assert ended.batch_number not in page


def test_the_at_risk_notice_names_the_first_batches_and_counts_the_rest(signed_in,
                                                                        monkeypatch):
    monkeypatch.setattr(bench_service, "AT_RISK_SHOWN", 2)
    client, technician = signed_in("technician")
    risky = []
    for _ in range(3):
        batch = builders.seeded_batch(
            builders.order(planned_procedure_date=lab_today() + timedelta(days=3)),
            technician, seeded_days_ago=6)
        builders.count(batch, 1_000_000, counted_at=utcnow() - timedelta(days=4))
        builders.count(batch, 2_000_000, counted_at=utcnow() - timedelta(days=1))
        risky.append(batch.batch_number)
    page = text(client.get("/today"))
    at_risk = re.search(r'data-testid="at-risk-batches">(.*?)</section>', page, re.S).group(1)
    assert [number in at_risk for number in sorted(risky)] == [True, True, False]
    assert "2 of 3 shown." in at_risk
    assert page.count(">At risk</span>") == 3  # every worklist row is marked


def test_today_loads_in_a_few_queries_whatever_the_number_of_batches(signed_in, app):
    client, technician = signed_in("technician")

    def queries():
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/today").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    builders.seeded_batch(technician=technician)
    queries()  # the first visit works out the summaries of the batches made before
    one = queries()
    for _ in range(3):
        builders.count(builders.seeded_batch(technician=technician), 1_000_000)
    assert queries() == one
