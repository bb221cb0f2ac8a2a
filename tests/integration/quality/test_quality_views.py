"""The QA pages, QC entry, deviations, specifications and harvest pages, per role."""

import re

import pytest
from sqlalchemy import func, select

from labtrack.culture.models import Batch
from labtrack.extensions import db
from labtrack.qms import deviations
from labtrack.qms.models import Deviation, Specification
from labtrack.quality.models import Release
from tests import builders
from tests.helpers import PASSWORD, csrf_token_from, login, prefilled_time, results_grid

ALLOWED = {
    "/review": {"qa"},
    "/quality/batches/{batch}": {"qa"},
    "/quality/batches/{batch}/release": {"qa"},
    "/quality/batches/{batch}/reject": {"qa"},
    "/quality/batches/{batch}/labels.pdf": {"qa", "technician"},
    "/qc/batches/{batch}": {"qa", "technician"},
    "/deviations": {"qa", "technician"},
    "/deviations/new": {"qa", "technician"},
    "/deviations/{deviation}": {"qa", "technician"},
    "/specifications": {"qa"},
    "/specifications/new": {"qa"},
    "/harvest/{batch}": {"technician"},
    "/harvest/{batch}/formulation": {"technician"},
}


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _sign(page, **fields) -> dict:
    """Form data with the CSRF token and the signing step (user name when it is asked)."""
    html = _text(page)
    data = {"csrf_token": csrf_token_from(page), "sign_password": PASSWORD, "sign_confirm": "y",
            **fields}
    version = re.search(r'name="version"[^>]*value="(\d+)"', html)
    if version:
        data.setdefault("version", version.group(1))
    return data


@pytest.mark.parametrize("role", ["technician", "qa", "clinician", "admin"])
def test_each_page_is_open_only_to_its_roles(app, signed_in, role):
    batch = builders.releasable_batch()
    deviation = deviations.report_deviation(builders.user("qa"), batch, "process", "minor",
                                            "Label smudged", "Reprinted")
    client, _ = signed_in(role)
    for template, roles in ALLOWED.items():
        url = template.format(batch=batch.batch_number, deviation=deviation.number)
        status = client.get(url).status_code
        assert status == (200 if role in roles else 403), (url, status)


def test_the_qa_queue_lists_batches_deviations_and_pending_results(app, signed_in):
    waiting = builders.releasable_batch()
    released = builders.releasable_batch(skip=("sterility",))
    builders.release(released)
    deviations.report_deviation(builders.user("technician"), waiting, "equipment", "major",
                                "Centrifuge imbalance", "Stopped mid-run")
    client, _ = signed_in("qa")
    html = _text(client.get("/review"))
    assert f'href="/quality/batches/{waiting.batch_number}"' in html
    assert "Centrifuge imbalance" in html
    assert re.search(rf"{released.batch_number}</a>: Sterility", html)


def test_the_batch_page_names_every_blocking_item_and_offers_no_release(app, signed_in):
    batch = builders.releasable_batch(skip=("mycoplasma",), viability="60")
    client, _ = signed_in("qa")
    html = _text(client.get(f"/quality/batches/{batch.batch_number}"))
    assert "Release is blocked by 2 items" in html
    assert "Mycoplasma has no result yet." in html
    assert "Viability is out of specification: 60 (limit ≥ 70 %)." in html
    assert "Release…" not in html and "Exceptional release…" not in html
    page = client.get(f"/quality/batches/{batch.batch_number}/release")
    assert page.status_code == 200 and 'data-testid="decide"' not in _text(page)


def test_qa_releases_with_a_signature_then_downloads_the_record(app, client):
    batch = builders.releasable_batch()
    qa = builders.user("qa")
    login(client, qa.username)
    url = f"/quality/batches/{batch.batch_number}/release"
    page = client.get(url)
    assert 'name="sign_username"' in _text(page)  # the session's first signature
    refused = client.post(url, data=_sign(page, sign_username=qa.username,
                                          sign_password="wrong"))
    assert refused.status_code == 400 and "Wrong password" in _text(refused)
    assert _count(Release) == 0

    response = client.post(url, data=_sign(page, sign_username=qa.username),
                           follow_redirects=True)

    assert response.status_code == 200
    assert "released for clinical use" in _text(response)
    assert 'data-testid="record-link"' in _text(response)
    pdf = client.get(f"/quality/batches/{batch.batch_number}/record.pdf")
    assert pdf.data == db.session.scalars(select(Release)).one().record_pdf
    again = client.get(f"/quality/batches/{batch.batch_number}/release")
    assert 'name="sign_username"' not in _text(again)  # only at the first signature
    late = client.post(url, data=_sign(page), follow_redirects=True)
    assert late.status_code == 200 and "already released" in _text(late)


