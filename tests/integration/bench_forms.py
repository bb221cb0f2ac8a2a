"""Posting the bench forms as a browser would (local times, CSRF token)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from labtrack.extensions import db
from tests import builders
from tests.helpers import csrf_token_from, login


def local(delta: timedelta = timedelta(0)) -> str:
    """A datetime-local value in the lab's zone, ``delta`` from now."""
    zone = ZoneInfo(current_app.config["LAB_TIMEZONE"])
    return (datetime.now(zone) + delta).strftime("%Y-%m-%dT%H:%M")


def post(client, url: str, data: dict, page: str | None = None):
    """POST ``data`` to ``url`` with the CSRF token of ``page`` (default: the same URL)."""
    token = csrf_token_from(client.get(page or url))
    return client.post(url, data={**data, "csrf_token": token})


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
