"""Crash safety: kill the server during a stream of writes; committed writes all survive."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from labtrack.extensions import db
from labtrack.models.audit import AuditEvent
from labtrack.models.users import User
from labtrack.services import audit_trail
from tests import builders
from tests.helpers import PASSWORD

PROJECT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A tiny form-posting client with cookies (no third-party HTTP library needed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect())

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, form_page: str, data: dict) -> int:
        html = self.get(form_page)
        marker = 'name="csrf_token" type="hidden" value="'
        start = html.index(marker) + len(marker)
        data = {**data, "csrf_token": html[start:html.index('"', start)]}
        request = urllib.request.Request(self.base + path,  # noqa: S310  (http on loopback)
                                         data=urllib.parse.urlencode(data).encode())
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _start_server(database_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "LABTRACK_DATABASE_URL": database_url,
           "LABTRACK_SECRET_KEY": "crash-test-secret", "LABTRACK_ENV": "development"}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "2",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    pytest.fail("the server did not start")


def test_killing_the_server_mid_stream_loses_no_committed_write(app, database_url):
    admin_name = builders.user("admin", username="crashadmin").username
    port = _free_port()
    server = _start_server(database_url, port)
    committed: list[str] = []
    failures: list[Exception] = []
    stop = threading.Event()

    def write_stream(worker: int) -> None:
        client = Browser(f"http://127.0.0.1:{port}")
        client.post("/login", "/login", {"username": admin_name, "password": PASSWORD})
        for n in range(10_000):
            if stop.is_set():
                return
            username = f"crash{worker}-{n}"
            try:
                status = client.post("/admin/users/new", "/admin/users/new", {
                    "username": username, "full_name": "Crash Test", "role": "qa",
                    "password": "a long enough password"})
            except (OSError, ValueError) as error:
                failures.append(error)
                return  # the server died mid-request: this write may or may not be there
            if status == 302:
                committed.append(username)

    writers = [threading.Thread(target=write_stream, args=(i,)) for i in range(3)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 60
    while len(committed) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(committed) >= 15, f"the write stream did not get going: {failures[:3]}"
    os.killpg(server.pid, signal.SIGKILL)  # master and workers at once, mid-request
    server.wait(timeout=10)
    stop.set()
    for writer in writers:
        writer.join(timeout=15)

    db.session.expire_all()
    stored = set(db.session.scalars(select(User.username).where(User.username.like("crash%-%"))))
    assert set(committed) <= stored
    created_events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "create", AuditEvent.record_type == "user_account"))
    users = db.session.scalar(select(func.count()).select_from(User))
    assert created_events == users  # no user without its audit event, and no orphan event
    assert audit_trail.verify().ok
