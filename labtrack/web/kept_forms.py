"""Typed values that survive an idle timeout: a form posted after the session ended is
kept, and after the same person signs in again its page comes back filled in.

Nothing is recorded from the expired post: the person checks the values and submits
again (with a fresh form, so it records once). Passwords and the form's security tokens
are never kept; the values live in the signed session cookie, for that one page and that
one person, and are dropped once shown or when someone else signs in.
"""

from __future__ import annotations

from flask import request, session

KEPT_FORM = "kept_form"
MAX_KEPT_CHARS = 3000  # a bench form is a few hundred characters; the cookie stays small
NEVER_KEPT = ("csrf_token", "password", "token")


def _keepable(name: str) -> bool:
    lowered = name.lower()
    return not any(word in lowered for word in NEVER_KEPT)


def keep_typed_values(user_id: int) -> None:
    """Keep what this (expired) post was sending, for ``user_id``'s next sign-in."""
    values = [[name, value] for name, value in request.form.items(multi=True)
              if _keepable(name)]
    if not values or sum(len(name) + len(value) for name, value in values) > MAX_KEPT_CHARS:
        return
    session[KEPT_FORM] = {"path": request.path, "user_id": user_id, "values": values}


def keep_for_user(kept: dict | None, user_id: int) -> None:
    """Carry kept values over a sign-in, if they are this user's."""
    if kept and kept.get("user_id") == user_id:
        session[KEPT_FORM] = kept


def kept_values() -> list | None:
    """The values kept for this page, once (the page fills its form with them)."""
    kept = session.get(KEPT_FORM)
    if not kept or kept.get("path") != request.path or request.method != "GET":
        return None
    session.pop(KEPT_FORM)
    return kept["values"]
