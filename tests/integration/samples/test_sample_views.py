"""Sample receipt through the web form, sample pages, label PDFs and the scan box."""

import io
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from labtrack.audit.models import AuditEvent
from labtrack.culture.models import Batch
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.identity.models import ChainOfIdentityEvent, Sample
from labtrack.identity.rules import isbt128
from labtrack.qms.models import Deviation
from tests import builders
from tests.helpers import csrf_token_from, inline_scripts
from tests.integration.bench_forms import fold_answers, lab_time_at

DIN = isbt128.make_din("A9999", 2026, 4242)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _local(app, moment: datetime) -> str:
    return lab_time_at(moment)


def _receipt(app, order, **changes) -> dict:
    now = utcnow()
    data = {
        "din": DIN.barcode_data, "collected_at": _local(app, now - timedelta(hours=3)),
        "collection_site": "Right posterior iliac crest", "volume_ml": "60",
        "anticoagulant": "Heparin", "collected_by": "Dr. Ortega",
        "received_at": _local(app, now - timedelta(minutes=5)), "temperature_c": "21.5",
        "container_intact": "yes", "tube_record_number": order.patient.record_number,
        "tube_patient_name": order.patient.display_name,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _submit(client, order, data):
    url = f"/samples/receive/{order.order_number}"
    token = csrf_token_from(client.get(url))
    return client.post(url, data={**fold_answers(data), **data, "csrf_token": token})


def _text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&amp;", "&")


# --- receipt -----------------------------------------------------------------------------

def test_an_accepted_sample_starts_a_batch(bench, app):
    client, order = bench
    assert order.order_number in _text(client.get("/samples/awaiting"))
    response = _submit(client, order, _receipt(app, order))
    assert response.status_code == 302, _text(response)
    sample = db.session.scalars(select(Sample)).one()
    batch = db.session.scalars(select(Batch)).one()
    assert sample.din == DIN.text and sample.status == "accepted"
    assert batch.sample_id == sample.id and batch.state == "in_culture"
    collected = sample.collected_at
    assert collected.tzinfo is not None and collected.utcoffset() == timedelta(0)

    page = _text(client.get(response.headers["Location"], follow_redirects=True))
    assert f"Batch {batch.batch_number} has started." in page
    assert "A9999 26 004242" in page and f">{DIN.check_character}<" in page
    assert "/labels/tube.pdf" in page
    assert order.order_number not in _text(client.get("/samples/awaiting"))


@pytest.mark.parametrize("din", [
    DIN.barcode_data, DIN.keyboard_entry, DIN.keyboard_entry.lower(),
    f"{DIN.text}{DIN.check_character}", "=" + DIN.text + "00"])
def test_every_form_of_a_din_is_read(bench, app, din):
    client, order = bench
    assert _submit(client, order, _receipt(app, order, din=din)).status_code == 302
    assert db.session.scalars(select(Sample)).one().din == DIN.text


@pytest.mark.parametrize("din", [DIN.text, DIN.text.lower(), DIN.grouped])
def test_a_typed_din_without_its_check_character_is_refused_by_the_form(bench, app, din):
    client, order = bench
    response = _submit(client, order, _receipt(app, order, din=din))
    assert response.status_code in (200, 422)
    assert "Type the DIN with its check character" in _text(response)
    assert _count(Sample) == 0


def test_a_din_can_be_generated(bench, app):
    client, order = bench
    response = _submit(client, order, _receipt(app, order, din="", generate_din="y"))
    assert response.status_code == 302
    din = isbt128.parse_din(db.session.scalars(select(Sample)).one().din)
    assert din.facility_id == app.config["FACILITY_ID"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"din": ""}, "Scan or type the DIN, or tick “generate one”."),
    ({"generate_din": "y"}, "Either scan a DIN or generate one, not both."),
    ({"din": DIN.text + ("0" if DIN.check_character != "0" else "1")},
     "The check character does not match this DIN"),
    ({"din": f"={DIN.text}61"}, "The barcode's check flags do not match this DIN."),
    ({"din": "hello"}, "This is not a valid ISBT 128 DIN."),
    ({"volume_ml": "lots"}, "Not a valid decimal value."),
    ({"volume_ml": "NaN"}, "Enter a number."),
    ({"volume_ml": "60.25"}, "Use at most 1 decimal places."),
    ({"temperature_c": "-Infinity"}, "Enter a number."),
    ({"container_intact": None}, "Say whether the container is intact."),
    ({"collected_at": "yesterday"}, "Not a valid datetime value."),
    ({"collection_site": ""}, "This field is required."),
])
def test_form_errors_keep_every_value_and_store_nothing(bench, app, changes, message):
    client, order = bench
    response = _submit(client, order, _receipt(app, order, **changes))
    html = _text(response)
    assert response.status_code == 200
    assert message in html
    assert 'value="Right posterior iliac crest"' in html or "collection_site" in changes
    assert 'value="Dr. Ortega"' in html
    if "din" in changes and changes["din"]:
        assert f'value="{changes["din"]}"' in html
    assert _count(Sample) == 0 and _count(Batch) == 0


