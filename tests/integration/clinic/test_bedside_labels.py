"""The chain of identity through the printed label: each dose label of a two-level batch is
printed, rasterised at 300 and 203 dpi, decoded with zbar and zxing-cpp, and exactly the
decoded strings go into the bedside check over HTTP, as a keyboard-wedge scanner types them."""

import re
from html import unescape

import pytest
from flask import current_app
from sqlalchemy import select

from labtrack.clinic import administration
from labtrack.culture import formulation_corrections, harvest
from labtrack.extensions import db
from labtrack.identity.models import ChainOfIdentityEvent
from labtrack.identity.printing import PrintRequest
from labtrack.samples import receipt
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import csrf_token_from, login
from tests.label_scans import rasterise_pages, scan_page

RESOLUTIONS = (300, 203)


def decoded_dose_labels(batch, dpi, folder) -> dict[str, dict]:
    """What a scanner reads from each printed dose label, by the disc level printed on it."""
    settings = harvest.LabelSettings.from_config(current_app.config, lab_zone())
    pdf = harvest.dose_labels(builders.user("technician"), batch, settings)
    levels = {dose.product_code: dose.disc_level for dose in harvest.batch_doses(batch)}
    labels = {}
    for page in rasterise_pages(pdf, dpi, folder):
        symbols = scan_page(page)
        (code,) = [text[2:] for text in symbols["code128"] if text.startswith("=<")]
        labels[levels[code]] = symbols
    assert len(labels) == len(batch.order.levels)
    return labels


def decoded_tube_label(batch, dpi, folder) -> dict:
    pdf = receipt.print_labels(builders.user("technician"), batch.sample, "tube",
                               PrintRequest(), 1, "Cell Therapy Laboratory")
    (page,) = rasterise_pages(pdf, dpi, folder)
    return scan_page(page)


def scan(client, batch, level: str, *scans: str):
    """Scan each string into the dose field in turn, as the browser would post it: the
    page's hidden fields (the wristband, a held first half) carried to the next scan."""
    url = f"/administer/{batch.order.patient_id}"
    page = client.get(url)
    held = ""
    for text in scans:
        page = client.post(f"{url}/check", data={
            "csrf_token": csrf_token_from(page), "wristband": batch.order.patient.record_number,
            "held": held, "disc_level": level, "dose_code": text})
        match = re.search(r'name="held" type="hidden" value="([^"]*)"', page.get_data(as_text=True))
        held = unescape(match.group(1)) if match else ""
    return page


def pick(symbols: dict, prefix: str) -> str:
    """The Code 128 reading that starts with ``prefix`` (=A… the DIN, =<… the product code)."""
    (text,) = [text for text in symbols["code128"] if text.startswith(prefix)]
    return text


def refusal_events(kind: str) -> list[ChainOfIdentityEvent]:
    return list(db.session.scalars(select(ChainOfIdentityEvent)
                                   .where(ChainOfIdentityEvent.kind == kind)))


@pytest.mark.parametrize("dpi", RESOLUTIONS)
def test_the_right_dose_label_is_accepted_by_its_2d_code_or_its_two_linear_codes(
        client, clinician, released, dpi, tmp_path):
    labels = decoded_dose_labels(released, dpi, tmp_path)
    login(client, clinician.username)
    for level, symbols in labels.items():
        (matrix,) = symbols["datamatrix"]
        din, code = pick(symbols, "=A"), pick(symbols, "=<")
        for scans in ((matrix,), (din, code), (code, din)):
            page = scan(client, released, level, *scans)
            html = page.get_data(as_text=True)
            assert page.status_code == 200 and 'data-testid="verified"' in html, scans
            assert f"{released.batch_number}-{level.replace('-', '')}" in html
    first = scan(client, released, "L4-L5", pick(labels["L4-L5"], "=A"))
    assert "Now scan the product code" in first.get_data(as_text=True)


@pytest.mark.parametrize("dpi", RESOLUTIONS)
def test_the_other_levels_dose_is_refused_loudly_and_recorded(
        client, clinician, released, dpi, tmp_path):
    labels = decoded_dose_labels(released, dpi, tmp_path)
    login(client, clinician.username)
    page = scan(client, released, "L4-L5", *labels["L5-S1"]["datamatrix"])
    assert page.status_code == 422
    assert "WRONG DISC LEVEL" in page.get_data(as_text=True)
    other = labels["L5-S1"]
    assert "WRONG DISC LEVEL" in scan(client, released, "L4-L5", pick(other, "=<"),
                                      pick(other, "=A")).get_data(as_text=True)
    assert len(refusal_events("administration_wrong_level")) == 2


