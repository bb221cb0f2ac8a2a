"""Importing a cell counter's export file through the pages: upload, preview, confirm."""

import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from labtrack.accounts.models import Notice
from labtrack.culture.models import CellCount, CounterFile
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders, counter_files
from tests.helpers import lab_today
from tests.integration.bench_forms import text
from tests.integration.culture.counter_import_helpers import (
    file_time,
    preview_url,
    review_then_confirm,
    submit_preview,
    upload,
)


def stored() -> tuple[int, int]:
    """(counter files, counts) in the database."""
    return (db.session.scalar(select(func.count()).select_from(CounterFile)),
            db.session.scalar(select(func.count()).select_from(CellCount)))


@pytest.fixture
def bench(signed_in):
    client, technician = signed_in("technician")
    first = builders.seeded_batch(technician=technician)
    second = builders.seeded_batch(technician=technician)
    return client, technician, first, second


def nc202_file(first, second, when):
    """Three rows: the first batch by number (a warning status), the second by its DIN
    written in groups, and a sample id no batch has."""
    din = second.sample.din
    return counter_files.nc202(
        {"sample": first.batch_number, "when": when, "total": "1.07E+06",
         "live": "1 020 000", "dead": "50\u202f000", "viability": "95.3",
         "status": "Foreign object detected"},
        {"sample": f"{din[:5]} {din[5:7]} {din[7:]}", "when": when, "total": "2\u00a0000 000",
         "live": "1 900 000", "dead": "100 000", "viability": "95.0"},
        {"sample": "MSC99-9999", "when": when, "total": "1 000 000", "live": "900 000",
         "dead": "100 000", "viability": "90.0"})


def test_a_file_is_previewed_with_its_warnings_and_nothing_is_stored(bench):
    client, _technician, first, second = bench
    url = preview_url(upload(client, nc202_file(first, second, file_time())))
    assert stored() == (0, 0)
    page = text(client.get(url))
    rows = dict(re.findall(r'data-line="(\d+)" data-importable="\w+">(.*?)</tr>', page, re.S))
    assert first.batch_number in rows["2"] and "The counter warned: Foreign object detected" \
        in rows["2"]
    assert second.batch_number in rows["3"]
    assert "Unknown sample id MSC99-9999" in rows["4"]
    assert "Give the suspension volume counted (mL)." in rows["2"]
    assert 'data-testid="confirm-import"' not in page  # no totals yet, so nothing to confirm

    reviewed = text(submit_preview(client, url, {2: "20", 3: "12.5"}))
    totals = re.findall(r'data-testid="totals">([^<]*)<', reviewed)
    assert totals[:2] == ["20.4 / 1", "23.75 / 1.25"]  # × 10⁶, as the column says
    assert 'data-testid="confirm-import"' in reviewed and "Import 2 counts" in reviewed
    assert stored() == (0, 0)


def test_confirming_stores_the_file_once_and_a_count_per_row(bench):
    client, technician, first, second = bench
    content = nc202_file(first, second, file_time(2))
    url = preview_url(upload(client, content, "NC-202 run 7.csv"))
    response = review_then_confirm(client, url, {2: "20", 3: "12.5"})
    assert response.status_code == 302
    file = db.session.scalar(select(CounterFile))
    assert file.content == content and file.sha256 == hashlib.sha256(content).hexdigest()
    assert (file.filename, file.file_format, file.imported_by_id) == (
        "NC-202 run 7.csv", "nc202", technician.id)
    counts = db.session.scalars(select(CellCount).order_by(CellCount.id)).all()
    assert [(c.batch_id, c.viable_cells, c.dead_cells) for c in counts] == [
        (first.id, 20_400_000, 1_000_000), (second.id, 23_750_000, 1_250_000)]
    assert {(c.method, c.counter_file_id, c.instrument_serial, c.operator, c.source)
            for c in counts} == {("automated", file.id, "NC-202 9002012345", "lucia",
                                  "counter_file")}
    assert counts[0].volume_ml == 20 and counts[0].entered_by_id == technician.id
    history = text(client.get(f"/batches/{first.batch_number}"))
    assert file.sha256 in history and "From NC-202 run 7.csv" in history


