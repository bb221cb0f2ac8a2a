"""``Idempotency-Key``: a client's retry of an API write records once.

A client that sends a write (POST) and gets no answer (a timeout, a dropped connection)
cannot know whether it was recorded; sending it again would record a second count. With
an ``Idempotency-Key`` header (any unique text the client chooses, e.g. a UUID), the first
request claims the key for its user (a unique row, committed before the view runs) and
its answer is kept. The same key again, with the same request, gets that answer back
(``Idempotent-Replayed: true``) and records nothing; with another request it is refused
(422, ``idempotency_key_reused``); while the first is still running, 409
(``request_in_progress``). Keys are per user. An answer of the server failing (5xx)
releases the key, so the same request may be tried again. Without the header a write
behaves as before. The pattern is that of the IETF draft "The Idempotency-Key HTTP
Header Field" and of payment APIs.
"""

from __future__ import annotations

import hashlib
import re

from flask import Blueprint, Response, g, request
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from labtrack.api.models import IdempotentRequest
from labtrack.database import utcnow
from labtrack.extensions import db

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces


class KeyRefused(Exception):
    """A key that cannot be used: (status, stable code, message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def register(bp: Blueprint) -> None:
    """Claim the key before a write runs (after authentication), keep its answer after."""
    bp.before_request(claim)
    bp.after_request(settle)


def _digest(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def claim() -> Response | None:
    """The first request with a key claims it; a repeat gets the first answer back."""
    key = request.headers.get(HEADER)
    user = g.get("api_user")
    if request.method != "POST" or key is None or user is None:
        return None
    if not KEY.fullmatch(key):
        raise KeyRefused(400, "invalid_idempotency_key", _(
            "The Idempotency-Key header must be 1 to 255 printable characters without spaces."))
    fingerprint = _digest(b"\n".join((request.method.encode(), request.full_path.encode(),
                                      request.get_data())))
    claimed = IdempotentRequest(user_id=user.id, key_hash=_digest(key.encode()),
                                request_hash=fingerprint, path=request.path[:500],
                                received_at=utcnow())
    db.session.add(claimed)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _replay(user.id, key, fingerprint)
    g.idempotent_request_id = claimed.id
    return None


def _replay(user_id: int, key: str, fingerprint: str) -> Response:
    first = db.session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.user_id == user_id,
        IdempotentRequest.key_hash == _digest(key.encode())))
    if first is None:  # released meanwhile (the first failed): the client may retry
        raise KeyRefused(409, "request_in_progress", _(
            "A request with this Idempotency-Key failed just now; send it again."))
    if first.request_hash != fingerprint:
        raise KeyRefused(422, "idempotency_key_reused", _(
            "This Idempotency-Key was used for a different request; use a new key for a "
            "new request."))
    if first.status is None:
        raise KeyRefused(409, "request_in_progress", _(
            "A request with this Idempotency-Key is still being processed; try again "
            "shortly."))
    response = Response(first.body, status=first.status, content_type=first.content_type)
    if first.location:
        response.headers["Location"] = first.location
    response.headers[REPLAYED] = "true"
    return response


def settle(response: Response) -> Response:
    """Keep the first request's answer; release the key if the server failed."""
    claimed_id = g.pop("idempotent_request_id", None)
    if claimed_id is None:
        return response
    db.session.rollback()  # the view has committed what it recorded, or nothing
    if response.status_code >= 500:
        db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.id == claimed_id))
    else:
        db.session.execute(update(IdempotentRequest).where(IdempotentRequest.id == claimed_id)
                           .values(status=response.status_code,
                                   content_type=response.content_type,
                                   body=response.get_data(as_text=True),
                                   location=(response.headers.get("Location") or "")[:500]
                                   or None))
    db.session.commit()
    return response