def test_a_receipt_in_the_future_or_before_collection_is_refused(bench, app):
    client, order = bench
    future = _receipt(app, order, received_at=_local(app, utcnow() + timedelta(days=1)))
    assert "The receipt time cannot be in the future." in _text(_submit(client, order, future))
    early = _receipt(app, order, collected_at=_local(app, utcnow() - timedelta(minutes=1)),
                     received_at=_local(app, utcnow() - timedelta(minutes=30)))
    assert "Collection must be before receipt." in _text(_submit(client, order, early))
    assert _count(Sample) == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"collected_at_hours": 30}, "h after collection (limit 24 h)."),
    ({"volume_ml": "10"}, "Volume 10 mL is outside 30–150 mL."),
    ({"volume_ml": "500"}, "Volume 500 mL is outside 30–150 mL."),
    ({"temperature_c": "4"}, "Temperature on arrival 4 °C is outside 15–25 °C."),
    ({"container_intact": "no"}, "The container is not intact."),
])
def test_each_broken_rule_is_shown_then_the_sample_is_rejected(bench, app, changes, message):
    client, order = bench
    if "collected_at_hours" in changes:
        hours = changes.pop("collected_at_hours")
        changes["collected_at"] = _local(app, utcnow() - timedelta(hours=hours))
    data = _receipt(app, order, **changes)
    first = _submit(client, order, data)
    assert first.status_code == 200
    assert message in _text(first) and "Nothing has been saved yet." in _text(first)
    assert _count(Sample) == 0

    reviewed = csrf_token_from(first)
    codes = _text(first).split('name="reviewed_failures" type="hidden" value="')[1].split('"')[0]
    second = client.post(f"/samples/receive/{order.order_number}",
                         data={**fold_answers(data), **data, "reviewed_failures": codes,
                               "csrf_token": reviewed})
    assert second.status_code == 302
    sample = db.session.scalars(select(Sample)).one()
    assert sample.status == "rejected" and _count(Batch) == 0
    page = _text(client.get(second.headers["Location"], follow_redirects=True))
    assert "Sample rejected: a new collection is needed." in page and message in page
    order_page = _text(client.get(f"/orders/{order.order_number}"))
    assert "Sample rejected — new collection needed" in order_page and message in order_page
    assert order.order_number in _text(client.get("/samples/awaiting"))


def test_accepting_despite_a_broken_rule_needs_a_deviation(bench, app):
    client, order = bench
    data = _receipt(app, order, temperature_c="30", accept_despite_failures="y",
                    reviewed_failures="temperature")
    missing = _text(_submit(client, order, data))
    assert "Describe the deviation to accept a sample that breaks a rule." in missing
    assert _count(Sample) == 0
    data["deviation_description"] = "Courier delayed in summer heat; PI agreed to proceed."
    response = _submit(client, order, data)
    assert response.status_code == 302
    sample = db.session.scalars(select(Sample)).one()
    assert sample.status == "accepted_with_deviation" and _count(Batch) == 1
    deviation = db.session.scalars(select(Deviation)).one()
    page = _text(client.get(response.headers["Location"], follow_redirects=True))
    assert f"Sample accepted with deviation {deviation.number}." in page
    assert "Courier delayed in summer heat" in page and "Accepted with a deviation" in page


def test_a_tube_for_another_patient_is_refused_loudly_and_recorded(bench, app):
    client, order = bench
    other = builders.patient()
    data = _receipt(app, order, tube_record_number=other.record_number,
                    tube_patient_name=other.display_name)
    response = _submit(client, order, data)
    html = _text(response)
    assert response.status_code == 200
    assert 'data-testid="flash-error" role="alert"' in html
    assert "do not match the order" in html and "the mismatch has been recorded" in html
    assert f'value="{other.record_number}"' in html and 'value="Dr. Ortega"' in html
    assert _count(Sample) == 0 and _count(Batch) == 0
    event = db.session.scalars(select(ChainOfIdentityEvent)).one()
    assert event.kind == "sample_tube_mismatch" and event.order_id == order.id


def test_a_din_is_never_used_twice(bench, app):
    client, order = bench
    builders.receive(builders.order(), din=DIN.barcode_data)
    html = _text(_submit(client, order, _receipt(app, order)))
    assert "is already in use: a DIN is unique forever." in html
    assert _count(Sample) == 1


def test_an_order_with_a_batch_cannot_receive_another_sample(bench, app):
    client, order = bench
    batch = builders.batch(order)
    response = client.get(f"/samples/receive/{order.order_number}")
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert f"already has batch {batch.batch_number} under way" in page


def test_an_unauthorised_order_warns_before_receipt(signed_in, app):
    client, _ = signed_in("technician")
    order = builders.order(authorised=False)
    html = _text(client.get(f"/samples/receive/{order.order_number}"))
    assert "No batch can start for this order" in html
    response = _submit(client, order, _receipt(app, order))
    assert "No batch can start" in _text(response)
    assert _count(Sample) == 0 and _count(Batch) == 0