def test_the_same_file_twice_is_refused(bench):
    client, _technician, first, second = bench
    content = nc202_file(first, second, file_time())
    url = preview_url(upload(client, content))
    assert review_then_confirm(client, url, {2: "20", 3: "10"}).status_code == 302
    again = upload(client, content, "renamed.txt")
    assert again.status_code == 400
    assert "the same file cannot be imported twice" in text(again)
    assert stored() == (1, 2)


def test_a_repeated_confirm_stores_nothing_more(bench):
    client, _technician, first, second = bench
    url = preview_url(upload(client, nc202_file(first, second, file_time())))
    reviewed = text(submit_preview(client, url, {2: "20", 3: "10"}))
    signature = re.search(r'name="reviewed" value="([^"]*)"', reviewed).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', reviewed).group(1)
    data = {"csrf_token": token, "action": "confirm", "reviewed": signature,
            "volume-2": "20", "volume-3": "10"}
    assert client.post(url, data=data).status_code == 302
    second_try = client.post(url, data=data, follow_redirects=True)
    assert "already imported" in text(second_try)
    assert stored() == (1, 2)


def test_changed_volumes_are_shown_again_before_anything_is_stored(bench):
    client, _technician, first, second = bench
    url = preview_url(upload(client, nc202_file(first, second, file_time())))
    reviewed = text(submit_preview(client, url, {2: "20", 3: "10"}))
    signature = re.search(r'name="reviewed" value="([^"]*)"', reviewed).group(1)
    response = submit_preview(client, url, {2: "200", 3: "10"}, "confirm", signature)
    assert response.status_code == 200 and "The volumes changed" in text(response)
    assert stored() == (0, 0)


@pytest.mark.parametrize(("volume", "message"), [
    ("0", "The suspension volume must be above 0"), ("-3", "The suspension volume must be"),
    ("abc", "The suspension volume must be"), ("1e9", "The suspension volume must be")])
def test_an_impossible_volume_is_refused_on_its_row(bench, volume, message):
    client, _technician, first, second = bench
    url = preview_url(upload(client, nc202_file(first, second, file_time())))
    page = text(submit_preview(client, url, {2: volume, 3: "10"}))
    assert message in page and 'data-testid="confirm-import"' not in page
    assert stored() == (0, 0)


def test_on_the_batch_page_only_that_batchs_rows_are_imported(bench):
    client, _technician, first, second = bench
    url = preview_url(upload(client, nc202_file(first, second, file_time()), batch=first))
    page = text(client.get(url))
    assert f"This count is of batch {second.batch_number}, not {first.batch_number}" in page
    response = review_then_confirm(client, url, {2: "20"})
    assert response.headers["Location"].endswith(f"/batches/{first.batch_number}#counts")
    assert [c.batch_id for c in db.session.scalars(select(CellCount))] == [first.id]


def test_a_row_the_count_form_would_refuse_is_not_imported(bench):
    client, _technician, first, second = bench
    future = file_time(-3)  # three hours ahead of the lab's clock
    content = counter_files.nc202(
        {"sample": first.batch_number, "when": future, "total": "1 000 000",
         "live": "900 000", "dead": "100 000", "viability": "90.0"},
        {"sample": second.batch_number, "when": file_time(), "total": "1 000 000",
         "live": "600 000", "dead": "400 000", "viability": "60.0"})
    url = preview_url(upload(client, content))
    page = text(submit_preview(client, url, {2: "10", 3: "10"}))
    assert "A count cannot be in the future" in page
    assert "Viability 60.0 % is outside the specification." in page
    assert review_then_confirm(client, url, {2: "10", 3: "10"}).status_code == 302
    assert [c.batch_id for c in db.session.scalars(select(CellCount))] == [second.id]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty."),
    (b"%PDF-1.7\n\x00\x01binary", "This is not a text file"),
    (b"Name,Email\nAna,ana@example.org\n", "This is not a cell counter export LabTrack reads"),
    (counter_files.nc202({"sample": "X", "when": "2026-01-01 10:00", "total": "1",
                          "live": "1", "dead": "0", "viability": "100"})[:-30],
     "The file stops in the middle of a count"),
])
def test_a_file_that_cannot_be_read_is_refused_and_nothing_kept(bench, content, message):
    client, _technician, _first, _second = bench
    response = upload(client, content)
    assert response.status_code == 400 and message in text(response).replace("&#39;", "'")
    assert stored() == (0, 0)


