"""A patient's access request served in one step (issue 17, privacy; docs/PRIVACY.md):
``labtrack patient-export`` writes every record about that patient, and nobody else's,
to one archive, and the export itself is recorded in the audit trail."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from labtrack.accounts.models import User
from labtrack.audit import trail as audit_trail
from labtrack.audit.models import AuditEvent
from labtrack.clinic import corrections
from labtrack.culture.models import Batch
from labtrack.extensions import db
from labtrack.orders.orders import PatientData
from labtrack.quality.models import Release
from tests import builders
from tests.helpers import lab_today

PATIENT_TABLES = {"patient", "treatment_order", "sample", "batch", "cell_count",
                  "culture_step", "qc_result", "dose", "batch_release", "administration"}


@pytest.fixture
def two_treated_patients(app):
    clinician = builders.user("clinician")
    return builders.treated_order(clinician), builders.treated_order(clinician)


def _export(runner, tmp_path, record_number, reason="Access request DPO-2026-041"):
    target = tmp_path / "export.zip"
    result = runner.invoke(args=["patient-export", record_number, str(target),
                                 "--reason", reason])
    return result, target


def _batch(order):
    return db.session.scalar(select(Batch).where(Batch.order_id == order.id))


def test_the_archive_holds_every_record_of_the_patient_and_none_of_another(
        runner, tmp_path, two_treated_patients):
    mine, theirs = two_treated_patients
    result, target = _export(runner, tmp_path, mine.patient.record_number)
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(target)
    records = json.loads(archive.read("records.json"))
    assert records["record_number"] == mine.patient.record_number
    assert set(records["tables"]) >= PATIENT_TABLES
    assert [row["id"] for row in records["tables"]["batch"]] == [_batch(mine).id]
    assert {row["disc_level"] for row in records["tables"]["dose"]} == {"L4-L5", "L5-S1"}
    assert len(records["tables"]["administration"]) == 2
    assert "user_account" not in records["tables"]  # staff accounts are the lab's
    everything = "\n".join(archive.read(name).decode("utf-8", "replace")
                           for name in archive.namelist())
    for foreign in (theirs.patient.record_number, theirs.order_number,
                    _batch(theirs).batch_number, theirs.patient.family_name):
        assert foreign not in everything
    assert "scrypt" not in everything and "password" not in everything.lower()


def test_the_signed_release_record_is_in_the_archive_byte_for_byte(
        runner, tmp_path, two_treated_patients):
    mine, _ = two_treated_patients
    _, target = _export(runner, tmp_path, mine.patient.record_number)
    archive = zipfile.ZipFile(target)
    [release] = json.loads(archive.read("records.json"))["tables"]["batch_release"]
    stored = db.session.scalar(select(Release).where(
        Release.batch_id == _batch(mine).id)).record_pdf
    pdf = archive.read(release["record_pdf"]["file"])
    assert pdf == stored
    assert release["record_pdf"]["sha256"] == hashlib.sha256(stored).hexdigest()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert _batch(mine).batch_number in text


def test_the_trail_in_the_archive_covers_the_patients_records_with_their_reasons(
        runner, tmp_path, two_treated_patients):
    mine, theirs = two_treated_patients
    batch, patient = _batch(mine), mine.patient
    corrections.correct_patient(
        db.session.get(User, mine.treating_clinician_id), patient,
        PatientData(patient.record_number, "Carmen", patient.family_name,
                    patient.date_of_birth, patient.sex),
        "Given name misspelt at registration", lab_today())
    _, target = _export(runner, tmp_path, mine.patient.record_number)
    archive = zipfile.ZipFile(target)
    rows = list(csv.DictReader(io.StringIO(archive.read("audit-trail.csv").decode())))
    exported = {(table, str(row["id"])) for table, table_rows in
                json.loads(archive.read("records.json"))["tables"].items()
                for row in table_rows if "id" in row}
    assert rows and all((row["record_type"], row["record_id"]) in exported for row in rows)
    assert ("batch", str(batch.id)) in {(row["record_type"], row["record_id"]) for row in rows}
    assert "Given name misspelt at registration" in {row["reason"] for row in rows}
    assert ("batch", str(_batch(theirs).id)) not in {(r["record_type"], r["record_id"])
                                                     for r in rows}


def test_the_export_is_itself_recorded_and_the_trail_stays_intact(
        runner, tmp_path, two_treated_patients):
    mine, _ = two_treated_patients
    result, _ = _export(runner, tmp_path, mine.patient.record_number, "DPO request 2026/041")
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export")
                              .order_by(AuditEvent.seq.desc()).limit(1))
    assert (event.record_type, event.record_id) == ("patient", str(mine.patient.id))
    assert event.reason == "DPO request 2026/041" and event.username == "cli"
    assert json.loads(event.changes)["documents"] == 1
    assert audit_trail.verify().ok


def test_the_readme_is_in_the_document_language(app, runner, tmp_path, two_treated_patients):
    mine, _ = two_treated_patients
    app.config["DOCUMENT_LOCALE"] = "es"
    _, target = _export(runner, tmp_path, mine.patient.record_number)
    readme = zipfile.ZipFile(target).read("README.txt").decode()
    assert f"paciente {mine.patient.record_number}" in readme
    assert "30 años" in readme


@pytest.mark.parametrize("args, message", [
    (["NOSUCH1", "--reason", "DPO"], "No patient has this record number"),
    (["{record}", "--reason", "  "], "reason"),
])
def test_a_bad_request_is_refused_and_writes_nothing(runner, tmp_path, two_treated_patients,
                                                     args, message):
    mine, _ = two_treated_patients
    events = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    target = tmp_path / "export.zip"
    args = [args[0].format(record=mine.patient.record_number), str(target), *args[1:]]
    result = runner.invoke(args=["patient-export", *args])
    assert result.exit_code != 0 and message in result.output
    assert not target.exists()
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == events


def test_an_existing_file_is_never_overwritten(runner, tmp_path, two_treated_patients):
    mine, _ = two_treated_patients
    target = tmp_path / "export.zip"
    target.write_bytes(b"an earlier export")
    result = runner.invoke(args=["patient-export", mine.patient.record_number, str(target),
                                 "--reason", "DPO"])
    assert result.exit_code != 0 and "already exists" in result.output
    assert target.read_bytes() == b"an earlier export"
