"""Crash safety: kill the server during a stream of writes; committed writes all survive.

Nothing here is left to timing: the test binds the listening socket itself and hands it
to gunicorn (no other process can take the port in between), a write counts as
acknowledged only when the server answered with the new account's page (not a redirect
to sign-in), and the kill comes once every writer has had writes acknowledged.
"""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import TestConfig
from labtrack.accounts.models import User
from labtrack.audit import trail as audit_trail
from labtrack.audit.models import AuditEvent
from labtrack.extensions import db
from tests import builders
from tests.helpers import PASSWORD

PROJECT = Path(__file__).resolve().parents[2]


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


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

    def post(self, path: str, form_page: str, data: dict) -> tuple[int, str]:
        """POST the form with the CSRF token of ``form_page``: (status, Location header)."""
        html = self.get(form_page)
        marker = 'name="csrf_token" type="hidden" value="'
        start = html.index(marker) + len(marker)
        data = {**data, "csrf_token": html[start:html.index('"', start)]}
        request = urllib.request.Request(self.base + path,  # noqa: S310  (http on loopback)
                                         data=urllib.parse.urlencode(data).encode())
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _start_server(database_url: str, listener: socket.socket) -> subprocess.Popen:
    env = {**os.environ, "LABTRACK_DATABASE_URL": database_url,
           "LABTRACK_SECRET_KEY": "crash-test-secret", "LABTRACK_ENV": "development",
           # the suite's audit key, so the test can verify the chain the server wrote
           "LABTRACK_AUDIT_KEYS": TestConfig.AUDIT_KEYS,
           "LABTRACK_AUDIT_CHECKPOINT_DIR": tempfile.mkdtemp(prefix="crash-checkpoints-")}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "2",
         "--bind", f"fd://{listener.fileno()}", "wsgi:app"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, pass_fds=(listener.fileno(),))
    port = listener.getsockname()[1]
    listener.close()  # gunicorn has its own copy: once it dies, connections are refused
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()
            return server
        except OSError:
            time.sleep(0.2)
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
    pytest.fail(f"the server did not start (exit code {server.poll()})")


def test_killing_the_server_mid_stream_loses_no_committed_write(app, database_url):
    admin_name = builders.user("admin", username="crashadmin").username
    listener = _listening_socket()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    server = _start_server(database_url, listener)
    writers_count, each_before_kill = 3, 4
    committed: list[list[str]] = [[] for _ in range(writers_count)]
    problems: list[str] = []
    stop = threading.Event()

    def write_stream(worker: int) -> None:
        client = Browser(base)
        status, location = client.post("/login", "/login",
                                       {"username": admin_name, "password": PASSWORD})
        if status != 302 or "/login" in location:
            problems.append(f"writer {worker} could not sign in: {status} {location}")
            return
        for n in range(10_000):
            if stop.is_set():
                return
            username = f"crash{worker}-{n}"
            try:
                status, location = client.post("/admin/users/new", "/admin/users/new", {
                    "username": username, "full_name": "Crash Test", "role": "qa",
                    "password": "a long enough password"})
            except (OSError, ValueError):
                return  # the server died mid-request: this write may or may not be there
            if status == 302 and "/admin/users/" in location:  # the new account's page
                committed[worker].append(username)
            elif not stop.is_set():
                problems.append(f"writer {worker}: {username} answered {status} {location}")
                return

    writers = [threading.Thread(target=write_stream, args=(i,)) for i in range(writers_count)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 240
    while (min(map(len, committed)) < each_before_kill and not problems
           and time.monotonic() < deadline):
        time.sleep(0.05)
    if min(map(len, committed)) < each_before_kill:
        os.killpg(server.pid, signal.SIGKILL)
        stop.set()
        pytest.fail(f"the write stream did not get going: {problems[:3]}")
    os.killpg(server.pid, signal.SIGKILL)  # master and workers at once, mid-request
    server.wait(timeout=30)
    stop.set()
    for writer in writers:
        writer.join(timeout=60)
    assert not any(writer.is_alive() for writer in writers)
    assert not problems, problems

    db.session.expire_all()
    stored = set(db.session.scalars(select(User.username).where(User.username.like("crash%-%"))))
    acknowledged = {name for names in committed for name in names}
    assert acknowledged <= stored
    created_events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "create", AuditEvent.record_type == "user_account"))
    users = db.session.scalar(select(func.count()).select_from(User))
    assert created_events == users  # no user without its audit event, and no orphan event
    assert audit_trail.verify().ok
