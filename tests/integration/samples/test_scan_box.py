"""The header's scan box: a DIN in any form, a batch, an order, a dose or its label's 2-D
code opens its record; what was scanned is posted, never put in the URL."""

from datetime import timedelta
from decimal import Decimal

import pytest

from labtrack.culture import harvest
from labtrack.culture.dose_models import Dose
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.web.templating import batch_url, lab_zone
from tests import builders
from tests.helpers import csrf_token_from
from tests.integration.samples.test_sample_views import DIN, _text


def scan_box(client, code: str):
    """Scan into the header's scan box: the code is posted with the page's CSRF token."""
    token = csrf_token_from(client.get("/scan"))
    return client.post("/scan", data={"code": code, "csrf_token": token})


def _batch_page(app, batch) -> str:
    """The batch page (batches.detail once it exists, else the sample page)."""
    with app.test_request_context():
        return batch_url(batch)


def test_the_scan_box_opens_samples_batches_and_orders(bench, app):
    client, order = bench
    batch = builders.receive(order, din=DIN.barcode_data).batch
    sample_url = f"/samples/{DIN.text}"
    for code in (DIN.barcode_data, DIN.text, DIN.keyboard_entry, DIN.text.lower()):
        response = scan_box(client, code)
        assert response.status_code == 303 and response.headers["Location"] == sample_url, code
    by_batch = scan_box(client, batch.batch_number.lower())
    assert by_batch.status_code == 303
    assert by_batch.headers["Location"] == _batch_page(app, batch)
    by_order = scan_box(client, f" {order.order_number} ")
    assert by_order.headers["Location"] == f"/orders/{order.order_number}"
    assert 'data-testid="scan-box"' in _text(client.get("/samples/awaiting"))


def test_the_scan_box_opens_a_dose(bench, app):
    client, order = bench
    batch = builders.batch(order)
    now = utcnow()
    db.session.add(Dose(dose_code="MSCDOSE-L4L5", batch_id=batch.id, disc_level="L4-L5",
                        product_code="S12341A0",
                        viable_cells=20_000_000, volume_ml=Decimal("2.00"),
                        container="1 mL syringe", formulated_at=now,
                        expires_at=now + timedelta(hours=24)))
    db.session.commit()
    response = scan_box(client, "mscdose-l4l5")
    assert response.status_code == 303
    location = response.headers["Location"]
    if "doses.detail" in app.view_functions:  # the dose page, if it takes dose_code
        assert "MSCDOSE-L4L5" in location or location == _batch_page(app, batch)
    else:
        assert location == _batch_page(app, batch)


def test_a_dose_labels_2d_code_opens_its_dose_and_a_product_code_alone_is_explained(bench, app):
    client, order = bench
    batch = builders.formulated_batch(order)
    dose = harvest.batch_doses(batch)[1]
    settings = harvest.LabelSettings.from_config(app.config, lab_zone())
    label = harvest.dose_label_data(batch, dose, settings)
    response = scan_box(client, label.compound)
    assert response.status_code == 303
    assert response.headers["Location"] == _batch_page(app, batch)
    assert label.compound not in response.headers["Location"]
    html = _text(scan_box(client, "=<" + dose.product_code))
    assert "does not say which donation" in html


@pytest.mark.parametrize("code", ["garbage", "=", "=A9999", "%_%", "<script>x</script>",
                                  "A999926999999", "ORD99-9999", "ß" * 500, "'; DROP TABLE x"])
def test_unknown_codes_say_no_record_matches(bench, code):
    client, _ = bench
    response = scan_box(client, code)
    html = _text(response)
    assert response.status_code == 404
    assert "No record matches" in html and "<script>x" not in html
    assert 'id="scan-page-code"' in html


def test_a_misread_din_check_is_explained(bench):
    client, _ = bench
    wrong = DIN.text + ("0" if DIN.check_character != "0" else "1")
    html = _text(scan_box(client, wrong))
    assert "No record matches" in html and "The check character does not match" in html
    assert client.get("/scan").status_code == 200


def test_the_scan_box_respects_roles(signed_in):
    order = builders.order()
    builders.receive(order, din=DIN.barcode_data)
    client, _ = signed_in("clinician")
    response = scan_box(client, DIN.barcode_data)
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 403


