"""The audit trail names every column it records: each column of each audited model has a
label in FIELD_LABELS (translated), never a humanised English column name."""

from __future__ import annotations

import re
from pathlib import Path

import labtrack
from config import TestConfig
from labtrack.app import create_app
from labtrack.audit.capture import ALWAYS_SKIPPED
from labtrack.audit.field_labels import FIELD_LABELS
from labtrack.audit.readable import ACTIONS, RECORD_TYPES, field_label
from labtrack.audit.trail import VERIFY_ACTION
from labtrack.extensions import db
from labtrack.privacy.export import EXPORT_ACTION


def audited_columns() -> dict[str, list[str]]:
    """Each column the trail records, with the tables that have it."""
    create_app(TestConfig())  # every area's models registered
    columns: dict[str, list[str]] = {}
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if getattr(model, "__not_audited__", False):
            continue
        skipped = ALWAYS_SKIPPED | getattr(model, "__audit_exempt__", frozenset())
        for column in mapper.column_attrs:
            if column.key not in skipped:
                columns.setdefault(column.key, []).append(model.__tablename__)
    return columns


def test_every_audited_column_has_a_label():
    columns = audited_columns()
    assert {"viable_cells", "notes", "batch_id", "odi_percent"} <= set(columns)
    missing = {key: tables for key, tables in columns.items() if key not in FIELD_LABELS}
    assert not missing, f"columns the audit trail shows without a label: {missing}"


def test_a_column_is_shown_by_its_label_not_its_name():
    assert field_label("viability_percent") == "Viability (%)"
    assert field_label("treating_clinician_id") == "Treating clinician"


def test_every_audited_record_type_has_a_name():
    audited_columns()
    tables = {mapper.class_.__tablename__ for mapper in db.Model.registry.mappers
              if not getattr(mapper.class_, "__not_audited__", False)}
    assert {"adverse_event", "formulation_correction", "batch"} <= tables
    assert not tables - set(RECORD_TYPES), "record types shown without a translated name"


# An event that is not a row change is recorded as record_event(session, "<action>", …).
RECORDED_ACTION = re.compile(r'record_event\(\s*[\w.]+,\s*"(\w+)"')


def test_every_recorded_action_has_a_name():
    source = "\n".join(path.read_text() for path in Path(labtrack.__file__).parent.rglob("*.py"))
    recorded = set(RECORDED_ACTION.findall(source)) | {VERIFY_ACTION, EXPORT_ACTION}
    assert {"sign", "login_success", "print_label", "export"} <= recorded
    assert not recorded - set(ACTIONS), "actions shown as English identifiers"