def test_a_stale_or_tampered_form_is_refused_with_a_message(app, client):
    batch = builders.releasable_batch()
    qa = builders.user("qa")
    login(client, qa.username)
    url = f"/quality/batches/{batch.batch_number}/release"
    page = client.get(url)
    for version in ("abc", str(batch.version + 5)):
        response = client.post(url, data=_sign(page, sign_username=qa.username,
                                               version=version), follow_redirects=True)
        assert response.status_code == 200
        assert re.search("out of date|changed while you were reviewing", _text(response))
    assert _count(Release) == 0


def test_reject_needs_a_reason_and_exceptional_release_the_request(app, client):
    rejected = builders.releasable_batch(viability="40")
    exceptional = builders.releasable_batch(viability="60")
    qa = builders.user("qa")
    login(client, qa.username)
    url = f"/quality/batches/{rejected.batch_number}/reject"
    page = client.get(url)
    missing = client.post(url, data=_sign(page, sign_username=qa.username))
    assert missing.status_code == 400 and "This field is required" in _text(missing)
    done = client.post(url, data=_sign(page, sign_username=qa.username,
                                       reason="Viability 40 %"), follow_redirects=True)
    assert "rejected" in _text(done)

    url = f"/quality/batches/{exceptional.batch_number}/exceptional"
    page = client.get(url)
    response = client.post(url, data=_sign(
        page, clinician_request="Dr. Ortega, letter of 2 March",
        risk_assessment="Acceptable: cells per disc met"), follow_redirects=True)
    assert "Exceptional release (out of specification)" in _text(response)
    assert "Dr. Ortega, letter of 2 March" in _text(response)
    db.session.expire_all()
    assert db.session.get(Batch, exceptional.id).state == "released"


def test_qc_results_are_entered_and_bad_input_is_a_message(app, signed_in):
    batch = builders.formulated_batch()
    client, technician = signed_in("technician")
    url = f"/qc/batches/{batch.batch_number}"
    page = client.get(url)
    assert f'value="{technician.full_name}"' in _text(page)
    data = results_grid(page, viability="lots")
    bad = client.post(url, data={**data, "rows-0-tested_at": "2020-01-01T10:00"})
    assert bad.status_code == 400 and "before the batch started" in _text(bad)
    bad = client.post(url, data=data)
    assert bad.status_code == 400 and "Enter a number" in _text(bad)
    ok = client.post(url, data=results_grid(page, viability="92.5"), follow_redirects=True)
    assert "1 result saved." in _text(ok)
    assert client.get("/qc/results/999999/amend").status_code == 404
    assert client.get("/qc/batches/NO-SUCH").status_code == 404


def page_time(page) -> dict:
    return prefilled_time(page, "tested_at")


def test_a_deviation_is_opened_investigated_and_closed_through_the_pages(app, client):
    batch = builders.seeded_batch()
    qa = builders.user("qa")
    login(client, qa.username)
    page = client.get(f"/deviations/new?batch={batch.batch_number}")
    response = client.post(f"/deviations/new?batch={batch.batch_number}", data={
        "csrf_token": csrf_token_from(page), "kind": "equipment", "severity": "major",
        "title": "Incubator CO2 alarm", "description": "Alarm at 03:00"})
    assert response.status_code == 302
    deviation = db.session.scalars(select(Deviation)).one()
    assert deviation.batch_id == batch.id
    detail = client.get(f"/deviations/{deviation.number}")
    token = csrf_token_from(detail)
    client.post(f"/deviations/{deviation.number}/investigate", data={
        "csrf_token": token, "investigation-root_cause": "Sensor drift",
        "investigation-impact": "None", "investigation-corrective_actions": "Recalibrated",
        "investigation-preventive_actions": "Monthly check"})
    closed = client.post(f"/deviations/{deviation.number}/close", data={
        "csrf_token": token, "close-sign_username": qa.username,
        "close-sign_password": PASSWORD, "close-sign_confirm": "y"}, follow_redirects=True)
    assert "closed and signed" in _text(closed)
    db.session.expire_all()
    assert db.session.get(Deviation, deviation.id).status == "closed"


def test_qa_approves_a_new_specification_version_through_the_page(app, client):
    qa = builders.user("qa")
    login(client, qa.username)
    page = client.get("/specifications/new")
    assert 'value="viability"' in _text(page)
    data = {"csrf_token": csrf_token_from(page), "sign_username": qa.username,
            "sign_password": PASSWORD, "sign_confirm": "y",
            "change_summary": "Only viability and sterility for the pilot",
            "tests-0-code": "viability", "tests-0-name": "Viability", "tests-0-kind": "numeric",
            "tests-0-unit": "%", "tests-0-lower": "80", "tests-0-lower_inclusive": "y",
            "tests-0-mandatory": "y", "tests-1-code": "sterility",
            "tests-1-name": "Sterility", "tests-1-kind": "qualitative",
            "tests-1-accepted_values": "no growth", "tests-1-mandatory": "y",
            "tests-1-may_be_pending": "y", "tests-2-code": "", "tests-2-name": ""}
    bad = client.post("/specifications/new", data={**data, "tests-0-lower": ""})
    assert bad.status_code == 400 and "Viability is numeric but has no limit" in _text(bad)
    response = client.post("/specifications/new", data=data, follow_redirects=True)
    assert "Specification version 2 approved" in _text(response)
    spec = db.session.scalars(select(Specification).where(Specification.version == 2)).one()
    assert [(t.code, t.may_be_pending) for t in spec.tests] == [
        ("viability", False), ("sterility", True)]


