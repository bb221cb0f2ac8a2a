"""Browser fixtures: a live LabTrack on SQLite and headless Chromium driven by Playwright.

One server per test module (a fresh SQLite database holding the demo lab, cloned from one
seeded once per process through the services), one browser per session, and a fresh
browser context per test so tests never share cookies. Every test under ``tests/e2e`` is
marked ``e2e``. When a test fails, a screenshot of its page is saved under ``test-artifacts/``.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from labtrack.accounts import users as accounts
from labtrack.accounts.users import AccountPolicy
from labtrack.audit.capture import SYSTEM, set_actor
from labtrack.extensions import db
from tests.conftest import IN_CI, build_app
from tests.helpers import PASSWORD

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # reported by the ``browser`` fixture, as a skip or (in CI) a failure
    sync_playwright = expect = None

CHROMIUM = os.environ.get("LABTRACK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
E2E_DIR = Path(__file__).resolve().parent
_REPORTS = pytest.StashKey[dict]()
_counter = itertools.count()


def pytest_collection_modifyitems(config, items):
    """Mark every test in this directory ``e2e`` (``-m "not e2e"`` skips the browser)."""
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so the ``page`` fixture can see a failure."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request (errors are still logged)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class LiveServer:
    """A LabTrack served over HTTP from a background thread."""

    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> None:
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server",
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()

    def create_user(self, role: str = "technician", username: str | None = None,
                    password: str = PASSWORD) -> str:
        """Create an account through the service, as an administrator would; its user name."""
        username = username or f"e2e-{role}{next(_counter)}"
        with self.app.app_context():
            set_actor(db.session, SYSTEM)
            accounts.create_user(username, f"{username.title()} Tester", role, password,
                                 AccountPolicy.from_config(self.app.config))
            db.session.remove()
        return username


@pytest.fixture(scope="module")
def live_server(sqlite_databases):
    """LabTrack on a fresh SQLite database holding the demo lab, per module (seeded once
    per process and cloned: tests/conftest.py, DemoTemplates)."""
    database_url = sqlite_databases.create(demo="en")
    app = build_app(database_url)
    server = LiveServer(app, make_server("127.0.0.1", 0, app, threaded=True,
                                         request_handler=_QuietHandler))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()
        sqlite_databases.drop(database_url)


def _browser_unavailable(reason: str):
    """Missing browser tooling fails the run in CI and skips it elsewhere."""
    if IN_CI:
        pytest.fail(f"CI=true but browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, launched once per session."""
    if sync_playwright is None:
        _browser_unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        _browser_unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=CHROMIUM_ARGS)
        except PlaywrightError as error:
            _browser_unavailable(f"Chromium at {CHROMIUM} did not start: {error.message}")
        expect.set_options(timeout=TIMEOUT_MS)
        yield browser
        browser.close()


@pytest.fixture
def page(request, browser, live_server):
    """A page in a fresh browser context (own cookies), with relative URLs on the server."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    reports = request.node.stash.get(_REPORTS, {})
    if any(report.failed for report in reports.values()):
        _save_screenshot(page, request)
    context.close()


def _save_screenshot(page: Page, request) -> None:
    directory = request.config.rootpath / "test-artifacts"
    directory.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
    try:
        page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
    except PlaywrightError as error:  # a crashed page must not hide the test's own failure
        print(f"could not save a screenshot: {error.message}")


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the real form; the caller asserts where it lands.

    Journeys import it with ``expect`` from here: ``from tests.e2e.conftest import expect,
    sign_in`` (``expect`` is None when Playwright is missing, so collection still works and
    the ``browser`` fixture reports the problem).
    """
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
