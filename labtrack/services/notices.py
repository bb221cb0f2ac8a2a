"""In-app notices (e.g. to the treating clinician)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from labtrack.extensions import db
from labtrack.models.notices import Notice


def notify(user_id: int, kind: str, message: str, severity: str = "info",
           batch_id: int | None = None, order_id: int | None = None) -> Notice:
    """Queue a notice for a user (flushes; the caller's use case commits)."""
    notice = Notice(user_id=user_id, kind=kind, message=message, severity=severity,
                    batch_id=batch_id, order_id=order_id)
    db.session.add(notice)
    db.session.flush()
    return notice


# Built once: every page's header runs it.
UNREAD = (select(func.count()).select_from(Notice)
          .where(Notice.user_id == bindparam("user_id"), Notice.read_at.is_(None)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(UNREAD, {"user_id": user_id})
