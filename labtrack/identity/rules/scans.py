"""What a scanner reads from a label, read strictly: which ISBT 128 data structure it is.

The structures LabTrack prints and reads (ISBT 128 ST-001):

=============  ===================  ==========================  ======
structure      data identifier      content                     length
=============  ===================  ==========================  ======
001 DIN        ``=`` + α            ``αppppyynnnnnnff``          16
003 product    ``=<``               ``αoooo t ds``               10
005 expiry     ``&>``               ``cyyjjjhhmm``               12
023 compound   ``=+``               ``aabbb`` + aa structures    7 + …
=============  ===================  ==========================  ======

A scan that starts with ``=`` or ``&`` is ISBT 128 data and must be exactly one of these,
of exactly its length; anything else is typed text (a dose code, a record number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from labtrack.identity.rules.isbt128 import (
    DIN_IDENTIFIER,
    EXPIRY_IDENTIFIER,
    PRODUCT_CODE_IDENTIFIER,
    Din,
    Isbt128Error,
    parse_din,
    parse_product_code,
)

COMPOUND_IDENTIFIER = "=+"
COMPOUND_HEADER_LENGTH = 7  # =+ aa bbb
NO_SPECIFIED_SEQUENCE = "000"
LENGTHS = {"din": 16, "product_code": 10, "expiry": 12}
_EXPIRY = re.compile(r"&>[0-9]{10}")
_DIN_SECOND = re.compile(r"[A-NP-Z1-9]")


class ScanError(Isbt128Error):
    """A scan that is ISBT 128 data but not a structure LabTrack can use, or malformed.

    ``code``: "unknown_structure", "length", "compound_header", "compound_count",
    "compound_structure", "repeated_structure", or a DIN or product code error's code.
    """


class ScanKind(StrEnum):
    DIN = "din"
    PRODUCT_CODE = "product_code"
    EXPIRY = "expiry"
    COMPOUND = "compound"
    TEXT = "text"


@dataclass(frozen=True)
class Scan:
    """One scan, as read: its kind and the values it carries."""

    kind: ScanKind
    text: str
    din: Din | None = None
    product_code: str | None = None
    expiry: str | None = None  # the DS005 data as printed, ``&>cyyjjjhhmm``


def structure_of(text: str) -> str | None:
    """Which structure ``text`` starts with ("din", "product_code", "expiry", "compound"),
    or None when it is not ISBT 128 data at all."""
    if text.startswith(COMPOUND_IDENTIFIER):
        return "compound"
    if text.startswith(PRODUCT_CODE_IDENTIFIER):
        return "product_code"
    if text.startswith(EXPIRY_IDENTIFIER):
        return "expiry"
    if text.startswith(DIN_IDENTIFIER) and _DIN_SECOND.fullmatch(text[1:2]):
        return "din"
    return None


def read_scan(text: str | None) -> Scan:
    """Read one scan; raises ``ScanError`` (or ``DinError``) for ISBT 128 data it cannot use."""
    scanned = (text or "").strip()
    structure = structure_of(scanned)
    if structure is None:
        if scanned[:1] in ("=", "&"):
            raise ScanError(f"{scanned[:2]!r} starts an ISBT 128 data structure LabTrack does "
                            "not read here.", "unknown_structure")
        return Scan(ScanKind.TEXT, scanned)
    if structure == "compound":
        return _read_compound(scanned)
    return _single(structure, scanned)


def _single(structure: str, data: str) -> Scan:
    if len(data) != LENGTHS[structure]:
        raise ScanError(f"This {structure.replace('_', ' ')} scan has {len(data)} characters; "
                        f"it must have {LENGTHS[structure]}.", "length")
    if structure == "din":
        return Scan(ScanKind.DIN, data, din=parse_din(data))
    if structure == "product_code":
        return Scan(ScanKind.PRODUCT_CODE, data, product_code=parse_product_code(data))
    if not _EXPIRY.fullmatch(data):
        raise ScanError("An expiry scan is &> followed by 10 digits.", "length")
    return Scan(ScanKind.EXPIRY, data, expiry=data)


def _read_compound(data: str) -> Scan:
    header = data[:COMPOUND_HEADER_LENGTH]
    if not re.fullmatch(r"=\+[0-9]{5}", header):
        raise ScanError("A compound message starts =+ with 2 digits (how many structures) "
                        "and 3 digits (000).", "compound_header")
    expected, parts, rest = int(header[2:4]), [], data[COMPOUND_HEADER_LENGTH:]
    while rest:
        structure = structure_of(rest)
        if structure not in LENGTHS:
            raise ScanError(f"The compound message holds {rest[:2]!r}, which is not a DIN, "
                            "product code or expiry.", "compound_structure")
        parts.append(_single(structure, rest[:LENGTHS[structure]]))
        rest = rest[LENGTHS[structure]:]
    if len(parts) != expected:
        raise ScanError(f"The compound message announces {expected} structures but holds "
                        f"{len(parts)}.", "compound_count")
    kinds = [part.kind for part in parts]
    if len(set(kinds)) != len(kinds):
        raise ScanError("The compound message holds the same structure twice.",
                        "repeated_structure")
    found = {part.kind: part for part in parts}
    return Scan(ScanKind.COMPOUND, data,
                din=getattr(found.get(ScanKind.DIN), "din", None),
                product_code=getattr(found.get(ScanKind.PRODUCT_CODE), "product_code", None),
                expiry=getattr(found.get(ScanKind.EXPIRY), "expiry", None))


def compound_message(*structures: str) -> str:
    """Data structure 023: ``=+`` + how many structures follow + ``000`` + the structures.

    Each must be a DIN, product code or expiry structure, whole; the result reads back.
    """
    for structure in structures:
        kind = structure_of(structure)
        if kind not in LENGTHS:
            raise ScanError(f"{structure[:2]!r} cannot go in a compound message.",
                            "compound_structure")
        _single(kind, structure)
    message = (f"{COMPOUND_IDENTIFIER}{len(structures):02d}{NO_SPECIFIED_SEQUENCE}"
               + "".join(structures))
    read_scan(message)
    return message
