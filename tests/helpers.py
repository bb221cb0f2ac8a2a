"""Helpers shared by the tests."""

import contextlib
import re
import threading
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import event

from config import TestConfig
from labtrack import clock
from labtrack.extensions import db

PASSWORD = "correct horse battery"
LAB_ZONE = ZoneInfo(TestConfig.LAB_TIMEZONE)


def lab_today() -> date:
    """Today in the lab (not the machine's date: at 23:30 UTC Madrid is already tomorrow)."""
    return clock.lab_today(LAB_ZONE)


def login(client, username, password=PASSWORD, follow=False):
    """Sign in through the real form, with its CSRF token."""
    page = client.get("/login")
    token = csrf_token_from(page)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=follow)


def prefilled_time(response, name: str) -> dict:
    """A date-time field as the page fills it in, with the hour chosen for it when the
    clocks show that time twice (what a browser sends when the user changes nothing)."""
    html = response.get_data(as_text=True)
    found = {name: re.search(rf'name="{name}"[^>]*value="([^"]+)"', html).group(1)}
    chosen = re.search(rf'name="{name}-offset" value="([^"]+)" required checked', html)
    if chosen:
        found[f"{name}-offset"] = chosen.group(1)
    return found


def csrf_token_from(response) -> str:
    html = response.get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.find(marker)
    if start < 0:
        marker = 'name="csrf_token" value="'
        start = html.find(marker)
    assert start >= 0, "page has no CSRF token"
    start += len(marker)
    return html[start:html.index('"', start)]


def submit_token_from(response) -> str:
    """The one-time token of the page's (first) form, as a browser sends it back."""
    found = re.search(r'name="submit_token" value="([^"]+)"', response.get_data(as_text=True))
    assert found, "page has no one-time submit token"
    return found.group(1)


def results_grid(page, **values) -> dict:
    """The QC results grid as a browser sends it: every row as prefilled (test, analyst,
    tested at), the result typed in the rows named by test code (``viability="92.5"``)."""
    html = page.get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "submit_token": submit_token_from(page)}
    for index, code in re.findall(r'name="rows-(\d+)-test_code" type="hidden" value="([^"]+)"',
                                  html):
        row = f"rows-{index}-"
        analyst = re.search(rf'name="{row}analyst"[^>]*value="([^"]*)"', html)
        data.update({f"{row}test_code": code, f"{row}analyst": analyst.group(1) if analyst
                     else "", f"{row}value": values.get(code, "")})
        data.update(prefilled_time(page, f"{row}tested_at"))
    return data


@contextlib.contextmanager
def statements_run():
    """Collect the SQL statements run inside the block (the list fills as they run)."""
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def run_together(apps: list, work: Callable[[int, threading.Barrier], None]) -> list[str]:
    """Run ``work(index, start)`` in one thread per app, each inside its app's context.

    ``work`` calls ``start.wait()`` when it is ready, so the threads do the part that
    matters at the same moment. The apps must be built before (CPython 3.11 can fail
    parsing in several threads at once: werkzeug compiles each route with ast.parse).
    Returns the unexpected exceptions, as text; a thread cannot fail the test itself.
    """
    start, errors = threading.Barrier(len(apps), timeout=30), []

    def run(index: int) -> None:
        with apps[index].app_context():
            try:
                work(index, start)
            except Exception as error:  # noqa: BLE001 - returned to the test
                start.abort()  # never leave the other threads waiting at the barrier
                errors.append(repr(error))
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def inline_scripts(html: str) -> list[str]:
    """The page's scripts that the CSP (script-src 'self') would block: any without a
    src, or with one from elsewhere than the app's own /static/."""
    return [tag.group(0) for tag in _SCRIPT_TAG.finditer(html)
            if not re.search(r'\bsrc="/static/[^"]+"', tag.group(1))]
