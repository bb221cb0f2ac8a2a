"""Glue between the signature form, the session and the signing service."""

from __future__ import annotations

from flask import current_app, session
from flask_login import current_user

from labtrack.accounts import signatures
from labtrack.accounts.models import Signature
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signature_form import SignatureForm
from labtrack.accounts.signatures import Signer
from labtrack.accounts.users import AccountPolicy
from labtrack.audit.capture import Actor
from labtrack.web.security import client_addr

SIGNED_IN_SESSION = "has_signed"


def first_signature_in_session() -> bool:
    return not session.get(SIGNED_IN_SESSION)


def signature_form(form_class: type[SignatureForm] = SignatureForm, **kwargs) -> SignatureForm:
    """A form with the signing step; it asks for the user name only at the session's first
    signature."""
    form = form_class(**kwargs)
    if not first_signature_in_session():
        del form.sign_username
    return form


def form_signer(form: SignatureForm, meaning: Meaning) -> Signer:
    """The signing step a use case calls: sign as the current user with the form's
    credentials, once the use case has checked everything else."""
    return lambda record_type, record_id, content: sign_from_form(
        form, meaning, record_type, record_id, content)


def sign_from_form(form: SignatureForm, meaning: Meaning, record_type: str, record_id,
                   content: dict) -> Signature:
    """Sign as the current user with the form's credentials (the caller commits)."""
    signature = signatures.sign(
        current_user, form.sign_password.data, meaning, record_type, record_id, content,
        AccountPolicy.from_config(current_app.config),
        Actor(current_user.id, current_user.username, client_addr()),
        username=form.sign_username.data if form.sign_username is not None else None,
        username_required=first_signature_in_session(),
    )
    session[SIGNED_IN_SESSION] = True
    return signature
