"""Central audit capture: every flushed create or change becomes a hash-chained event.

Models need no audit code. Listeners on the ORM session collect each change at
flush time (old and new values), and write the events, chained, just before the
transaction commits, so a change and its audit events are one transaction.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Mapper, Session

from labtrack.audit import keys as audit_keys
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.audit.rules.chain import canonical_json, event_link
from labtrack.database import utcnow
from labtrack.errors import ServiceError

# A model says what the trail does with it: ``__not_audited__ = True`` for the trail itself
# and derived summaries (worked out again from audited records), ``__immutable__ = True``
# for records that may never change once written (signatures).
ALWAYS_SKIPPED = frozenset({"updated_at"})
REDACTED = "[redacted]"


class ReasonRequired(ServiceError):
    """A change to an existing record was attempted without a reason."""


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; the audit trail's 'who'."""

    user_id: int | None
    username: str | None
    client_addr: str | None = None
    api_token_id: int | None = None  # the API token that acts for the user, if any


SYSTEM = Actor(None, "system")


def set_actor(session: Session, actor: Actor) -> None:
    """Attribute the session's following changes to ``actor``."""
    session.info["audit_actor"] = actor


def attribute_to(session: Session, user) -> None:
    """Attribute the following changes to ``user``, keeping the client address."""
    current = session.info.get("audit_actor") or SYSTEM
    token_id = current.api_token_id if current.user_id == user.id else None
    set_actor(session, Actor(user.id, user.username, current.client_addr, token_id))


@contextlib.contextmanager
def reason(session: Session, why: str | None):
    """Give the reason for the changes flushed inside the block; refuses an empty one."""
    why = (why or "").strip()
    if not why:
        raise ReasonRequired(str(_l("A reason is required to change an existing record.")),
                             field="reason")
    previous = session.info.get("audit_reason")
    session.info["audit_reason"] = why
    try:
        yield
    finally:
        session.info["audit_reason"] = previous


def record_event(
    session: Session,
    action: str,
    record_type: str,
    record_id: object = None,
    changes: dict | None = None,
    why: str | None = None,
    actor: Actor | None = None,
) -> None:
    """Queue an event that is not a row change (sign-in, signature, export...)."""
    actor = actor or session.info.get("audit_actor") or SYSTEM
    _pending(session).append(
        {
            "user_id": actor.user_id,
            "username": actor.username,
            "client_addr": actor.client_addr,
            "api_token_id": actor.api_token_id,
            "action": action,
            "record_type": record_type,
            "record_id": None if record_id is None else str(record_id),
            "changes": canonical_json(changes or {}),
            "reason": why if why is not None else session.info.get("audit_reason"),
        }
    )


def _pending(session: Session) -> list[dict]:
    return session.info.setdefault("audit_pending", [])


def jsonable(value):
    """A value as it is written into an audit event's JSON."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _column_changes(obj, only_changed: bool) -> dict:
    """{column: [old, new]} for the object's column attributes."""
    state = inspect(obj)
    skipped = ALWAYS_SKIPPED | getattr(obj, "__audit_exempt__", frozenset())
    redacted = getattr(obj, "__audit_redact__", frozenset())
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in skipped:
            continue
        history = state.attrs[key].history
        if only_changed and not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else getattr(obj, key)
        if only_changed and old == new:
            continue
        if key in redacted:
            old, new = (REDACTED if old is not None else None), REDACTED
        changes[key] = [jsonable(old), jsonable(new)]
    return changes


def create_event(model, values, actor: Actor = SYSTEM, why: str | None = None) -> dict:
    """The event the capture queues for a new ``model`` row holding ``values``.

    For writers that insert rows without the ORM session (the benchmark's bulk loader):
    the same ``changes`` as ``_column_changes(obj, only_changed=False)`` gives for the
    new object (every column but the skipped ones as ``[None, value]``, redacted ones
    hidden), shaped as ``record_event`` queues it, ready to be chained. ``values`` maps
    each column attribute to its value, defaults included.
    """
    primary_key, columns = _captured_columns(model)
    changes = {key: [None, jsonable(REDACTED if hidden else values[key])]
               for key, hidden in columns}
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "client_addr": actor.client_addr,
        "api_token_id": actor.api_token_id,
        "action": "create",
        "record_type": model.__tablename__,
        "record_id": str(values[primary_key]),
        "changes": canonical_json(changes),
        "reason": why,
    }


