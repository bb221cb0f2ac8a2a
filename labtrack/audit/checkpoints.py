"""Writing and reading checkpoints in their append-only place outside the database.

Checkpoints are appended, one JSON line each, to ``audit-checkpoints.jsonl`` in the
configured directory (and sent to syslog when configured): at every release (stored
with the decision and printed on its record), after any commit when the last one is
older than ``AUDIT_CHECKPOINT_MINUTES``, and by ``labtrack audit-checkpoint`` (cron).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from labtrack.audit import keys as audit_keys
from labtrack.audit.capture import Sealed, seal
from labtrack.audit.rules.checkpoint import Checkpoint, from_json
from labtrack.database import utcnow

FILE_NAME = "audit-checkpoints.jsonl"
log = logging.getLogger(__name__)


def directory() -> Path:
    """The configured checkpoint directory; under test, one per database."""
    configured = current_app.config.get("AUDIT_CHECKPOINT_DIR")
    if configured:
        return Path(configured)
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "labtrack-checkpoints" / digest


def make(sealed: Sealed, why: str) -> Checkpoint:
    """A signed checkpoint of the chain as ``sealed`` left it."""
    ring = audit_keys.keyring()
    at = utcnow().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Checkpoint(sealed.seq, sealed.link, at, ring.current_id, why).signed(ring.current)


def checkpoint_now(session: Session, why: str) -> Checkpoint:
    """Link the transaction's events so far and make a checkpoint of the chain there.

    It is appended to the checkpoint files once the transaction commits (a rolled-back
    one anchors nothing).
    """
    checkpoint = make(seal(session), why)
    session.info.setdefault("audit_checkpoints", []).append(checkpoint)
    return checkpoint


def append(checkpoint: Checkpoint) -> None:
    """Append one checkpoint to the file (created if need be) and, if set, to syslog."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    line = checkpoint.to_json() + "\n"
    descriptor = os.open(folder / FILE_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if current_app.config.get("AUDIT_CHECKPOINT_SYSLOG"):
        import syslog

        syslog.syslog(syslog.LOG_INFO, "labtrack-audit-checkpoint " + line.strip())
    current_app.extensions["audit_last_checkpoint"] = utcnow()


def read_all() -> tuple[list[Checkpoint], list[int]]:
    """Every checkpoint in the files, and the line numbers that are not checkpoints."""
    path = directory() / FILE_NAME
    if not path.exists():
        return [], []
    found, unreadable = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            checkpoint = from_json(line)
            if checkpoint is None:
                unreadable.append(number)
            else:
                found.append(checkpoint)
    return found, unreadable


def _last_written() -> datetime | None:
    cached = current_app.extensions.get("audit_last_checkpoint")
    if cached is not None:
        return cached
    path = directory() / FILE_NAME
    if not path.exists():
        return None
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _due() -> bool:
    last = _last_written()
    minutes = current_app.config.get("AUDIT_CHECKPOINT_MINUTES", 60)
    return last is None or utcnow() - last >= timedelta(minutes=minutes)


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session):
    requested = session.info.pop("audit_checkpoints", [])
    sealed = session.info.pop("audit_sealed", None)
    if not has_app_context() or (not requested and sealed is None):
        return
    try:
        for checkpoint in requested:
            append(checkpoint)
        if sealed is not None and (requested or _due()):
            why = "after release" if requested else "periodic"
            append(make(sealed, why))
    except (OSError, audit_keys.AuditKeyError):
        # The change is committed; a missing anchor shows at the next verification.
        log.exception("audit checkpoint could not be written")


@event.listens_for(Session, "after_rollback")
def _forget_checkpoints(session):
    session.info.pop("audit_checkpoints", None)
    session.info.pop("audit_sealed", None)
