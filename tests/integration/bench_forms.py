"""Posting the bench forms as a browser would (local times, CSRF token)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from labtrack import clock
from labtrack.extensions import db
from tests import builders
from tests.helpers import csrf_token_from, login


class LabTime(str):
    """A datetime-local value as typed, remembering the UTC offset of the instant it names."""

    offset: timedelta


def local(delta: timedelta = timedelta(0)) -> LabTime:
    """A datetime-local value in the lab's zone, ``delta`` from now."""
    return lab_time_at(clock.utcnow() + delta)


def lab_time_at(moment: datetime) -> LabTime:
    """The datetime-local value a technician types for ``moment`` on the lab's clock."""
    local_moment = moment.astimezone(ZoneInfo(current_app.config["LAB_TIMEZONE"]))
    typed = LabTime(local_moment.strftime("%Y-%m-%dT%H:%M"))
    typed.offset = local_moment.utcoffset()
    return typed


def fold_answers(data: dict) -> dict:
    """During the repeated hour of the autumn change the form asks which hour is meant:
    answer with the hour of the instant each typed time was made from."""
    zone = ZoneInfo(current_app.config["LAB_TIMEZONE"])
    answers = {}
    for name, value in data.items():
        if isinstance(value, LabTime):
            try:
                clock.lab_local_to_utc(datetime.fromisoformat(value), zone)
            except clock.AmbiguousLocalTime:
                answers[f"{name}-offset"] = clock.format_offset(value.offset)
    return answers


def post(client, url: str, data: dict, page: str | None = None):
    """POST ``data`` to ``url`` with the CSRF token of ``page`` (default: the same URL)."""
    token = csrf_token_from(client.get(page or url))
    return client.post(url, data={**fold_answers(data), **data, "csrf_token": token})


def post_step(client, batch, kind: str, **fields):
    url = f"/batches/{batch.batch_number}/steps/new/{kind}"
    return post(client, url, {"performed_at": local(), **fields})


def post_count(client, batch, **fields):
    url = f"/batches/{batch.batch_number}/counts/new"
    return post(client, url, {"counted_at": local(), "method": "automated", "mode": "totals",
                              **fields})


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


def client_as(app, role: str):
    """Another browser: a fresh client signed in as a new user of ``role``."""
    user = builders.user(role)
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    return client, user