@functools.cache
def _captured_columns(model) -> tuple[str, tuple[tuple[str, bool], ...]]:
    """A model's primary key attribute, and each column a create records (key, redacted)."""
    mapper = inspect(model)
    skipped = ALWAYS_SKIPPED | getattr(model, "__audit_exempt__", frozenset())
    redacted = getattr(model, "__audit_redact__", frozenset())
    columns = tuple((attr.key, attr.key in redacted) for attr in mapper.column_attrs
                    if attr.key not in skipped)
    return mapper.get_property_by_column(mapper.primary_key[0]).key, columns


def _is_audited(obj) -> bool:
    return not getattr(type(obj), "__not_audited__", False)


def _keep_old_value(target, value, oldvalue, initiator):
    return value


@event.listens_for(Mapper, "mapper_configured")
def _load_old_values_before_change(mapper, class_):
    """Make every audited column load its stored value before it is overwritten.

    Without this, setting an attribute that expired at the last commit records its old
    value as unknown, and the audit trail would show ``null → new``.
    """
    if getattr(class_, "__not_audited__", False):
        return
    for attr in mapper.column_attrs:
        event.listen(getattr(class_, attr.key), "set", _keep_old_value, active_history=True,
                     retval=True)


@event.listens_for(Session, "before_flush")
def _check_changes(session, flush_context, instances):
    for obj in session.deleted:
        if _is_audited(obj):
            raise ServiceError(str(_l("GMP records are never deleted; void them with a reason.")))
    for obj in session.dirty:
        if not _is_audited(obj) or not session.is_modified(obj):
            continue
        if getattr(type(obj), "__immutable__", False):
            raise ServiceError(str(_l("A signature can never be changed or moved.")
                                   if obj.__tablename__ == "signature" else
                                   _l("This record can never be changed once written.")))
        if _column_changes(obj, only_changed=True) and not session.info.get("audit_reason"):
            raise ReasonRequired(str(_l("A reason is required to change an existing record.")))


@event.listens_for(Session, "after_flush")
def _collect_changes(session, flush_context):
    for obj in session.new:
        if _is_audited(obj):
            _queue_row_event(session, obj, "create", _column_changes(obj, only_changed=False))
    for obj in session.dirty:
        if _is_audited(obj):
            changes = _column_changes(obj, only_changed=True)
            if changes:
                _queue_row_event(session, obj, "update", changes)


def _queue_row_event(session, obj, action, changes):
    # A create lists each column as [None, value] so every event reads alike.
    primary_key = inspect(obj).mapper.primary_key_from_instance(obj)
    record_event(session, action, obj.__tablename__, primary_key[0], changes)


@event.listens_for(Session, "before_commit")
def _write_chain(session):
    seal(session)


@dataclass(frozen=True)
class Sealed:
    """Where the chain stood once a transaction's events so far were linked."""

    seq: int
    link: str
    key_id: str | None


def seal(session: Session) -> Sealed:
    """Link the events pending so far into the chain now, inside the transaction.

    The commit hook does this for every transaction; a use case that must know the
    chain's position including its own changes (a release and its checkpoint) calls it
    before commit, and the events flushed afterwards are linked at commit.
    """
    session.flush()
    pending = session.info.pop("audit_pending", [])
    if not pending:
        head_seq, prev_hash = session.execute(
            select(AuditChainHead.seq, AuditChainHead.last_hash)
            .where(AuditChainHead.id == 1)).one()
        return Sealed(head_seq, prev_hash, None)
    ring = audit_keys.keyring()
    # Claiming the seq range first takes the row lock (PostgreSQL) or the write
    # lock (SQLite), so concurrent writers extend the chain strictly one by one.
    session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1)
        .values(seq=AuditChainHead.seq + len(pending))
    )
    head_seq, prev_hash = session.execute(
        select(AuditChainHead.seq, AuditChainHead.last_hash).where(AuditChainHead.id == 1)
    ).one()
    rows = link_events(pending, head_seq - len(pending), prev_hash, utcnow(), ring)
    session.execute(AuditEvent.__table__.insert(), rows)
    session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=rows[-1]["hash"])
    )
    sealed = Sealed(head_seq, rows[-1]["hash"], ring.current_id)
    session.info["audit_sealed"] = sealed
    return sealed


def link_events(pending: list[dict], last_seq: int, prev_hash: str, now: datetime,
                ring: audit_keys.Keyring) -> list[dict]:
    """Number and link ``pending`` events after ``last_seq`` under the current key."""
    rows = []
    for item in pending:
        last_seq += 1
        row = {**item, "seq": last_seq, "occurred_at": now, "prev_hash": prev_hash,
               "key_id": ring.current_id}
        row["hash"] = event_link(ring.current, prev_hash, {**row, "occurred_at": now.isoformat()})
        rows.append(row)
        prev_hash = row["hash"]
    return rows


@event.listens_for(Session, "after_rollback")
def _discard_pending(session):
    session.info.pop("audit_pending", None)

