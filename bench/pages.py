"""What the benchmark measures: the pages users wait for, and the release record."""

from __future__ import annotations

import http.cookiejar
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from labtrack.accounts.models import User
from labtrack.culture.models import Batch
from labtrack.extensions import db
from labtrack.quality import release, release_records
from labtrack.quality.models import Release
from labtrack.quality.record_pdf.release_record import render_record
from labtrack.quality.release import RecordSettings

PASSWORD = "bench-password-1"  # noqa: S105  (the benchmark's own throwaway accounts)
USERS = {"technician": "technician0", "qa": "qa0", "clinician": "clinician0"}


@dataclass
class Targets:
    """The records the pages are measured on, and how to sign in as each role."""

    app: Flask
    batch_in_culture: str
    released_batch_id: int

    def sign_in(self, client, role: str) -> None:
        """Sign a test client in through the real form."""
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login", data={"username": USERS[role], "password": PASSWORD,
                                               "csrf_token": _csrf_token(page)})
        assert response.status_code == 302, f"bench sign-in failed for {role}"

    def session_cookie(self, port: int, role: str) -> str:
        """Sign in over HTTP through the real form; the session cookie as a header value."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{port}"
        page = opener.open(f"{base}/login", timeout=10).read().decode()  # noqa: S310
        form = urllib.parse.urlencode({"username": USERS[role], "password": PASSWORD,
                                       "csrf_token": _csrf_token(page)})
        opener.open(f"{base}/login", data=form.encode(), timeout=10).read()  # noqa: S310
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def _csrf_token(page: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    path: Callable[[Targets], str]


PAGES = (
    Page("today", "technician", lambda t: "/today"),
    Page("batch_list", "technician", lambda t: "/batches"),
    Page("batch_page", "technician", lambda t: f"/batches/{t.batch_in_culture}"),
    Page("readiness", "clinician", lambda t: "/readiness?status=all&clinician=all"),
    Page("audit_filtered", "qa", lambda t: "/audit?record_type=cell_count&action=create"),
    Page("audit_by_user", "qa", lambda t: f"/audit?username={USERS['qa']}"),
)


def prepare(app: Flask) -> Targets:
    """Pick the measured records: a batch in culture, a release."""
    # The newest: the write benchmark (bench.writes) never adds counts to it.
    in_culture = db.session.scalar(select(Batch.batch_number)
                                   .where(Batch.state == "in_culture").order_by(Batch.id.desc()))
    released = db.session.scalar(select(Release.batch_id).where(Release.decision == "released")
                                 .order_by(Release.batch_id))
    return Targets(app, in_culture, released)


def release_record_pdf(targets: Targets) -> bytes:
    """Assemble and render one batch release record, as at the moment of release."""
    batch = db.session.get(Batch, targets.released_batch_id)
    decision = release.decision_of(batch)
    qa = db.session.scalar(select(User).where(User.username == USERS["qa"]))
    settings = RecordSettings.from_config(targets.app.config)
    rev = release.review(batch, qa, settings.zone)
    return render_record(release_records.assemble(rev, decision, settings, 0))
