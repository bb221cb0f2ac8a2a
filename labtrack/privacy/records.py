"""Every stored row that belongs to one patient, found by following foreign keys down.

A patient's records are the patient row and every row that refers, directly or through
other rows of theirs, to one of them: orders, samples, batches, counts, steps, QC
results, deviations, doses, labels, release decisions, administrations, follow-up
visits, adverse events, notices. Shared records that theirs refer to (staff accounts,
specifications, reagent lots, equipment, signatures, counter files) are the lab's, not
the patient's: a reference to them is exported as its id, and the rows are not. The walk
is over the schema itself, so a table added later is exported without code here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Table, select

from labtrack.extensions import db

# Tables never walked into: the lab's shared records and the application's bookkeeping.
SHARED_TABLES = frozenset({
    "user_account", "user_session", "api_token", "form_submission", "signature",
    "specification", "specification_test", "reagent_lot", "equipment", "counter",
    "counter_file", "audit_event", "audit_chain_head", "summary_state",
})
IN_CHUNK = 500


@dataclass(frozen=True)
class PatientRecords:
    """The patient's rows, table by table, each row as a mapping of its columns."""

    rows: dict[str, list[dict]]

    def ids(self) -> dict[str, set[int]]:
        return {name: {row["id"] for row in rows if "id" in row}
                for name, rows in self.rows.items()}

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def collect(patient_id: int) -> PatientRecords:
    """The patient's rows: walk the foreign keys from the patient until nothing is new."""
    tables = [table for table in db.metadata.sorted_tables if table.name not in SHARED_TABLES]
    found: dict[str, dict[object, dict]] = defaultdict(dict)
    found["patient"] = _rows(db.metadata.tables["patient"],
                             db.metadata.tables["patient"].c.id, {patient_id})
    changed = True
    while changed:
        changed = False
        for table in tables:
            for column, target in _links(table):
                ids = set(found.get(target, {}))
                if not ids:
                    continue
                new = {key: row for key, row in _rows(table, column, ids).items()
                       if key not in found[table.name]}
                if new:
                    found[table.name].update(new)
                    changed = True
    return PatientRecords({name: [rows[key] for key in sorted(rows, key=str)]
                           for name, rows in found.items() if rows})


def _links(table: Table) -> list[tuple]:
    """(column, referenced table) for each foreign key into a patient table."""
    return [(fk.parent, fk.column.table.name) for fk in table.foreign_keys
            if fk.column.table.name not in SHARED_TABLES]


def _rows(table: Table, column, ids: set) -> dict[object, dict]:
    """The rows of ``table`` whose ``column`` is one of ``ids``, keyed by their identity."""
    rows: dict[object, dict] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), IN_CHUNK):
        chunk = ordered[start:start + IN_CHUNK]
        for row in db.session.execute(select(table).where(column.in_(chunk))).mappings():
            rows[_identity(table, row)] = dict(row)
    return rows


def _identity(table: Table, row) -> object:
    keys = [column.name for column in table.primary_key.columns]
    return row[keys[0]] if len(keys) == 1 else tuple(row[key] for key in keys)
