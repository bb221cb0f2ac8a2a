"""Server-side sessions (issue 17, defects 2, 3 and 9): a session ends on the server, so a
cookie copied before sign-out, a password change or reset, a role change or deactivation
opens nothing; the idle timeout counts from the sign-in response; sessions have a
lifetime; users see their sessions and end them."""

from datetime import timedelta

import time_machine
from flask import current_app
from sqlalchemy import select

from labtrack.accounts import api_tokens
from labtrack.accounts import users as accounts
from labtrack.accounts.models import UserSession
from labtrack.accounts.users import AccountPolicy
from labtrack.database import utcnow
from labtrack.extensions import db
from tests.helpers import PASSWORD, csrf_token_from, login


def _copy_cookie(app, client):
    """A second browser holding the same session cookie (what an attacker would copy)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_in_twice(app, make_user, role="technician"):
    user = make_user(role)
    owner = app.test_client()
    assert login(owner, user.username).status_code == 302
    return user, owner, _copy_cookie(app, owner)


def test_a_cookie_kept_from_before_sign_out_opens_nothing(app, make_user):
    user, owner, thief = _signed_in_twice(app, make_user)
    assert thief.get("/today").status_code == 200
    owner.post("/logout", data={"csrf_token": csrf_token_from(owner.get("/today"))})
    response = thief.get("/today")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_after_a_password_change_the_old_cookie_cannot_create_an_api_token(app, make_user):
    user, owner, thief = _signed_in_twice(app, make_user)
    page = thief.get("/account/api-tokens")
    assert page.status_code == 200
    changed = owner.post("/account/password", data={
        "csrf_token": csrf_token_from(owner.get("/account/password")),
        "current_password": PASSWORD, "new_password": "another fine password",
        "confirm": "another fine password"})
    assert changed.status_code == 302
    attempt = thief.post("/account/api-tokens", data={"csrf_token": csrf_token_from(page),
                                                      "name": "mine now"})
    assert attempt.status_code == 302 and attempt.headers["Location"].startswith("/login")
    assert api_tokens.tokens_of(user) == []
    assert owner.get("/today").status_code == 200  # the owner's own session goes on


def test_an_admin_reset_role_change_or_deactivation_ends_every_session(app, make_user):
    admin = make_user("admin")
    for action in (
        lambda user: accounts.reset_password(admin, user, "a temporary passphrase",
                                             "Forgotten", AccountPolicy.from_config(app.config)),
        lambda user: accounts.change_role(admin, user, "qa", "Moved to QA"),
        lambda user: accounts.set_active(admin, user, False, "Left the lab"),
    ):
        user, owner, _thief = _signed_in_twice(app, make_user)
        action(user)
        assert owner.get("/account/sessions").status_code == 302


def test_reactivating_an_account_brings_back_no_session_and_no_token(app, make_user):
    admin = make_user("admin")
    user, owner, _thief = _signed_in_twice(app, make_user)
    _token, secret = api_tokens.create_token(user, user, "Counter")
    accounts.set_active(admin, user, False, "On leave")
    accounts.set_active(admin, user, True, "Back from leave")
    assert owner.get("/today").status_code == 302
    headers = {"Authorization": f"Bearer {secret}"}
    assert owner.get("/api/v1/orders", headers=headers).status_code == 401
    assert login(app.test_client(), user.username).status_code == 302  # signing in works


def test_the_idle_timeout_counts_from_the_sign_in_response(app, client, make_user):
    user = make_user()
    login(client, user.username)  # no page viewed after signing in
    idle = timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"] + 1)
    with time_machine.travel(utcnow() + idle, tick=True):
        response = client.get("/today")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "expired after a period of inactivity" in page


def test_a_session_ends_at_its_lifetime_however_active(app, client, make_user):
    user = make_user()
    login(client, user.username)
    hours = current_app.config["SESSION_LIFETIME_HOURS"]
    step = timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"] - 1)
    moment, end = utcnow(), utcnow() + timedelta(hours=hours)
    while moment + step < end:  # a busy day: a page every 29 minutes
        moment += step
        with time_machine.travel(moment, tick=False):
            assert client.get("/today").status_code == 200
    with time_machine.travel(end + timedelta(seconds=1), tick=False):
        assert client.get("/today").status_code == 302
    ended = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert ended.end_reason == "lifetime_reached"


def test_users_see_their_sessions_and_end_one(app, make_user):
    user, laptop, bench = _signed_in_twice(app, make_user)
    other = app.test_client()
    login(other, user.username)  # a second, separate sign-in
    page = laptop.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert html.count('data-testid="session-row"') == 2 and "This session" in html
    mine = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.id)).all()
    laptop.post(f"/account/sessions/{mine[1].id}/end",
                data={"csrf_token": csrf_token_from(page)})
    assert other.get("/today").status_code == 302
    assert laptop.get("/today").status_code == 200
    stranger = make_user()
    login(other, stranger.username)
    refused = other.post(f"/account/sessions/{mine[0].id}/end",
                         data={"csrf_token": csrf_token_from(other.get("/today"))})
    assert refused.status_code == 404 and laptop.get("/today").status_code == 200
