"""Adverse events: linked to the treatment at once, a serious one notifies QA and the
treating clinician, its PDF report traces the product, corrections keep the first entry."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from labtrack.accounts.models import Notice, User
from labtrack.clinic import adverse_events
from labtrack.clinic.adverse_events import SERIOUS_NOTICE, EventData
from labtrack.culture import harvest
from labtrack.culture.dose_models import Administration
from labtrack.culture.models import Batch
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import csrf_token_from, lab_today, login


def event_data(**fields) -> EventData:
    return EventData(**{"onset_date": lab_today() - timedelta(days=2),
                        "description": "Low back pain flare after the injection",
                        "severity": "moderate", "causality_product": "possible",
                        "causality_procedure": "probable", "action_taken": "treatment",
                        "outcome": "recovering", **fields})


def batch_of(order) -> Batch:
    return db.session.scalar(select(Batch).where(Batch.order_id == order.id))


def test_an_event_is_linked_to_administration_dose_batch_and_din(clinician, treat):
    order = treat(days_ago=30)
    batch = batch_of(order)
    event = adverse_events.report_event(clinician, order, event_data(disc_level="L5-S1"),
                                        lab_zone())
    dose = {d.disc_level: d for d in harvest.batch_doses(batch)}["L5-S1"]
    given = db.session.scalar(select(Administration).where(Administration.dose_id == dose.id))
    din = db.session.scalar(select(Sample.din).where(Sample.id == batch.sample_id))
    assert (event.patient_id, event.batch_id, event.dose_id, event.administration_id,
            event.din) == (order.patient_id, batch.id, dose.id, given.id, din)
    assert not event.serious
    assert db.session.scalar(select(Notice).where(Notice.kind == SERIOUS_NOTICE)) is None
    first = adverse_events.report_event(clinician, order, event_data(), lab_zone())
    assert first.administration_id is not None and first.din == din


def test_a_serious_event_notifies_qa_and_the_treating_clinician(clinician, treat):
    order = treat(days_ago=30)
    builders.user("qa")
    qa_ids = set(db.session.scalars(select(User.id).where(User.role == "qa")))
    assert len(qa_ids) >= 2  # the one who released the batch, and another
    event = adverse_events.report_event(clinician, order, event_data(
        criteria=["hospitalisation"], severity="severe", outcome="recovering",
        description="Discitis at L4-L5, admitted for IV antibiotics"), lab_zone())
    assert event.serious and event.seriousness_criteria == "hospitalisation"
    notices = db.session.scalars(select(Notice).where(Notice.kind == SERIOUS_NOTICE)).all()
    assert {n.user_id for n in notices} == {clinician.id} | qa_ids
    assert all(n.severity == "critical" and n.batch_id == event.batch_id for n in notices)
    assert event.din in notices[0].message and "Discitis" in notices[0].message


def test_the_report_pdf_traces_the_product(app, client, clinician, treat):
    order = treat(days_ago=30)
    batch = batch_of(order)
    event = adverse_events.report_event(clinician, order, event_data(
        criteria=["hospitalisation"], description="Discitis at L4-L5"), lab_zone())
    login(client, clinician.username)
    response = client.get(f"/adverse-events/{event.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in ("Adverse event report", "Discitis at L4-L5", order.patient.record_number,
                     order.order_number, batch.batch_number, event.din, "L4-L5", "L5-S1",
                     "Hospitalisation", "Possible", "Probable", "released", "Reagent lots used"):
        assert expected in text, expected
    for dose in harvest.batch_doses(batch):
        assert dose.dose_code in text


def test_the_batch_page_lists_its_events(app, client, clinician, treat):
    order = treat(days_ago=30)
    adverse_events.report_event(clinician, order, event_data(description="Transient "
                                                             "radicular pain"), lab_zone())
    login(client, builders.user("qa").username)
    page = client.get(f"/batches/{batch_of(order).batch_number}").get_data(as_text=True)
    assert 'data-testid="adverse-event"' in page and "Transient radicular pain" in page


def test_an_event_a_clinician_cannot_report_is_refused(clinician, treat):
    order = treat(days_ago=30)
    with pytest.raises(ServiceError, match="before the injection"):
        adverse_events.report_event(clinician, order, event_data(
            onset_date=lab_today() - timedelta(days=40)), lab_zone())
    with pytest.raises(ServiceError):
        adverse_events.report_event(clinician, order, event_data(causality_product="likely"),
                                    lab_zone())
    with pytest.raises(ServiceError, match="No dose was given"):
        adverse_events.report_event(clinician, order, event_data(disc_level="L3-L4"),
                                    lab_zone())
    with pytest.raises(PermissionDenied):
        adverse_events.report_event(builders.user("clinician"), order, event_data(), lab_zone())


def test_a_correction_that_makes_an_event_serious_notifies(clinician, treat):
    order = treat(days_ago=30)
    first = adverse_events.report_event(clinician, order, event_data(), lab_zone())
    corrected = adverse_events.correct_event(
        clinician, first, event_data(criteria=["medically_important"]),
        "Reassessed: medically important", lab_zone())
    assert corrected.supersedes_id == first.id and corrected.serious
    assert adverse_events.current_events(order_id=order.id) == [corrected]
    assert db.session.scalar(select(Notice).where(Notice.kind == SERIOUS_NOTICE,
                                                  Notice.user_id == clinician.id))
    db.session.refresh(first)
    assert not first.serious


def test_reporting_through_the_page(app, client, clinician, treat):
    order = treat(days_ago=30)
    qa = builders.user("qa")
    login(client, clinician.username)
    url = f"/orders/{order.order_number}/adverse-events/new"
    token = csrf_token_from(client.get(url))
    response = client.post(url, data={
        "csrf_token": token, "onset_date": lab_today().isoformat(),
        "description": "Fever 38.5 °C", "criteria": ["hospitalisation"], "severity": "severe",
        "causality_product": "possible", "causality_procedure": "possible",
        "action_taken": "hospitalisation", "outcome": "recovered", "disc_level": ""})
    assert response.status_code == 302
    [event] = adverse_events.current_events(order_id=order.id)
    assert event.serious and db.session.scalar(select(Notice).where(Notice.user_id == qa.id))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fever 38.5 °C" in page and event.din in page
