"""Reconciliation: every GMP record replayed from its audit events, compared with its row.

A row changed behind the application (a count's viable cells, a QC value, a signature's
printed name, with or without its trigger) no longer equals what its events say; a row
no event created was inserted behind the application. Stored files are checked against
their SHA-256 (models name the pair in ``__audit_digest__``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from labtrack.audit.capture import _captured_columns, jsonable
from labtrack.audit.models import AuditEvent
from labtrack.audit.rules.findings import Finding
from labtrack.extensions import db

ROW_ACTIONS = ("create", "update")
SHOWN = 60  # characters of a value shown in a finding


def audited_models() -> list[type]:
    return sorted((mapper.class_ for mapper in db.Model.registry.mappers
                   if not getattr(mapper.class_, "__not_audited__", False)
                   and not getattr(mapper.class_, "__not_reconciled__", False)),
                  key=lambda model: model.__tablename__)


def reconcile() -> list[Finding]:
    """Each audited table's rows against their replayed events, and stored files' digests."""
    findings: list[Finding] = []
    for model in audited_models():
        findings += reconcile_table(model)
        findings += check_digests(model)
    return findings


def replay(record_type: str) -> dict[str, dict]:
    """{record id: {column: value}} as the record's create and update events leave it."""
    states: dict[str, dict] = {}
    rows = db.session.execute(
        select(AuditEvent.record_id, AuditEvent.action, AuditEvent.changes)
        .where(AuditEvent.record_type == record_type, AuditEvent.action.in_(ROW_ACTIONS))
        .order_by(AuditEvent.seq)).yield_per(10_000)
    for record_id, action, changes in rows:
        state = states.setdefault(record_id, {})
        if action == "create":
            state["__created__"] = True
        for key, value in json.loads(changes).items():
            if isinstance(value, list) and len(value) == 2:
                state[key] = value[1]
    return states


def reconcile_table(model) -> list[Finding]:
    table = model.__tablename__
    primary_key, columns = _captured_columns(model)
    compared = [key for key, hidden in columns if not hidden]
    states = replay(table)
    findings = []
    attributes = [getattr(model, primary_key), *(getattr(model, key) for key in compared)]
    for row in db.session.execute(select(*attributes)).yield_per(10_000):
        record_id = str(row[0])
        state = states.pop(record_id, None)
        subject = f"{table} {record_id}"
        if not state or "__created__" not in state:
            findings.append(Finding("record", subject,
                                    "no audit event created this record (inserted behind "
                                    "the application)"))
            continue
        for key, current in zip(compared, row[1:], strict=True):
            if key in state and not same(current, state[key]):
                findings.append(Finding(
                    "record", f"{subject}, field {key}",
                    f"the trail says {_shown(state[key])}, the record holds "
                    f"{_shown(jsonable(current))} (changed behind the application)"))
    for record_id, state in states.items():
        if "__created__" in state:
            findings.append(Finding("record", f"{table} {record_id}",
                                    "the trail created this record but it is gone"))
    return findings


def check_digests(model) -> list[Finding]:
    pair = getattr(model, "__audit_digest__", None)
    if not pair:
        return []
    content_key, digest_key = pair
    primary_key, _columns = _captured_columns(model)
    findings = []
    rows = db.session.execute(select(getattr(model, primary_key), getattr(model, content_key),
                                     getattr(model, digest_key))).yield_per(100)
    for record_id, content, digest in rows:
        if content is None:
            continue
        if hashlib.sha256(content).hexdigest() != digest:
            findings.append(Finding(
                "file", f"{model.__tablename__} {record_id}, {content_key}",
                f"the stored bytes ({len(content)} bytes) do not match their SHA-256"))
    return findings


def same(current, replayed) -> bool:
    """Whether a row's value is the one the trail last recorded (types as stored)."""
    value = jsonable(current)
    if value == replayed:
        return True
    if isinstance(current, datetime) and isinstance(replayed, str):
        try:
            return datetime.fromisoformat(replayed) == current
        except ValueError:
            return False
    if isinstance(current, date) and isinstance(replayed, str):
        return current.isoformat() == replayed[:10]
    if isinstance(current, Decimal) and replayed is not None:
        try:
            return Decimal(str(replayed)) == current
        except InvalidOperation:
            return False
    if isinstance(current, float) and isinstance(replayed, int | float | str):
        try:
            return float(replayed) == current
        except ValueError:
            return False
    return False


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"
