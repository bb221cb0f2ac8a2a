"""The trail as an inspector reads it: labels, people, business identifiers, lab time.

Events store column names and database ids; this turns a page of them into field
labels in the reader's language, people's names and roles, records by their business
identifiers (batch number, DIN, dose code, order number…) and times in lab time with
the zone, to the second. Tables of other areas are read by name through the metadata
(the audit area sits below them and imports none of their models).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from labtrack.audit.field_labels import FIELD_LABELS
from labtrack.extensions import db
from labtrack.web.templating import local_time

RECORD_TYPES = {
    "batch": _l("Batch"), "sample": _l("Sample"), "dose": _l("Dose"),
    "treatment_order": _l("Treatment order"), "patient": _l("Patient"),
    "user_account": _l("User account"), "cell_count": _l("Cell count"),
    "qc_result": _l("QC result"), "batch_release": _l("Release decision"),
    "signature": _l("Signature"), "culture_step": _l("Culture step"),
    "culture_step_lot": _l("Reagent lot used in a step"),
    "culture_step_equipment": _l("Equipment used in a step"),
    "reagent_lot": _l("Reagent lot"), "equipment": _l("Equipment"),
    "deviation": _l("Deviation"), "specification": _l("Specification"),
    "specification_test": _l("Specification test"), "administration": _l("Administration"),
    "chain_of_identity_event": _l("Chain-of-identity event"), "label_print": _l("Label print"),
    "notice": _l("Notice"), "api_token": _l("API token"), "counter_file": _l("Counter file"),
    "counter": _l("Number counter"), "audit_trail": _l("Audit trail"),
    "follow_up_visit": _l("Follow-up visit"), "disc_imaging": _l("Disc imaging"),
    "adverse_event": _l("Adverse event"), "formulation_correction": _l("Formulation correction"),
}
ACTIONS = {"create": _l("created"), "update": _l("changed"), "verify": _l("verified"),
           "chain_keyed": _l("keyed the chain"), "key_rotated": _l("rotated the key"),
           "sign": _l("signed"), "signature_refused": _l("signature refused"),
           "print_label": _l("printed labels"), "export": _l("exported"),
           "login_success": _l("login success"), "login_failure": _l("login failure"),
           "lockout": _l("account locked"), "logout": _l("signed out"),
           "session_end": _l("session ended"), "sessions_ended": _l("sessions ended")}
# How each kind of record is named by people (columns joined with a space).
IDENTIFIERS = {
    "batch": ("batch_number",), "sample": ("din",), "dose": ("dose_code",),
    "treatment_order": ("order_number",), "patient": ("record_number",),
    "user_account": ("full_name",), "reagent_lot": ("material", "lot_number"),
    "equipment": ("identifier",), "deviation": ("number",), "specification": ("version",),
    "batch_release": ("document_id",), "counter_file": ("filename",),
    "qc_result": ("test_code",),
}


def record_label(record_type: str) -> str:
    label = RECORD_TYPES.get(record_type)
    return str(label) if label else _humanised(record_type)


def field_label(field: str) -> str:
    label = FIELD_LABELS.get(field)
    if label:
        return str(label)
    return _humanised(field[:-3] if field.endswith("_id") else field)


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label else _humanised(action).lower()


def _humanised(name: str) -> str:
    text = name.replace("_", " ").strip()
    return _(text[:1].upper() + text[1:]) if text else name  # noqa: INT001


@dataclass(frozen=True)
class Change:
    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ReadableEvent:
    event: object
    when: str
    who: str
    action: str
    record: str
    changes: list[Change]


class Names:
    """Business identifiers and people for one page of events, read in a few queries."""

    def __init__(self, events):
        self.events = list(events)
        wanted: dict[str, set[int]] = defaultdict(set)
        for event in self.events:
            if event.user_id:
                wanted["user_account"].add(event.user_id)
            if event.record_id and event.record_type in IDENTIFIERS:
                _add_id(wanted[event.record_type], event.record_id)
            for key, value in _pairs(event):
                target = _reference(event.record_type, key)
                if target in IDENTIFIERS:
                    for side in value:
                        _add_id(wanted[target], side)
        self.names = {table: _identifiers(table, ids) for table, ids in wanted.items() if ids}
        self.roles = _roles(wanted.get("user_account", set()))

    def record(self, record_type: str, record_id) -> str:
        label = record_label(record_type)
        if record_id is None:
            return label
        name = self.names.get(record_type, {}).get(str(record_id))
        return f"{label} {name}" if name else f"{label} {record_id}"

    def person(self, event) -> str:
        if not event.user_id:
            return event.username or _("system")
        name = self.names.get("user_account", {}).get(str(event.user_id), event.username)
        role = self.roles.get(event.user_id)
        return f"{name} ({_humanised(role)})" if role else str(name)

    def value(self, record_type: str, key: str, value) -> str | None:
        if value is None:
            return None
        target = _reference(record_type, key)
        if target:
            name = self.names.get(target, {}).get(str(value))
            return f"{record_label(target)} {name}" if name else f"{record_label(target)} {value}"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, str) and _looks_like_time(value):
            try:
                return local_time(datetime.fromisoformat(value), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                return value
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def readable(self, event) -> ReadableEvent:
        # A creation lists only the fields it filled (an empty one says nothing).
        changes = [Change(field_label(key), self.value(event.record_type, key, old),
                          self.value(event.record_type, key, new))
                   for key, (old, new) in _pairs(event)
                   if old is not None or new is not None]
        return ReadableEvent(event, local_time(event.occurred_at, "%Y-%m-%d %H:%M:%S"),
                             self.person(event), action_label(event.action),
                             self.record(event.record_type, event.record_id), changes)

    def all(self) -> list[ReadableEvent]:
        return [self.readable(event) for event in self.events]


def _pairs(event):
    """(key, (old, new)) for each detail of an event; plain details as (None, value)."""
    details = json.loads(event.changes)
    for key in sorted(details):
        value = details[key]
        yield key, (tuple(value) if isinstance(value, list) and len(value) == 2
                    else (None, value))


def _add_id(ids: set[int], value) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        ids.add(value)
    elif isinstance(value, str) and value.isdigit() and len(value) < 12:
        ids.add(int(value))


def _reference(record_type: str, key: str) -> str | None:
    table = db.metadata.tables.get(record_type)
    if table is None or key not in table.c:
        return None
    for foreign_key in table.c[key].foreign_keys:
        return foreign_key.column.table.name
    return None


def _identifiers(table_name: str, ids: set[int]) -> dict[str, str]:
    table = db.metadata.tables[table_name]
    columns = [table.c[name] for name in IDENTIFIERS[table_name]]
    rows = db.session.execute(select(table.c.id, *columns).where(table.c.id.in_(sorted(ids))))
    return {str(row[0]): " ".join(str(part) for part in row[1:] if part is not None)
            for row in rows}


def _roles(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    table = db.metadata.tables["user_account"]
    return dict(db.session.execute(select(table.c.id, table.c.role)
                                   .where(table.c.id.in_(sorted(ids)))).all())


def _looks_like_time(value: str) -> bool:
    return len(value) >= 19 and value[4] == "-" and value[10] == "T" and value[13] == ":"
