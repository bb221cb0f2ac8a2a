"""One page of a list, with a count that stays cheap however long the list grows.

An exact ``count(*)`` of a long list reads every row of it (tens of milliseconds at
100,000 rows on PostgreSQL), on every page view. Lists here count at most ``cap`` + 1
rows: below the cap the total is exact; above it the page says "more than …" and offers
the next page when there is one (one row more than the page is read to know).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import abort, current_app, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from labtrack.extensions import db

COUNT_CAP = 1000


@dataclass(frozen=True)
class Page:
    """One page of rows, shaped like Flask-SQLAlchemy's pagination for the templates."""

    items: list
    page: int
    per_page: int
    total: int | None  # None: more than ``cap``
    has_next: bool
    cap: int | None = COUNT_CAP

    @property
    def pages(self) -> int | None:
        """How many pages; None when the total is only known to exceed the cap."""
        return None if self.total is None else max(math.ceil(self.total / self.per_page), 1)

    @property
    def more_than_cap(self) -> bool:
        return self.total is None

    @property
    def has_other_pages(self) -> bool:
        return self.has_prev or self.has_next

    has_prev = property(lambda self: self.page > 1)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def paginate(query: Select, page: int, per_page: int, cap: int | None = COUNT_CAP,
             params: dict | None = None) -> Page:
    """Rows ``(page - 1) * per_page`` onwards of ``query`` (ORM entities), and a count
    capped at ``cap`` (``None``: an exact count, for lists whose size is itself a fact).
    ``params``: values for the query's bound parameters."""
    page = max(page, 1)
    rows = db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page),
                              params).all()
    items, has_next = list(rows[:per_page]), len(rows) > per_page
    if page == 1 and not has_next:
        total = len(items)
    else:
        counted = query.order_by(None).options(lazyload("*"))
        if cap is not None:
            counted = counted.limit(cap + 1)
        found = db.session.scalar(select(func.count()).select_from(counted.subquery()), params)
        total = found if cap is None or found <= cap else None
    return Page(items, page, per_page, total, has_next, cap)


MAX_PAGE = 1_000_000  # far past any list's end; a larger number is no page (404)


def page_number() -> int:
    """The page asked for (``?page=``); the first for a missing or meaningless value, 404
    for a number past any list (too large for the database to offset by)."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    if page > MAX_PAGE:
        abort(404)
    return page


def list_page(query: Select, cap: int | None = COUNT_CAP) -> Page:
    """The page of ``query`` the request asks for (``?page=``), the lab's page size."""
    return paginate(query, page_number(), current_app.config["PAGE_SIZE"], cap)
