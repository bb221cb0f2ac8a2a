"""Protocol windows at the bench: inclusive at both ends, and To do right after a step."""

import re
from datetime import timedelta

from labtrack.culture.models import CultureStep
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.integration.bench_forms import post_step, text


def _ready_for_passage(technician, confluence):
    """Observed at the start of this minute, the minute the passage form will carry."""
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=9)
    builders.step(batch, "non_adherent_removal", technician,
                  performed_at=utcnow() - timedelta(days=7))
    builders.step(batch, "observation", technician, confluence_percent=confluence,
                  contamination_signs=False,
                  performed_at=utcnow().replace(second=0, microsecond=0))
    return batch


def _today_row(client, batch) -> str:
    page = text(client.get("/today"))
    rows = dict(re.findall(r'data-batch="([^"]+)">(.*?)</tr>', page, re.S))
    return rows.get(batch.batch_number, "")


def test_a_passage_at_80_percent_confluence_needs_no_deviation(signed_in):
    client, technician = signed_in("technician")
    batch = _ready_for_passage(technician, 80)
    response = post_step(client, batch, "passage", confluence_percent="80", split_ratio="1:3",
                         flasks="6", cells="3")
    assert response.status_code == 302, text(response)
    step = db.session.query(CultureStep).filter_by(batch_id=batch.id, kind="passage").one()
    assert step.confluence_percent == 80 and step.deviation_id is None


def test_today_no_longer_says_passage_due_right_after_the_passage(signed_in):
    client, technician = signed_in("technician")
    batch = _ready_for_passage(technician, 76)
    assert 'data-kind="passage"' in _today_row(client, batch)
    response = post_step(client, batch, "passage", confluence_percent="76", split_ratio="1:3",
                         flasks="6", cells="3")
    assert response.status_code == 302, text(response)
    assert 'data-kind="passage"' not in _today_row(client, batch)
