"""The AEMPS personalised authorisation: does it cover the treatment, today?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class AuthorisationInput:
    """The AEMPS authorisation; valid through ``expires_on`` when one is given."""

    reference: str | None
    granted_on: date | None
    disc_levels: tuple[str, ...]
    expires_on: date | None = None


@dataclass(frozen=True)
class AuthorisationProblem:
    """Why an authorisation does not allow the treatment: code, English message, params."""

    code: str
    message: str
    params: dict = field(default_factory=dict)


def _key(level: str) -> str:
    return level.strip().upper()


def authorisation_problems(auth: AuthorisationInput | None, ordered_levels: Iterable[str],
                           today: date) -> list[AuthorisationProblem]:
    """Empty when the authorisation is recorded, covers every level and has not expired."""
    if auth is None or not (auth.reference or "").strip() or auth.granted_on is None:
        return [AuthorisationProblem("authorisation.missing",
                                     "No authorisation is recorded for this treatment")]
    covered = {_key(level) for level in auth.disc_levels}
    problems = [
        AuthorisationProblem(
            "authorisation.level_not_covered",
            f"Authorisation {auth.reference} does not cover disc level {level}",
            {"reference": auth.reference, "level": level})
        for level in ordered_levels if _key(level) not in covered
    ]
    if auth.granted_on > today:
        problems.append(AuthorisationProblem(
            "authorisation.not_yet_granted",
            f"Authorisation {auth.reference} is dated in the future ({auth.granted_on})",
            {"reference": auth.reference, "granted_on": auth.granted_on.isoformat()}))
    if auth.expires_on is not None and today > auth.expires_on:
        problems.append(AuthorisationProblem(
            "authorisation.expired",
            f"Authorisation {auth.reference} expired on {auth.expires_on.isoformat()}",
            {"reference": auth.reference, "expires_on": auth.expires_on.isoformat()}))
    return problems
