"""In-app notices (e.g. to the treating clinician)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select, update

from labtrack.accounts.models import Notice, User
from labtrack.database import utcnow
from labtrack.errors import PermissionDenied
from labtrack.extensions import db


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


def notices_query(user: User, unread_only: bool = False) -> Select:
    """The user's notices, newest first."""
    query = select(Notice).where(Notice.user_id == user.id)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return query.order_by(Notice.created_at.desc(), Notice.id.desc())


def mark_read(user: User, notice: Notice) -> Notice:
    """Mark one of the user's own notices read (reading changes no GMP data). Commits."""
    if notice.user_id != user.id:
        raise PermissionDenied(_("This notice is not yours."))
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.commit()
    return notice


def mark_all_read(user: User) -> int:
    """Mark every unread notice of the user read; returns how many. Commits."""
    result = db.session.execute(
        update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return result.rowcount or 0


def find_notice(notice_id: int) -> Notice | None:
    return db.session.get(Notice, notice_id)
