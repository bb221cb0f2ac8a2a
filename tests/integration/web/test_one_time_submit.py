"""Every form submit carries a one-time token: a repeated submit (back button then submit
again, a double click, a retry) records once and shows the first result."""

import re

from sqlalchemy import func, select

from labtrack.culture.models import CultureStep
from labtrack.extensions import db
from labtrack.web.models import FormSubmission
from tests import builders
from tests.helpers import csrf_token_from, submit_token_from
from tests.integration.bench_forms import fold_answers, local


def _observations(batch) -> int:
    return db.session.scalar(select(func.count()).select_from(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind == "observation"))


def _observation_form(client, batch):
    url = f"/batches/{batch.batch_number}/steps/new/observation"
    page = client.get(url)
    when = local()
    data = {"performed_at": when, **fold_answers({"performed_at": when}),
            "csrf_token": csrf_token_from(page), "submit_token": submit_token_from(page),
            "confluence_percent": "55", "contamination_signs": "no",
            "morphology": "Spindle-shaped"}
    return url, data


def test_back_then_record_again_records_one_observation_and_shows_the_first_result(
        signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
    url, data = _observation_form(client, batch)

    first = client.post(url, data=data)
    again = client.post(url, data=data)  # the back button's page, submitted a second time

    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert _observations(batch) == 1
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "This form was already submitted: it was recorded once" in shown


def test_a_refused_submit_records_nothing_so_the_corrected_form_may_be_sent(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
    url, data = _observation_form(client, batch)

    refused = client.post(url, data={**data, "confluence_percent": "140"})
    corrected = client.post(url, data=data)

    assert refused.status_code == 400 and corrected.status_code == 302
    assert _observations(batch) == 1
    assert "already submitted" not in client.get(corrected.headers["Location"]).get_data(
        as_text=True)


def test_every_post_form_of_a_page_has_its_own_fresh_token(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
    pages = [f"/batches/{batch.batch_number}/steps/new/observation",
             f"/batches/{batch.batch_number}", f"/qc/batches/{batch.batch_number}",
             "/deviations/new"]
    seen = []
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        forms = re.findall(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', html, re.S)
        assert forms, url
        for form in forms:
            seen += re.findall(r'name="submit_token" value="([^"]+)"', form)[:1]
        assert len(seen) >= len(forms), url
    assert len(seen) == len(set(seen))  # one per rendering, never reused


def test_a_token_is_claimed_by_its_first_submit_only(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
    url, data = _observation_form(client, batch)
    for _ in range(3):
        client.post(url, data=data)
    claimed = db.session.scalars(select(FormSubmission)).one()
    assert claimed.user_id == technician.id and claimed.location
    assert _observations(batch) == 1
