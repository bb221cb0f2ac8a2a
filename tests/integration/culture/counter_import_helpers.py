"""Uploading counter files as a browser does, and times as a counter's clock writes them."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from flask import current_app

from labtrack import clock
from labtrack.database import utcnow
from tests.helpers import csrf_token_from


def file_time(hours_ago: float = 1.0, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """The lab's wall-clock time ``hours_ago`` as a counter writes it; an hour further back
    when the clocks show that time twice (a naive time then cannot be placed)."""
    zone = clock.zone_of(current_app.config)
    moment = utcnow() - timedelta(hours=hours_ago)
    for _attempt in range(3):
        wall = clock.local(moment, zone).replace(tzinfo=None, microsecond=0)
        try:
            clock.lab_local_to_utc(wall, zone)
        except clock.LocalTimeError:
            moment -= timedelta(hours=1)
            continue
        return wall.strftime(fmt)
    raise AssertionError("no unambiguous time found")


def upload(client, content: bytes, name: str = "export.csv", batch=None):
    """POST the file through the upload form, with its CSRF token."""
    url = (f"/batches/{batch.batch_number}/counts/import" if batch else "/counts/import")
    token = csrf_token_from(client.get(url))
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def preview_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def submit_preview(client, url: str, volumes: dict[int, str], action: str = "review",
                   reviewed: str | None = None):
    """POST the preview form: the volume per line and the button pressed."""
    page = client.get(url)
    html = page.get_data(as_text=True)
    if reviewed is None:
        found = re.search(r'name="reviewed" value="([^"]*)"', html)
        reviewed = found.group(1) if found else ""
    data = {"csrf_token": csrf_token_from(page), "action": action, "reviewed": reviewed}
    data.update({f"volume-{line}": value for line, value in volumes.items()})
    return client.post(url, data=data)


def review_then_confirm(client, url: str, volumes: dict[int, str]):
    """Work out the totals, then import with the volumes they were worked out with."""
    reviewed = submit_preview(client, url, volumes)
    assert reviewed.status_code == 200, reviewed.get_data(as_text=True)[:2000]
    signature = re.search(r'name="reviewed" value="([^"]*)"',
                          reviewed.get_data(as_text=True)).group(1)
    return submit_preview(client, url, volumes, "confirm", signature)
