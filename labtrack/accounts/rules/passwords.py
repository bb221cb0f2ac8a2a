"""Password rules beyond length: no names in it, not common or easy to guess.

The guessability comes from zxcvbn, which ships its lists of common passwords, words and
names and recognises keyboard runs, sequences, dates and l33t substitutions.
"""

from __future__ import annotations

import re
import unicodedata

from zxcvbn import zxcvbn

# zxcvbn's score: 0 too guessable … 4 very unguessable. 3 resists an offline attack on a
# slow hash (about 10^10 guesses).
MIN_SCORE = 3
ZXCVBN_MAX_LENGTH = 72  # the estimator refuses longer input; a longer password is not weak
MIN_NAME_PART = 3  # shorter parts (initials, "qa") are too common inside words to refuse


def _plain(text: str) -> str:
    """Lower case without accents, so LUCÍA and lucia compare equal."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def name_parts(username: str, full_name: str) -> list[str]:
    """The user name and each word of the person's name, as compared with a password."""
    parts = [_plain(username)] + re.split(r"[^\w]+|_", _plain(full_name))
    return [part for part in parts if len(part) >= MIN_NAME_PART]


def password_problems(password: str, username: str = "", full_name: str = "") -> set[str]:
    """What is wrong with a password: ``names`` (holds the user's name), ``common``."""
    problems = set()
    plain = _plain(password)
    parts = name_parts(username, full_name)
    if any(part in plain for part in parts):
        problems.add("names")
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=parts)
    if result["score"] < MIN_SCORE:
        problems.add("common")
    return problems
