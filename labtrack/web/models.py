"""What every page shares in the database: the one-time tokens of submitted forms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.database import PkMixin, UTCDateTime
from labtrack.extensions import db


class FormSubmission(PkMixin, db.Model):
    """A form's one-time token, claimed by its first submit (labtrack/web/once.py).

    Not a GMP record: it only stops a repeated submit (back button, double click, retry)
    from recording twice, and remembers where the first submit led.
    """

    __tablename__ = "form_submission"
    __not_audited__ = True

    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(500))  # where the first submit led
