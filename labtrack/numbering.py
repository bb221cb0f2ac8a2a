"""Human-friendly, never-reused numbers from named counters, safe under concurrency."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import BigInteger, String, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from labtrack import clock
from labtrack.database import PkMixin
from labtrack.extensions import db


class Counter(PkMixin, db.Model):
    """The last value handed out for one name, e.g. ``batch:2026``; numbers are never reused."""

    __tablename__ = "counter"
    __audit_exempt__ = frozenset({"value"})  # the numbered records themselves are audited
    __not_reconciled__ = True  # created by a Core upsert, not a GMP record (audit-verify)

    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_value(name: str) -> int:
    """Increment counter ``name`` (creating it at 0) and return the new value.

    The UPDATE locks the counter row until the transaction ends, so concurrent
    transactions get distinct values; a rolled-back transaction gives its value back.
    """
    insert = _INSERTS[db.session.get_bind().dialect.name]
    db.session.execute(insert(Counter).values(name=name, value=0)
                       .on_conflict_do_nothing(index_elements=["name"]))
    return db.session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()


def lab_year(now: datetime) -> int:
    """The lab's calendar year at ``now``: on 31 December at 23:30 UTC Madrid is in the next."""
    return clock.lab_year(clock.zone_of(current_app.config), now)


def yearly_number(prefix: str, year: int, width: int = 4) -> str:
    """E.g. ``MSC26-0007``: prefix, two-digit year (the lab's, see :func:`lab_year`), a
    per-year sequence."""
    value = next_value(f"{prefix}:{year}")
    return f"{prefix}{year % 100:02d}-{value:0{width}d}"

