"""Sign-in, lockout, idle timeout, CSRF and role guards."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from labtrack.accounts import users as accounts
from labtrack.audit.models import AuditEvent
from labtrack.database import utcnow
from labtrack.extensions import db
from tests.helpers import csrf_token_from, login

HOMES = {"technician": "/today", "qa": "/review", "clinician": "/readiness",
         "admin": "/admin/users"}


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.mark.parametrize("role", HOMES)
def test_each_role_lands_on_its_home_page(client, make_user, role):
    user = make_user(role)
    response = login(client, user.username)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == HOMES[role]
    assert client.get(HOMES[role]).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    user = make_user()
    wrong = login(client, user.username, "not the password at all").get_data(as_text=True)
    unknown = login(client, "nobody-here", "not the password at all").get_data(as_text=True)
    message = "Sign-in failed: wrong user name or password"
    assert message in wrong and message in unknown
    assert len(_events("login_failure")) == 2


def test_lockout_after_repeated_failures_then_unlock_after_window(app, client, make_user):
    user = make_user()
    app.config["SIGN_IN_LIMITS_PER_ACCOUNT"] = app.config["SIGN_IN_LIMITS_PER_CLIENT"] = \
        "1000 per minute"  # throttling is tested on its own; here, reach the lockout
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        login(client, user.username, "wrong password 123")
    db.session.refresh(user)
    assert user.locked_until is not None
    assert user.locked_until > utcnow() + timedelta(minutes=14)
    assert len(_events("lockout")) == 1

    # Even the right password is refused while locked.
    assert login(client, user.username).status_code == 200

    # Fifteen minutes later (simulated by moving the lock into the past) it opens again.
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client, user.username).status_code == 302
    db.session.refresh(user)
    assert user.failed_login_count == 0 and user.locked_until is None


def test_successful_sign_in_resets_the_failure_count(client, make_user):
    user = make_user()
    login(client, user.username, "wrong password 123")
    assert login(client, user.username).status_code == 302
    db.session.refresh(user)
    assert user.failed_login_count == 0
    assert len(_events("login_success")) == 1


def test_idle_session_expires(app, client, make_user):
    user = make_user()
    login(client, user.username)
    assert client.get("/today").status_code == 200
    idle = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 1)
    with time_machine.travel(utcnow() + idle, tick=True):
        response = client.get("/today")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        assert client.get("/today").status_code == 302  # signed out, not just redirected once


def test_active_session_is_kept(app, client, make_user):
    user = make_user()
    login(client, user.username)
    recent = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] - 1)
    with time_machine.travel(utcnow() + recent, tick=True):
        assert client.get("/today").status_code == 200


def test_form_posted_without_csrf_token_is_refused(client, make_user):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": "x" * 20})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert _events("login_success") == []


@pytest.mark.parametrize(("role", "url"), [
    ("technician", "/admin/users"), ("technician", "/review"), ("qa", "/today"),
    ("clinician", "/admin/users/new"), ("admin", "/readiness"), ("qa", "/readiness"),
])
def test_role_outside_its_area_gets_a_friendly_403(signed_in, role, url):
    client, _ = signed_in(role)
    response = client.get(url)
    assert response.status_code == 403
    assert "Your role does not give access to this page" in response.get_data(as_text=True)


def test_every_page_but_login_and_healthz_needs_sign_in(app, client):
    public = {"/login", "/healthz"}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if rule.endpoint.startswith("api."):  # token auth, JSON 401: tests/integration/test_api.py
            continue
        response = client.get(rule.rule)
        if rule.rule in public:
            assert response.status_code in (200, 503), rule.rule
        else:
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/login"), rule.rule


def test_open_redirect_after_sign_in_is_refused(client, make_user):
    user = make_user()
    page = client.get("/login?next=https://evil.example/")
    response = client.post("/login?next=https://evil.example/", data={
        "username": user.username, "password": "correct horse battery",
        "csrf_token": csrf_token_from(page)})
    assert response.headers["Location"] == "/"


def test_sign_out_is_recorded(client, make_user):
    user = make_user()
    login(client, user.username)
    page = client.get("/today")
    response = client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert client.get("/today").status_code == 302
    assert len(_events("logout")) == 1


def test_deactivated_user_cannot_sign_in(client, make_user):
    admin = make_user("admin")
    user = make_user()
    accounts.set_active(admin, user, False, "Left the lab")
    assert login(client, user.username).status_code == 200