def test_a_technician_harvests_and_formulates_through_the_pages(app, client):
    technician = builders.user("technician")
    batch = builders.seeded_batch(technician=technician)
    login(client, technician.username)
    page = client.get(f"/harvest/{batch.batch_number}")
    harvested = client.post(f"/harvest/{batch.batch_number}", data={
        "csrf_token": csrf_token_from(page), **prefilled_time(page, "harvested_at"),
        "method": "automated", "viable_cells": "45", "dead_cells": "2"})
    assert harvested.status_code == 302
    page = client.get(f"/harvest/{batch.batch_number}/formulation")
    formulated = client.post(f"/harvest/{batch.batch_number}/formulation", data={
        "csrf_token": csrf_token_from(page), **prefilled_time(page, "formulated_at"),
        "volume_ml": "2", "container": "1 mL syringe"}, follow_redirects=True)
    assert "2 doses formulated" in _text(formulated)
    assert f"{batch.batch_number}-L4L5" in _text(formulated)
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).state == "awaiting_release"
    labels = client.get(f"/quality/batches/{batch.batch_number}/labels.pdf")
    assert labels.status_code == 200 and labels.mimetype == "application/pdf"


def _value(page, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]+)"', _text(page)).group(1)


def test_odd_input_is_a_message_never_a_500(app, client):
    technician = builders.user("technician")
    batch = builders.harvested_batch(technician=technician)
    login(client, technician.username)
    page = client.get(f"/qc/batches/{batch.batch_number}")
    for value, when in (("sNaN", None), ("Infinity", None), ("1e400", None),
                        ("90", "0001-01-01T00:00")):
        data = results_grid(page, viability=value)
        if when:
            data["rows-0-tested_at"] = when
        response = client.post(f"/qc/batches/{batch.batch_number}", data=data)
        assert response.status_code == 400, (value, when)
    page = client.get(f"/harvest/{batch.batch_number}/formulation")
    for volume in ("NaN", "sNaN", "1e400", "-1"):
        response = client.post(f"/harvest/{batch.batch_number}/formulation", data={
            "csrf_token": csrf_token_from(page), **prefilled_time(page, "formulated_at"),
            "volume_ml": volume, "container": "syringe"})
        assert response.status_code == 400, volume
    assert client.get("/harvest/NO-SUCH-BATCH").status_code == 404


def test_odd_specification_limits_are_refused_on_the_form(app, client):
    qa = builders.user("qa")
    login(client, qa.username)
    page = client.get("/specifications/new")
    for lower in ("NaN", "sNaN", "1e400", "Infinity"):
        response = client.post("/specifications/new", data={
            "csrf_token": csrf_token_from(page), "sign_username": qa.username,
            "sign_password": PASSWORD, "sign_confirm": "y", "change_summary": "Odd",
            "tests-0-code": "viability", "tests-0-name": "Viability", "tests-0-kind": "numeric",
            "tests-0-unit": "%", "tests-0-lower": lower, "tests-0-mandatory": "y"})
        assert response.status_code == 400, lower
    assert _count(Specification) == 0


def test_decisions_on_unknown_batches_or_records_are_404(app, signed_in):
    client, _ = signed_in("qa")
    batch = builders.releasable_batch()
    assert client.get("/quality/batches/NO-SUCH").status_code == 404
    assert client.get("/quality/batches/NO-SUCH/release").status_code == 404
    assert client.get(f"/quality/batches/{batch.batch_number}/record.pdf").status_code == 404
    assert client.get(f"/quality/batches/{batch.batch_number}/approve").status_code == 404
    assert client.get("/deviations/DEV00-9999").status_code == 404
    assert client.get("/specifications/99").status_code == 404
    assert client.get("/deviations?status=%3Cscript%3E").status_code == 200


def test_a_late_failing_result_entered_on_the_page_raises_the_alarm(app, signed_in):
    batch = builders.releasable_batch(skip=("sterility",))
    builders.release(batch)
    client, _ = signed_in("qa")
    url = f"/qc/batches/{batch.batch_number}"
    page = client.get(url)
    assert 'value="sterility"' in _text(page)
    assert 'value="endotoxin"' not in _text(page)  # only results allowed to be pending
    response = client.post(url, data=results_grid(page, sterility="growth detected"),
                           follow_redirects=True)
    assert "Out of specification: Sterility." in _text(response)
    deviation = db.session.scalars(select(Deviation)).one()
    assert deviation.kind == "out_of_specification" and deviation.severity == "critical"
