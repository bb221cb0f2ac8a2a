"""The one reusable signing step: re-authenticate, bind the signature to its record."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.accounts import users as accounts
from labtrack.accounts.models import Signature, User
from labtrack.accounts.rules.signatures import Meaning, signature_hash
from labtrack.accounts.users import AccountPolicy
from labtrack.audit import capture as audit
from labtrack.audit.capture import Actor
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db

# How a use case gets a signature: sign(record_type, record_id, content) -> Signature. The
# use case checks what it must first, then signs, so a refused step leaves no signature.
Signer = Callable[[str, object, dict], Signature]


class SignatureRefused(ServiceError):
    """The signer could not be re-authenticated; nothing was signed."""


def sign(signer: User, password: str, meaning: Meaning | str, record_type: str,
         record_id: object, content: dict, policy: AccountPolicy, actor: Actor,
         username: str | None = None, username_required: bool = False) -> Signature:
    """Sign a record as ``signer`` after re-entering credentials; flushes, does not commit.

    The first signature in a session needs the user name too. A failed attempt
    discards the pending use case, records the failure (it counts towards the
    lockout), commits that, and raises SignatureRefused.
    """
    meaning = Meaning(meaning)
    if signer.must_change_password:  # an administrator's temporary password: not theirs
        db.session.rollback()
        raise SignatureRefused(_("Your password was reset by an administrator: choose your "
                                 "own password (Account, Change password) before signing. "
                                 "Nothing was signed."), field="password")
    problem = _credential_problem(signer, password, username, username_required)
    if problem:
        _refuse(signer.id, policy, actor, problem)
    signer.failed_login_count = 0
    signed_at = utcnow()
    signature = Signature(
        signer_id=signer.id, printed_name=signer.full_name, meaning=meaning.value,
        signed_at=signed_at, record_type=record_type, record_id=str(record_id),
        content_hash=signature_hash(record_type, str(record_id), meaning.value, signer.id,
                                    signer.full_name, signed_at, content),
    )
    db.session.add(signature)
    db.session.flush()
    audit.record_event(db.session, "sign", record_type, record_id,
                       {"meaning": meaning.value, "signature_id": signature.id,
                        "printed_name": signer.full_name}, actor=actor)
    return signature


def _credential_problem(signer: User, password: str, username: str | None,
                        username_required: bool) -> str | None:
    if username_required and (username or "").strip().lower() != signer.username.lower():
        return _("The user name does not match the signed-in user: nothing was signed.")
    if accounts.is_locked(signer) or not signer.is_active_account:
        return _("This account is locked: nothing was signed.")
    if not accounts.password_matches(signer, password or ""):
        return _("Wrong password: nothing was signed.")
    return None


def _refuse(signer_id: int, policy: AccountPolicy, actor: Actor, message: str):
    """Discard the pending use case, record the failed attempt, and refuse."""
    db.session.rollback()
    signer = db.session.get(User, signer_id)
    accounts.count_failed_attempt(signer, policy, actor)
    audit.record_event(db.session, "signature_refused", "user_account", signer_id, actor=actor)
    db.session.commit()
    raise SignatureRefused(message, field="password")


def signatures_for(record_type: str, record_id: object) -> list[Signature]:
    """The signatures on one record, oldest first."""
    return list(db.session.scalars(
        select(Signature)
        .where(Signature.record_type == record_type, Signature.record_id == str(record_id))
        .order_by(Signature.signed_at, Signature.id)
    ))


def is_intact(signature: Signature, content: dict) -> bool:
    """True when the signature still matches the content it was given."""
    return signature.content_hash == signature_hash(
        signature.record_type, signature.record_id, signature.meaning, signature.signer_id,
        signature.printed_name, signature.signed_at, content)
