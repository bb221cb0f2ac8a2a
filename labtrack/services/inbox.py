"""Reading one's in-app notices and marking them read (``notices.notify`` sends them)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, select, update

from labtrack.extensions import db
from labtrack.models.base import utcnow
from labtrack.models.notices import Notice
from labtrack.models.users import User
from labtrack.services import PermissionDenied


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

