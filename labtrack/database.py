"""Shared pieces of every model: primary key, aware UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import ColumnElement, DateTime, TypeDecorator, select
from sqlalchemy.orm import Mapped, aliased, mapped_column

from labtrack.clock import utcnow

__all__ = ["PkMixin", "TimestampMixin", "UTCDateTime", "not_superseded", "utcnow"]


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always gives them back aware.

    SQLite keeps no zone, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; naive values are refused to catch bugs early.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class PkMixin:
    """Integer surrogate primary key."""

    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    """Creation and last-change times, aware UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


@cache
def not_superseded(model) -> ColumnElement[bool]:
    """SQL condition: no later entry of ``model`` supersedes this one (``supersedes_id``).

    Built once per model: an ``aliased()`` made anew for every query costs SQLAlchemy
    more to adapt than the query costs to run.
    """
    newer = aliased(model, name=f"newer_{model.__tablename__}")
    return ~select(newer.id).where(newer.supersedes_id == model.id).exists()
