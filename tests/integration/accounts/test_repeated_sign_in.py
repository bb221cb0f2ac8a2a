"""A sign-in form sent twice (a double click, a browser retry, Back then Sign in again)
opens one session and records one sign-in: the repeat gets the session the first opened."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from labtrack.accounts.models import UserSession
from labtrack.audit.models import AuditEvent
from labtrack.database import utcnow
from labtrack.extensions import db
from tests.conftest import build_app
from tests.helpers import PASSWORD, csrf_token_from, run_together, submit_token_from


def _open_sessions(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)))


def _sign_ins(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.record_type == "user_account", AuditEvent.record_id == str(user_id),
        AuditEvent.action == "login_success"))


def _sign_in_form(client, username: str) -> dict:
    """The sign-in page's form, filled in as a browser sends it."""
    page = client.get("/login")
    return {"username": username, "password": PASSWORD, "csrf_token": csrf_token_from(page),
            "submit_token": submit_token_from(page)}


def test_a_double_click_on_sign_in_opens_one_session_and_records_one_sign_in(app, make_user):
    user = make_user("technician")
    browser = app.test_client()
    form = _sign_in_form(browser, user.username)
    before = browser.get_cookie("session").value
    first = browser.post("/login", data=form)
    cancelled = browser.get_cookie("session").value  # the browser may drop this answer…
    browser.set_cookie("session", before)  # …as the second click went out before it came
    second = browser.post("/login", data=form)

    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == "/"
    assert _open_sessions(user.id) == 1
    assert _sign_ins(user.id) == 1
    assert browser.get("/today").status_code == 200  # signed in with the second answer
    other = app.test_client()
    other.set_cookie("session", cancelled)
    assert other.get("/today").status_code == 200  # or with the first: the same session


def test_two_sign_in_forms_open_two_sessions(app, make_user):
    user = make_user("technician")
    tabs = [app.test_client(), app.test_client()]
    forms = [_sign_in_form(tab, user.username) for tab in tabs]
    for tab, form in zip(tabs, forms, strict=True):
        assert tab.post("/login", data=form).status_code == 302
    assert _open_sessions(user.id) == 2 and _sign_ins(user.id) == 2


def test_a_sign_in_without_a_form_token_still_opens_a_session_each_time(app, make_user):
    user = make_user("technician")
    for _ in range(2):
        client = app.test_client()
        form = _sign_in_form(client, user.username)
        del form["submit_token"]
        assert client.post("/login", data=form).status_code == 302
        assert client.get("/today").status_code == 200
    assert _open_sessions(user.id) == 2 and _sign_ins(user.id) == 2


def test_back_then_sign_in_again_while_signed_in_records_nothing(app, make_user):
    user = make_user("technician")
    browser = app.test_client()
    form = _sign_in_form(browser, user.username)
    assert browser.post("/login", data=form).status_code == 302
    again = browser.post("/login", data=form)  # the page from the history, sent again
    assert again.status_code == 400  # its CSRF token belonged to the signed-out session
    assert "Nothing was saved" in again.get_data(as_text=True)
    assert _open_sessions(user.id) == 1 and _sign_ins(user.id) == 1
    assert browser.get("/today").status_code == 200  # still signed in


def test_a_sign_in_form_sent_again_after_its_session_ended_opens_a_new_one(app, make_user):
    user = make_user("technician")
    browser = app.test_client()
    form = _sign_in_form(browser, user.username)
    before = browser.get_cookie("session").value
    assert browser.post("/login", data=form).status_code == 302
    browser.post("/logout", data={"csrf_token": csrf_token_from(browser.get("/today"))})
    assert _open_sessions(user.id) == 0
    browser.set_cookie("session", before)  # the signed-out page's cookie, and its form
    assert browser.post("/login", data=form).status_code == 302
    assert browser.get("/today").status_code == 200
    assert _open_sessions(user.id) == 1 and _sign_ins(user.id) == 2


def test_a_sign_in_form_sent_again_after_its_session_timed_out_opens_a_new_one(app, make_user):
    user = make_user("technician")
    browser = app.test_client()
    form = _sign_in_form(browser, user.username)
    before = browser.get_cookie("session").value
    assert browser.post("/login", data=form).status_code == 302
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        browser.set_cookie("session", before)
        assert browser.post("/login", data=form).status_code == 302
        assert browser.get("/today").status_code == 200  # not "your session timed out"
    assert _sign_ins(user.id) == 2


def test_the_same_sign_in_sent_twice_at_the_same_moment_opens_one_session(app, database_url,
                                                                         make_user):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the race needs PostgreSQL's concurrent transactions")
    user = make_user("technician")
    user_id, client = user.id, app.test_client()
    form, cookie = _sign_in_form(client, user.username), client.get_cookie("session").value
    db.session.remove()
    statuses: list[int] = []

    def sign_in(index: int, start) -> None:
        browser = apps[index].test_client()
        browser.set_cookie("session", cookie)
        start.wait()
        statuses.append(browser.post("/login", data=form).status_code)

    apps = [build_app(database_url) for _ in range(2)]
    assert run_together(apps, sign_in) == []
    assert statuses == [302, 302]
    assert _open_sessions(user_id) == 1 and _sign_ins(user_id) == 1
