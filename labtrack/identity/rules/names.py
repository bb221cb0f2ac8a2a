"""Patient names compared as hospitals write them: case, accents and punctuation aside.

A tube may read ``LOPEZ GARCIA, CARMEN`` for LÓPEZ GARCÍA, Carmen (labels printed without
accents, in capitals): the same person. Letters are compared after Unicode decomposition
(NFKD) with their accents dropped and case folded; punctuation separates words. Record
numbers are not names: they are compared exactly.
"""

from __future__ import annotations

import unicodedata


def name_words(text: str | None) -> list[str]:
    """The words of a name, without accents, case or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(char if char.isalnum() else " " for char in plain.casefold()).split()


def carries_name(label: str | None, family_name: str) -> bool:
    """True when the label's words include the family name's words, in order, together."""
    words, wanted = name_words(label), name_words(family_name)
    if not wanted:
        return False
    return any(words[start:start + len(wanted)] == wanted
               for start in range(len(words) - len(wanted) + 1))


def same_record_number(label: str | None, record_number: str) -> bool:
    """Record numbers compared character for character: only the spaces around them and
    the case of their letters (stored in capitals) are set aside, never a digit or a mark."""
    return (label or "").strip().upper() == record_number.strip().upper()
