"""The trail as an inspector reads it, and its PDF and CSV exports (issue 18)."""

from __future__ import annotations

import csv
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from labtrack.audit import checkpoints as audit_checkpoints
from labtrack.audit.models import AuditEvent
from labtrack.audit.rules.checkpoint import from_text
from labtrack.extensions import db
from labtrack.quality.models import QcResult
from tests import builders
from tests.helpers import login


def _qa_client(app, make_user):
    qa = make_user("qa", username="inspectorqa", full_name="Marta Inspección")
    client = app.test_client()
    login(client, qa.username)
    return client


def test_a_batch_history_names_people_records_and_fields(app, make_user):
    batch = builders.releasable_batch()
    result = db.session.scalar(select(QcResult).where(QcResult.batch_id == batch.id,
                                                      QcResult.test_code == "viability"))
    client = _qa_client(app, make_user)
    html = client.get(f"/audit/history/qc_result/{result.id}").get_data(as_text=True)
    assert "History of QC result viability" in html
    assert f"Batch {batch.batch_number}" in html  # the batch by its number, not its id
    assert '<span class="change-field">Result value</span>' in html
    assert "numeric_value" not in html and "batch_id" not in html
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T", html)
    assert "(Technician)" in html  # the analyst who entered it, by name and role

    page = client.get(f"/audit?record_type=batch&record_id={batch.id}").get_data(as_text=True)
    assert f"Batch {batch.batch_number}" in page
    assert '<option value="qc_result">QC result</option>' in page  # labels in the filter


def test_the_pdf_export_carries_a_checkpoint_audit_verify_accepts(app, make_user, runner,
                                                                  tmp_path):
    builders.releasable_batch()
    client = _qa_client(app, make_user)
    response = client.get("/audit/export.pdf?record_type=qc_result")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Audit trail" in text and "Result value" in text and "viability" in text
    (checkpoint,) = from_text(text)
    stored, _ = audit_checkpoints.read_all()
    assert checkpoint.seq in {c.seq for c in stored}
    export = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert export.seq <= checkpoint.seq  # the export itself is audited and anchored

    path = tmp_path / "export.pdf"
    path.write_bytes(response.data)
    result = runner.invoke(args=["audit-verify", "--record", str(path)])
    assert result.exit_code == 0, result.output


def test_the_csv_export_still_lists_every_changed_field(app, make_user):
    builders.releasable_batch()
    client = _qa_client(app, make_user)
    response = client.get("/audit/export.csv?record_type=qc_result")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["field"] for row in rows} >= {"numeric_value", "test_code"}
    assert all(row["record_type"] == "qc_result" for row in rows)
