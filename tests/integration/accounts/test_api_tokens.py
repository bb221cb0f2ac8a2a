"""Personal API tokens: shown once, stored hashed, revoked by the owner or an administrator."""

import pytest
from sqlalchemy import select

from labtrack.accounts import api_tokens
from labtrack.accounts import users as accounts
from labtrack.accounts.models import ApiToken
from labtrack.audit.capture import ReasonRequired
from labtrack.audit.models import AuditEvent
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from tests import builders
from tests.helpers import csrf_token_from, login


def test_a_token_is_shown_once_and_stored_only_as_its_hash(app):
    user = builders.user("technician")
    token, secret = api_tokens.create_token(user, user, "Cell counter 2")
    assert secret.startswith("lt_") and len(secret) > 40
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert stored.token_hash == api_tokens.token_hash(secret) != secret
    assert stored.prefix == secret[:11]
    trail = db.session.scalars(select(AuditEvent.changes).where(
        AuditEvent.record_type == "api_token")).all()
    assert trail and all(secret not in changes and stored.token_hash not in changes
                         for changes in trail)
    assert api_tokens.authenticate(secret) == (user, stored)
    assert stored.last_used_at is not None


@pytest.mark.parametrize("secret", ["", "lt_", "nonsense", "lt_" + "x" * 300, None])
def test_unknown_tokens_do_not_authenticate(app, secret):
    assert api_tokens.authenticate(secret) is None


def test_a_revoked_token_or_a_deactivated_account_stops_working(app):
    admin, user = builders.user("admin"), builders.user("clinician")
    token, secret = api_tokens.create_token(user, user, "EHR")
    other, other_secret = api_tokens.create_token(user, user, "Second system")
    api_tokens.revoke_token(user, token)
    assert api_tokens.authenticate(secret) is None
    with pytest.raises(ServiceError, match="already revoked"):
        api_tokens.revoke_token(user, token)
    accounts.set_active(admin, user, False, "Left the hospital")
    assert api_tokens.authenticate(other_secret) is None


def test_only_the_owner_or_an_admin_manages_a_token(app):
    owner, stranger, admin = (builders.user("clinician"), builders.user("clinician"),
                              builders.user("admin"))
    token, _secret = api_tokens.create_token(owner, owner, "EHR")
    for not_the_owner in (stranger, admin):  # a token acts as its owner: only they create it
        with pytest.raises(PermissionDenied):
            api_tokens.create_token(not_the_owner, owner, "Mine now")
    with pytest.raises(PermissionDenied):
        api_tokens.revoke_token(stranger, token)
    with pytest.raises(ReasonRequired):
        api_tokens.revoke_token(admin, token)
    api_tokens.revoke_token(admin, token, "Token leaked in an e-mail")
    reasons = db.session.scalars(select(AuditEvent.reason).where(
        AuditEvent.record_type == "api_token", AuditEvent.action == "update")).all()
    assert reasons == ["Token leaked in an e-mail"]


def test_a_token_needs_a_name(app):
    user = builders.user("qa")
    with pytest.raises(ServiceError) as refused:
        api_tokens.create_token(user, user, "  ")
    assert refused.value.field == "name"


def test_the_tokens_page_creates_shows_once_and_revokes(app, client, make_user):
    user = make_user("technician")
    login(client, user.username)
    page = client.get("/account/api-tokens")
    created = client.post("/account/api-tokens", data={
        "csrf_token": csrf_token_from(page), "name": "Counter in room 2"})
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and 'data-testid="token-secret"' in html
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    again = client.get("/account/api-tokens").get_data(as_text=True)
    assert 'data-testid="token-secret"' not in again and token.prefix in again
    client.post(f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token_from(page)})
    db.session.refresh(token)
    assert token.revoked_at is not None


def test_admins_manage_every_token_and_others_cannot(app, client, make_user):
    admin, tech = make_user("admin"), make_user("technician")
    token, _secret = api_tokens.create_token(tech, tech, "Counter")
    login(client, admin.username)
    page = client.get("/admin/api-tokens")
    assert page.status_code == 200 and "Counter" in page.get_data(as_text=True)
    created = client.post("/admin/api-tokens", data={
        "csrf_token": csrf_token_from(page), "user_id": tech.id, "name": "Counter 2"})
    assert created.status_code == 405  # administrators revoke tokens; they never create one
    assert api_tokens.tokens_of(tech) == [token]
    client.post(f"/api-tokens/{token.id}/revoke?from=admin", data={
        "csrf_token": csrf_token_from(page), "reason": "Counter replaced"})
    db.session.refresh(token)
    assert token.revoked_at is not None
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    login(client, make_user("clinician").username)
    assert client.get("/admin/api-tokens").status_code == 403
    other = api_tokens.tokens_of(tech)[0]
    page = client.get("/account/api-tokens")
    assert client.post(f"/api-tokens/{other.id}/revoke",
                       data={"csrf_token": csrf_token_from(page)}).status_code == 404
