"""The reusable electronic-signature step."""

import pytest
from flask import render_template_string
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from labtrack.accounts import signatures
from labtrack.accounts.models import Signature
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signatures import SignatureRefused
from labtrack.accounts.signing import sign_from_form, signature_form
from labtrack.accounts.users import AccountPolicy
from labtrack.audit import capture as audit
from labtrack.audit.capture import Actor
from labtrack.audit.models import AuditEvent
from labtrack.errors import ServiceError
from labtrack.extensions import db
from tests.helpers import PASSWORD, csrf_token_from

CONTENT = {"batch": "LT-26-0001", "verdict": "conforms"}


def _sign(app, user, password=PASSWORD, **kwargs):
    return signatures.sign(user, password, Meaning.REVIEWED, "user_account", user.id, CONTENT,
                           AccountPolicy.from_config(app.config),
                           Actor(user.id, user.username, "127.0.0.1"), **kwargs)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_signature_records_who_when_meaning_and_a_hash(app, make_user):
    user = make_user("qa", full_name="Carmen Navarro")
    signature = _sign(app, user)
    db.session.commit()
    assert signature.printed_name == "Carmen Navarro"
    assert signature.meaning == "reviewed"
    assert signature.signed_at.utcoffset().total_seconds() == 0
    assert signatures.is_intact(signature, CONTENT)
    assert not signatures.is_intact(signature, {**CONTENT, "verdict": "fails"})
    assert signatures.signatures_for("user_account", user.id) == [signature]
    sign_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign")).one()
    assert sign_event.record_id == str(user.id) and '"meaning":"reviewed"' in sign_event.changes


def test_a_wrong_password_records_no_signature_and_counts_towards_lockout(app, make_user):
    user = make_user("qa")
    with pytest.raises(SignatureRefused, match="Wrong password"):
        _sign(app, user, password="not my password")
    assert _count(Signature) == 0
    db.session.refresh(user)
    assert user.failed_login_count == 1
    for _ in range(app.config["LOCKOUT_THRESHOLD"] - 1):
        with pytest.raises(SignatureRefused):
            _sign(app, user, password="not my password")
    db.session.refresh(user)
    assert user.locked_until is not None
    with pytest.raises(SignatureRefused, match="locked"):
        _sign(app, user)  # even the right password, while locked
    assert _count(Signature) == 0


def test_a_failed_signature_discards_the_pending_change(app, make_user):
    admin = make_user("admin")
    user = make_user("qa")
    with audit.reason(db.session, "Would be signed"):
        user.full_name = "Changed Name"
        with pytest.raises(SignatureRefused):
            _sign(app, admin, password="wrong")
    db.session.refresh(user)
    assert user.full_name != "Changed Name"


def test_the_first_signature_in_a_session_needs_the_user_name(app, make_user):
    user = make_user("qa")
    with pytest.raises(SignatureRefused, match="user name"):
        _sign(app, user, username="someone-else", username_required=True)
    assert _count(Signature) == 0
    assert _sign(app, user, username=user.username.upper(), username_required=True)


def test_a_signature_cannot_be_moved(app, make_user):
    user = make_user("qa")
    other = make_user("qa")
    signature = _sign(app, user)
    db.session.commit()
    with audit.reason(db.session, "Move it"):
        signature.signer_id = other.id
        with pytest.raises(ServiceError, match="never be changed"):
            db.session.flush()
    db.session.rollback()
    with pytest.raises(DBAPIError, match="never be changed"):
        db.session.execute(text("UPDATE signature SET record_id = '999'"))
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM signature"))
    db.session.rollback()
    assert db.session.get(Signature, signature.id).record_id == str(user.id)


@pytest.fixture
def signing_app(app):
    """A throwaway page that uses the reusable signing step, as later features do."""

    def page():
        form = signature_form()
        if form.validate_on_submit():
            try:
                sign_from_form(form, Meaning.REVIEWED, "demo", "1", CONTENT)
            except SignatureRefused as error:
                db.session.rollback()
                return error.message, 400
            db.session.commit()
            return "signed"
        return render_template_string(
            '{% from "_macros/signature.html" import sign_fields %}'
            '<form method="post">{{ form.hidden_tag() }}'
            '{{ sign_fields(form, "Reviewed", "Me") }}</form>', form=form)

    app.add_url_rule("/sign-demo", "sign_demo", page, methods=["GET", "POST"])
    return app


def test_the_signing_step_in_a_session(signing_app, signed_in):
    client, user = signed_in("qa")
    first = client.get("/sign-demo").get_data(as_text=True)
    assert 'name="sign_username"' in first and "Reviewed" in first
    refused = client.post("/sign-demo", data={
        "csrf_token": csrf_token_from(client.get("/sign-demo")),
        "sign_username": user.username, "sign_password": "wrong", "sign_confirm": "y"})
    assert refused.status_code == 400
    assert _count(Signature) == 0
    unconfirmed = client.post("/sign-demo", data={
        "csrf_token": csrf_token_from(client.get("/sign-demo")),
        "sign_username": user.username, "sign_password": PASSWORD})
    assert "Tick the box to confirm." in unconfirmed.get_data(as_text=True)
    signed = client.post("/sign-demo", data={
        "csrf_token": csrf_token_from(client.get("/sign-demo")),
        "sign_username": user.username, "sign_password": PASSWORD, "sign_confirm": "y"})
    assert signed.get_data(as_text=True) == "signed"
    later = client.get("/sign-demo").get_data(as_text=True)
    assert 'name="sign_username"' not in later and 'name="sign_password"' in later
    again = client.post("/sign-demo", data={"csrf_token": csrf_token_from(client.get("/sign-demo")),
                                            "sign_password": PASSWORD, "sign_confirm": "y"})
    assert again.get_data(as_text=True) == "signed"
    assert _count(Signature) == 2
