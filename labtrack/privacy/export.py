"""One patient's records in one file, for a data-protection access request (docs/PRIVACY.md).

The archive (ZIP) holds ``records.json`` (every row of theirs, table by table),
``audit-trail.csv`` (every audited change to those rows: who, when, what and why), the
stored documents (release records) byte for byte under ``documents/`` with their SHA-256,
and a ``README.txt`` in the lab's document language. The export itself is an audit event
naming the request, so the trail shows who was given what, when and why.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.audit import capture as audit
from labtrack.audit import trail as audit_trail
from labtrack.clock import utcnow as now
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders.models import Patient
from labtrack.privacy.records import PatientRecords, collect
from labtrack.web.i18n import document_language
from labtrack.web.templating import local_time

FORMAT = "labtrack-patient-export/1"
EXPORT_ACTION = "export"


@dataclass(frozen=True)
class PatientExport:
    content: bytes  # the ZIP archive
    records: int
    events: int
    documents: int


def export_patient(record_number: str, why: str, actor: audit.Actor) -> PatientExport:
    """Gather the patient's records into an archive, and record the export in the trail."""
    why = (why or "").strip()
    if not why:
        raise ServiceError(_("Give the request this export answers (a reason)."), field="reason")
    patient = db.session.scalar(select(Patient).where(
        Patient.record_number == record_number.strip()))
    if patient is None:
        raise ServiceError(_("No patient has this record number."), field="record_number")
    records = collect(patient.id)
    events = audit_trail.record_events(records.ids())
    files: dict[str, bytes] = {}
    tables = {name: [_jsonable_row(name, row, files) for row in rows]
              for name, rows in records.rows.items()}
    document = {"format": FORMAT, "exported_at": now().isoformat(),
                "record_number": patient.record_number, "request": why, "tables": tables}
    body = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    archive = _archive(body, "".join(audit_trail.events_csv(events)), files,
                       _readme(patient.record_number, why, records))
    audit.record_event(db.session, EXPORT_ACTION, "patient", patient.id,
                       {"records": records.count, "audit_events": len(events),
                        "documents": len(files),
                        "records_sha256": hashlib.sha256(body).hexdigest()},
                       why=why, actor=actor)
    db.session.commit()
    return PatientExport(archive, records.count, len(events), len(files))


def _jsonable_row(table: str, row: dict, files: dict[str, bytes]) -> dict:
    """A row's columns as JSON values; stored bytes go to a file named in their place."""
    values = {}
    for column, value in row.items():
        if isinstance(value, bytes):
            suffix = "pdf" if value.startswith(b"%PDF") else "bin"
            name = f"documents/{table}-{row.get('id')}-{column}.{suffix}"
            files[name] = value
            values[column] = {"file": name, "sha256": hashlib.sha256(value).hexdigest(),
                              "bytes": len(value)}
        else:
            values[column] = audit.jsonable(value)
    return values


def _archive(records_json: bytes, trail_csv: str, files: dict[str, bytes],
             readme: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr("records.json", records_json)
        archive.writestr("audit-trail.csv", trail_csv)
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return buffer.getvalue()


def _readme(record_number: str, why: str, records: PatientRecords) -> str:
    with document_language():
        lines = [
            _("Records held by LabTrack about patient %(number)s, exported on %(moment)s.",
              number=record_number, moment=local_time(now())),
            _("Request: %(request)s", request=why),
            "",
            _("records.json: every record about the patient (%(count)s), table by table: "
              "orders, sample, batches, cell counts, culture steps, quality control, "
              "doses, administration, follow-up and adverse events.",
              count=records.count),
            _("audit-trail.csv: every change to those records: who made it, when, what "
              "changed and why."),
            _("documents/: the stored documents (release records) exactly as signed; each "
              "file's SHA-256 is given in records.json."),
            "",
            _("These records are kept for 30 years so that the cell product stays "
              "traceable (Royal Decree 477/2014); they are corrected, never erased."),
        ]
    return "\n".join(lines) + "\n"
