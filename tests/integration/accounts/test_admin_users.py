"""Administrators manage accounts; accounts are never deleted."""

from sqlalchemy import func, select

from labtrack.accounts.models import User
from labtrack.audit.models import AuditEvent
from labtrack.extensions import db
from tests.helpers import csrf_token_from, login


def _post(client, url, data, page_url):
    token = csrf_token_from(client.get(page_url))
    return client.post(url, data={**data, "csrf_token": token})


def test_admin_creates_an_account_that_can_sign_in(signed_in, app):
    client, _ = signed_in("admin")
    response = _post(client, "/admin/users/new", {
        "username": "maria", "full_name": "María López", "role": "qa",
        "password": "a long enough password"}, "/admin/users/new")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "maria"))
    assert user.role == "qa" and user.password_hash.startswith("pbkdf2:")
    assert "a long enough password" not in user.password_hash
    other = app.test_client()
    assert login(other, "maria", "a long enough password").status_code == 302


def test_short_password_and_duplicate_user_name_are_refused(signed_in, make_user):
    client, _ = signed_in("admin")
    make_user("qa", username="taken")
    before = db.session.scalar(select(func.count()).select_from(User))
    short = _post(client, "/admin/users/new", {"username": "newbie", "full_name": "N",
                                                "role": "qa", "password": "short"},
                  "/admin/users/new")
    assert "Use at least 12 characters." in short.get_data(as_text=True)
    duplicate = _post(client, "/admin/users/new", {"username": "TAKEN", "full_name": "T",
                                                    "role": "qa",
                                                    "password": "a long enough password"},
                      "/admin/users/new")
    assert "That user name is already taken." in duplicate.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_role_change_needs_a_reason_and_is_audited(signed_in, make_user):
    client, _ = signed_in("admin")
    user = make_user("technician")
    page = f"/admin/users/{user.id}"
    refused = _post(client, f"{page}/role", {"role-role": "qa", "role-reason": ""}, page)
    assert refused.status_code == 400
    db.session.refresh(user)
    assert user.role == "technician"

    done = _post(client, f"{page}/role", {"role-role": "qa", "role-reason": "Moved to QA"}, page)
    assert done.status_code == 302
    db.session.refresh(user)
    assert user.role == "qa"
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "user_account", AuditEvent.record_id == str(user.id),
        AuditEvent.action == "update")).one()
    assert event.reason == "Moved to QA"
    assert '"role":["technician","qa"]' in event.changes


def test_password_reset_unlocks_and_is_redacted_in_the_audit_trail(signed_in, make_user, app):
    client, _ = signed_in("admin")
    user = make_user("clinician")
    other = app.test_client()
    app.config["SIGN_IN_LIMITS_PER_ACCOUNT"] = app.config["SIGN_IN_LIMITS_PER_CLIENT"] = \
        "1000 per minute"  # throttling is tested on its own; here, reach the lockout
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        login(other, user.username, "wrong password 123")
    page = f"/admin/users/{user.id}"
    response = _post(client, f"{page}/password", {
        "password-password": "brand new password 1", "password-reason": "Locked out"}, page)
    assert response.status_code == 302
    assert login(other, user.username, "brand new password 1").status_code == 302
    changes = db.session.scalars(select(AuditEvent.changes).where(
        AuditEvent.action == "update", AuditEvent.record_id == str(user.id))).one()
    assert "[redacted]" in changes and "pbkdf2" not in changes


def test_deactivation_keeps_the_account(signed_in, make_user, app):
    client, admin = signed_in("admin")
    user = make_user("qa")
    page = f"/admin/users/{user.id}"
    response = _post(client, f"{page}/active?activate=0", {"active-reason": "Left"}, page)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_active_account is False
    assert db.session.get(User, user.id) is not None
    assert login(app.test_client(), user.username).status_code == 200


def test_admin_cannot_deactivate_themself(signed_in):
    client, admin = signed_in("admin")
    page = f"/admin/users/{admin.id}"
    response = _post(client, f"{page}/active?activate=0", {"active-reason": "oops"}, page)
    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)


def test_unknown_user_is_404(signed_in):
    client, _ = signed_in("admin")
    assert client.get("/admin/users/99999").status_code == 404


def test_password_change_by_owner(signed_in, app):
    client, user = signed_in("technician")
    response = _post(client, "/account/password", {
        "current_password": "correct horse battery", "new_password": "another fine password",
        "confirm": "another fine password"}, "/account/password")
    assert response.status_code == 302
    assert login(app.test_client(), user.username, "another fine password").status_code == 302
