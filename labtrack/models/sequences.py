"""Named counters for human-friendly numbers (batch, deviation, DIN sequence…)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from labtrack.extensions import db
from labtrack.models.base import PkMixin


class Counter(PkMixin, db.Model):
    """The last value handed out for one name, e.g. ``batch:2026``; numbers are never reused."""

    __tablename__ = "counter"
    __audit_exempt__ = frozenset({"value"})  # the numbered records themselves are audited

    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