def test_another_patients_dose_label_is_refused_at_its_first_scan(
        client, clinician, released, tmp_path):
    theirs = builders.releasable_batch(builders.order(clinician))
    builders.release(theirs)
    labels = decoded_dose_labels(theirs, 203, tmp_path)
    login(client, clinician.username)
    page = scan(client, released, "L4-L5", *labels["L4-L5"]["datamatrix"])
    assert page.status_code == 422 and "WRONG PATIENT" in page.get_data(as_text=True)
    # The DIN alone already says whose cells these are.
    page = scan(client, released, "L4-L5", pick(labels["L4-L5"], "=A"))
    assert page.status_code == 422 and "WRONG PATIENT" in page.get_data(as_text=True)
    assert len(refusal_events("administration_wrong_patient")) == 2


def test_an_unreleased_dose_label_is_refused(client, clinician, tmp_path):
    waiting = builders.releasable_batch(builders.order(clinician))
    labels = decoded_dose_labels(waiting, 300, tmp_path)
    login(client, clinician.username)
    page = scan(client, waiting, "L4-L5", *labels["L4-L5"]["datamatrix"])
    assert page.status_code == 422 and "NOT RELEASED" in page.get_data(as_text=True)
    assert len(refusal_events("administration_not_released")) == 1


def test_an_expired_dose_label_is_refused(client, clinician, released, tmp_path, monkeypatch):
    labels = decoded_dose_labels(released, 300, tmp_path)
    expires_at = harvest.batch_doses(released)[0].expires_at
    login(client, clinician.username)
    monkeypatch.setattr(administration, "utcnow", lambda: expires_at)  # the check's "now"
    page = scan(client, released, "L4-L5", *labels["L4-L5"]["datamatrix"])
    assert page.status_code == 422 and "EXPIRED" in page.get_data(as_text=True)
    assert len(refusal_events("administration_expired")) == 1


@pytest.mark.parametrize("dpi", RESOLUTIONS)
def test_a_tube_label_scanned_at_the_bedside_is_refused_naming_what_was_scanned(
        client, clinician, released, dpi, tmp_path):
    tube = decoded_tube_label(released, dpi, tmp_path)
    (din,) = tube["code128"]
    assert tube["datamatrix"] == [din]  # the tube carries the DIN and nothing else
    login(client, clinician.username)
    page = scan(client, released, "L4-L5", din, *tube["datamatrix"])
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'data-testid="refusal"' in html
    assert "You scanned a DIN" in html and "not a dose label" in html
    assert len(refusal_events("administration_misread_label")) == 1


def test_a_label_whose_expiry_is_not_the_doses_is_refused(client, clinician, released):
    dose = harvest.batch_doses(released)[0]
    settings = harvest.LabelSettings.from_config(current_app.config, lab_zone())
    label = harvest.dose_label_data(released, dose, settings)
    forged = label.compound[:-4] + ("0000" if not label.compound.endswith("0000") else "0001")
    login(client, clinician.username)
    page = scan(client, released, dose.disc_level, forged)
    assert page.status_code == 422 and "LABEL MISMATCH" in page.get_data(as_text=True)
    assert len(refusal_events("administration_label_mismatch")) == 1


def test_a_label_printed_before_a_formulation_correction_is_refused(client, clinician, tmp_path):
    batch = builders.releasable_batch(builders.order(clinician))
    old = decoded_dose_labels(batch, 300, tmp_path)
    first = harvest.batch_doses(batch)[0]
    formulation_corrections.correct_formulation(
        builders.user("technician"), batch, harvest.FormulationData(
            formulated_at=first.formulated_at, volume_ml=first.volume_ml - 1,
            container=first.container, cells_per_dose=first.viable_cells),
        "Volume drawn up wrongly", current_app.config["DOSE_SHELF_LIFE_HOURS"])
    builders.verify_critical_steps(batch)
    builders.release(batch)
    new = decoded_dose_labels(batch, 300, tmp_path)
    login(client, clinician.username)
    for scans in (old["L4-L5"]["datamatrix"], (pick(old["L4-L5"], "=A"),
                                               pick(old["L4-L5"], "=<"))):
        page = scan(client, batch, "L4-L5", *scans)
        assert page.status_code == 422 and "SUPERSEDED" in page.get_data(as_text=True)
    assert len(refusal_events("administration_superseded_dose")) == 2
    page = scan(client, batch, "L4-L5", *new["L4-L5"]["datamatrix"])
    assert page.status_code == 200 and 'data-testid="verified"' in page.get_data(as_text=True)
