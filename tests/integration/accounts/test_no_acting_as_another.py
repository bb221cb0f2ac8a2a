"""No one acts or e-signs as someone else (issue 17, defect 1): an administrator's reset
is a temporary password that its owner must change before anything else and before any
signature; a token is created only by its owner; every API write names its token."""

import pytest
from flask import current_app
from sqlalchemy import select

from labtrack.accounts import api_tokens, signatures
from labtrack.accounts import users as accounts
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signatures import SignatureRefused
from labtrack.accounts.users import AccountPolicy
from labtrack.audit.capture import Actor
from labtrack.audit.models import AuditEvent
from labtrack.errors import PermissionDenied
from labtrack.extensions import db
from tests import builders
from tests.helpers import csrf_token_from, login

TEMPORARY = "temporary phrase from admin"


def _reset(admin, user):
    accounts.reset_password(admin, user, TEMPORARY, "Forgot the password",
                            AccountPolicy.from_config(current_app.config))


def test_after_an_admin_reset_the_account_must_choose_its_own_password(app, client, make_user):
    admin, qa = make_user("admin"), make_user("qa")
    _reset(admin, qa)
    assert login(client, qa.username, TEMPORARY).status_code == 302
    for page in ("/review", "/account/api-tokens", "/audit"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"] == "/account/password"
    form = client.get("/account/password")
    assert "An administrator reset your password" in form.get_data(as_text=True)
    changed = client.post("/account/password", data={
        "csrf_token": csrf_token_from(form), "current_password": TEMPORARY,
        "new_password": "only the owner knows", "confirm": "only the owner knows"})
    assert changed.status_code == 302
    assert client.get("/review").status_code == 200
    db.session.refresh(qa)
    assert qa.must_change_password is False


def test_an_account_with_a_temporary_password_cannot_e_sign(app, make_user):
    admin, qa = make_user("admin"), make_user("qa")
    _reset(admin, qa)
    with pytest.raises(SignatureRefused, match="reset by an administrator"):
        signatures.sign(qa, TEMPORARY, Meaning.VERIFIED, "culture_step", 1, {"x": 1},
                        AccountPolicy.from_config(current_app.config),
                        Actor(qa.id, qa.username))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign")) is None


def test_an_admin_cannot_create_a_token_for_another_account(app, client, make_user):
    admin, tech = make_user("admin"), make_user("technician")
    with pytest.raises(PermissionDenied):
        api_tokens.create_token(admin, tech, "Counter")
    login(client, admin.username)
    page = client.get("/admin/api-tokens")
    client.post("/admin/api-tokens", data={"csrf_token": csrf_token_from(page),
                                           "user_id": tech.id, "name": "Counter"})
    assert api_tokens.tokens_of(tech) == []


def test_every_api_write_names_its_token_in_the_audit_trail(app, client, make_user):
    tech = builders.user("technician")
    batch = builders.seeded_batch(technician=tech)
    token, secret = api_tokens.create_token(tech, tech, "Counter in room 2")
    response = client.post(f"/api/v1/batches/{batch.batch_number}/counts",
                           headers={"Authorization": f"Bearer {secret}"},
                           json={"viable_cells": 2_400_000, "dead_cells": 100_000})
    assert response.status_code == 201, response.get_json()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.record_type == "cell_count",
                                                       AuditEvent.action == "create"))
    assert event.api_token_id == token.id and event.user_id == tech.id
    qa = make_user("qa")
    login(client, qa.username)
    trail = client.get(f"/audit/history/cell_count/{event.record_id}")
    assert trail.status_code == 200
    assert f"API token #{token.id}" in trail.get_data(as_text=True)
    typed = builders.count(batch, 2_500_000, dead=100_000, technician=tech)
    by_hand = db.session.scalar(select(AuditEvent).where(
        AuditEvent.record_type == "cell_count", AuditEvent.record_id == str(typed.id)))
    assert by_hand.api_token_id is None