def test_the_receipt_form_is_scanner_friendly(bench):
    client, order = bench
    html = _text(client.get(f"/samples/receive/{order.order_number}"))
    din_input = html.split('id="din"')[0].rsplit("<input", 1)[1] + html.split('id="din"')[1]
    assert "autofocus" in din_input.split(">")[0] and 'autocomplete="off"' in din_input
    assert html.index('name="din"') < html.index('name="collected_at"')
    assert not inline_scripts(html) and "style=" not in html


# --- sample page and labels --------------------------------------------------------------

def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_label_pdfs_download_and_every_print_is_audited(bench, app):
    client, order = bench
    outcome = builders.receive(order, din=DIN.barcode_data)
    tube = client.get(f"/samples/{DIN.text}/labels/tube.pdf")
    assert tube.status_code == 200 and tube.mimetype == "application/pdf"
    assert "attachment" in tube.headers["Content-Disposition"]
    text = _pdf_text(tube.data)
    assert "A9999 26 004242" in text and DIN.check_character in text
    assert order.patient.record_number in text and "FOR AUTOLOGOUS USE ONLY" in text
    assert outcome.batch.batch_number in text and app.config["LAB_NAME"] in text

    flasks = client.get(f"/samples/{DIN.text}/labels/flasks.pdf?flasks=3&layout=sheet")
    assert flasks.status_code == 200 and flasks.mimetype == "application/pdf"
    assert "Culture flask 3 of 3" in _pdf_text(flasks.data)
    again = client.get(f"/samples/{DIN.text}/labels/tube.pdf?layout=sheet")
    assert again.status_code == 200
    prints = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "print_label")
                                .order_by(AuditEvent.seq)).all()
    assert len(prints) == 3
    assert all(event.record_type == "sample" for event in prints)
    assert '"count":3' in prints[1].changes.replace(" ", "")


@pytest.mark.parametrize("query", ["?flasks=0", "?flasks=abc", "?flasks=999", "?layout=poster",
                                   ""])
def test_bad_flask_label_requests_are_refused_politely(bench, query):
    client, order = bench
    builders.receive(order, din=DIN.barcode_data)
    response = client.get(f"/samples/{DIN.text}/labels/flasks.pdf{query}")
    assert response.status_code == 302
    assert _count(AuditEvent, AuditEvent.action == "print_label") == 0
    assert client.get(f"/samples/{DIN.text}/labels/poster.pdf").status_code == 404


def test_a_rejected_sample_has_no_labels(bench):
    client, order = bench
    builders.receive(order, din=DIN.barcode_data, container_intact=False)
    response = client.get(f"/samples/{DIN.text}/labels/tube.pdf")
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Labels are printed only for an accepted sample" in page
    assert "The container is not intact." in page and "/labels/tube.pdf" not in page


def test_the_sample_page_for_qa_has_history_but_no_printing(signed_in):
    order = builders.order()
    builders.receive(order, din=DIN.barcode_data)
    client, _ = signed_in("qa")
    html = _text(client.get(f"/samples/{DIN.text}"))
    assert 'data-testid="history-link"' in html and "/labels/" not in html
    assert client.get(f"/samples/{DIN.text}/labels/tube.pdf").status_code == 403
    assert DIN.text in _text(client.get("/samples"))


def test_the_sample_page_accepts_any_din_form(bench):
    client, order = bench
    builders.receive(order, din=DIN.barcode_data)
    response = client.get(f"/samples/{DIN.text.lower()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(DIN.text)
    assert client.get("/samples/A999926999999").status_code == 404
    assert client.get("/samples/garbage").status_code == 404


# --- access ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["clinician", "qa", "admin"])
def test_only_technicians_receive_samples(signed_in, app, role):
    order = builders.order()
    client, _ = signed_in(role)
    url = f"/samples/receive/{order.order_number}"
    assert client.get(url).status_code == 403
    assert client.get("/samples/awaiting").status_code == 403
    token = csrf_token_from(client.get("/account/password"))
    assert client.post(url, data={**_receipt(app, order), "csrf_token": token}).status_code == 403
    assert _count(Sample) == 0


def test_no_csrf_token_no_sign_in_unknown_order_and_empty_lists(bench, app):
    bench_client, order = bench
    response = bench_client.post(f"/samples/receive/{order.order_number}",
                                 data=_receipt(app, order))
    assert response.status_code == 400 and _count(Sample) == 0
    assert "No sample has been received yet." in _text(bench_client.get("/samples"))
    assert bench_client.get("/samples/receive/ORD00-0000").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get("/scan").status_code == 302
    assert anonymous.post("/scan", data={"code": "x"}).status_code in (302, 400)
    assert anonymous.get(f"/samples/receive/{order.order_number}").status_code == 302