def test_an_imported_count_warns_the_clinician_as_a_typed_count_does(signed_in, make_user):
    client, technician = signed_in("technician")
    clinician = make_user("clinician")
    order = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=3))
    batch = builders.seeded_batch(order, technician)
    builders.count(batch, 3_000_000, counted_at=utcnow() - timedelta(days=4))
    content = counter_files.nc200(batch.batch_number, file_time(), "400 000", "20 000",
                                  "420 000", "95.2", offset="")
    url = preview_url(upload(client, content))
    assert review_then_confirm(client, url, {2: "10"}).status_code == 302
    notice = db.session.scalar(select(Notice).where(Notice.user_id == clinician.id))
    assert notice.kind == "at_risk" and batch.batch_number in notice.message


@pytest.mark.parametrize("role", ["qa", "clinician", "admin"])
def test_only_the_roles_that_log_counts_may_import(signed_in, role):
    client, _user = signed_in(role)
    assert client.get("/counts/import").status_code == 403
    assert client.post("/counts/import").status_code in (400, 403)
    assert stored() == (0, 0)


def test_two_confirmations_at_once_store_the_file_and_its_counts_once(app, database_url):
    from labtrack.accounts.models import User
    from labtrack.audit import trail as audit_trail
    from labtrack.audit.capture import Actor, set_actor
    from labtrack.culture import counter_import
    from labtrack.culture.counter_uploads import Upload
    from tests.conftest import build_app
    from tests.helpers import run_together

    technician_id = builders.user("technician").id  # read here: the threads have their own
    first, second = builders.seeded_batch(), builders.seeded_batch()  # sessions
    upload_ = Upload("export.csv", nc202_file(first, second, file_time()))
    outcomes = []

    def confirm(_index: int, start) -> None:
        user = db.session.get(User, technician_id)
        set_actor(db.session, Actor(user.id, user.username))
        start.wait()
        try:
            counter_import.confirm(user, upload_, {2: Decimal("20"), 3: Decimal("10")})
        except counter_import.AlreadyImported:
            outcomes.append("refused")
        else:
            outcomes.append("imported")

    assert run_together([build_app(database_url) for _ in range(2)], confirm) == []
    assert sorted(outcomes) == ["imported", "refused"]
    assert stored() == (1, 2)
    assert audit_trail.verify().ok


def test_the_preview_survives_arbitrary_volumes_and_buttons(bench):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client, _technician, first, second = bench
    url = preview_url(upload(client, nc202_file(first, second, file_time())))
    values = st.one_of(st.text(max_size=25), st.sampled_from(
        ["", "0", "-1", "NaN", "Infinity", "1e400", "1,5", "10", "\x00", "9" * 30]))

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(values, values, st.sampled_from(["review", "confirm", "", "delete"]), values)
    def post_anything(volume, other, action, reviewed):
        response = submit_preview(client, url, {2: volume, 3: other}, action, reviewed)
        assert response.status_code < 500
        if response.status_code != 302:
            assert stored() == (0, 0)

    post_anything()


def test_an_upload_left_unconfirmed_for_a_day_is_forgotten(bench, app):
    import os
    from pathlib import Path

    client, technician, first, second = bench
    old = preview_url(upload(client, nc202_file(first, second, file_time())))
    directory = Path(app.config["COUNTER_UPLOAD_DIR"])
    stale = (utcnow() - timedelta(days=1, minutes=1)).timestamp()
    for path in directory.glob(f"{technician.id}-*"):
        os.utime(path, (stale, stale))
    fresh = preview_url(upload(client, nc202_file(second, first, file_time())))
    assert client.get(old).status_code == 302  # gone: upload it again
    assert client.get(fresh).status_code == 200


def test_totals_beyond_any_culture_are_not_imported(bench):
    client, _technician, first, _second = bench
    content = counter_files.nc202(
        {"sample": first.batch_number, "when": file_time(), "total": "9.9E+11",
         "live": "9.0E+11", "dead": "9.0E+10", "viability": "90.9"})
    url = preview_url(upload(client, content))
    page = text(submit_preview(client, url, {2: "5000"}))
    assert "These totals are beyond any culture" in page
    assert 'data-testid="confirm-import"' not in page and stored() == (0, 0)
