"""ISBT 128 identifiers: the DIN with its check character and flags, product code, expiry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
DIN_LENGTH = 13
NO_FLAGS = "00"
CHECK_FLAGS_BASE = 60  # flags 60-96 carry the Mod 37-2 check value as 60 + value
DIN_IDENTIFIER = "="
PRODUCT_CODE_IDENTIFIER = "=<"
EXPIRY_IDENTIFIER = "&>"
CELLULAR_THERAPY_PREFIX = "S"
AUTOLOGOUS_USE_ONLY = "1"
DIVISIONS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_FACILITY = re.compile(r"[A-NP-Z1-9][0-9]{4}")
_YEAR = re.compile(r"[0-9]{2}")
_SEQUENCE = re.compile(r"[0-9]{6}")
_FLAGS = re.compile(r"[0-9A-HJ-NPR-Y]{2}")
# αoooo (product description code), t (collection type), d (upper case), s (lower case).
_PRODUCT_CODE = re.compile(r"[A-Z][A-Z0-9]{4}[A-Za-z0-9][A-Z0-9][a-z0-9]")


class Isbt128Error(ValueError):
    """An ISBT 128 value that is malformed or fails its check; ``code`` names the problem."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class DinError(Isbt128Error):
    """A Donation Identification Number that cannot be accepted.

    ``code`` is one of "format", "facility", "check_character", "check_flags", "flags".
    """


class ProductCodeError(Isbt128Error):
    """A product code (data structure 003) that is malformed; ``code`` is "format"."""


def mod37_2_value(text: str) -> int:
    """ISO/IEC 7064 Mod 37-2 check value (0-36) of ``text`` (characters 0-9, A-Z, *)."""
    total = 0
    for char in text:
        value = MOD37_ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"{char!r} cannot be part of a Mod 37-2 checked string")
        total = (total + value) * 2 % 37
    return (38 - total) % 37


def mod37_2_character(text: str) -> str:
    """ISO/IEC 7064 Mod 37-2 check character of ``text``."""
    return MOD37_ALPHABET[mod37_2_value(text)]


@dataclass(frozen=True)
class Din:
    """A 13-character ISBT 128 Donation Identification Number, e.g. ``A9999 26 000123``."""

    facility_id: str
    year: str
    sequence: str

    def __post_init__(self):
        if not all(isinstance(part, str) for part in (self.facility_id, self.year, self.sequence)):
            raise DinError("A DIN's parts are text, e.g. Din('A9999', '26', '000123').", "format")
        if not _FACILITY.fullmatch(self.facility_id):
            raise DinError(
                f"Facility identification number {self.facility_id!r} is not valid: it must be "
                "a letter A-Z other than O, or a digit 1-9, followed by 4 digits.",
                "facility",
            )
        if not _YEAR.fullmatch(self.year) or not _SEQUENCE.fullmatch(self.sequence):
            raise DinError("A DIN needs a 2-digit year and a 6-digit sequence number.", "format")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The 13 characters, e.g. ``A999926000123``."""
        return f"{self.facility_id}{self.year}{self.sequence}"

    @property
    def check_value(self) -> int:
        """Mod 37-2 check value (0-36) over the 13 characters."""
        return mod37_2_value(self.text)

    @property
    def check_character(self) -> str:
        """Keyboard-entry check character, printed in a box after the DIN."""
        return MOD37_ALPHABET[self.check_value]

    @property
    def check_flags(self) -> str:
        """The two flag characters carrying the check value (60-96)."""
        return str(CHECK_FLAGS_BASE + self.check_value)

    @property
    def grouped(self) -> str:
        """The eye-readable form ``A9999 26 000123`` (without the check character)."""
        return f"{self.facility_id} {self.year} {self.sequence}"

    @property
    def keyboard_entry(self) -> str:
        """The grouped form followed by the check character, as a person types it."""
        return f"{self.grouped} {self.check_character}"

    @property
    def barcode_data(self) -> str:
        """Data structure 001 for Code 128 and Data Matrix: ``=`` + DIN + check flags."""
        return f"{DIN_IDENTIFIER}{self.text}{self.check_flags}"


def make_din(facility_id: str, year: int, sequence: int) -> Din:
    """A new DIN; ``year`` is the nominal year, two digits or four (2026 → 26)."""
    if isinstance(year, bool) or not isinstance(year, int) or not isinstance(sequence, int):
        raise DinError("Year and sequence number must be whole numbers.", "format")
    if 1000 <= year <= 9999:
        year %= 100
    if not 0 <= year <= 99:
        raise DinError(f"Year {year} is not a 2- or 4-digit year.", "format")
    if not 0 <= sequence <= 999_999:
        raise DinError(f"Sequence number {sequence} does not fit in 6 digits.", "format")
    return Din(facility_id.strip().upper(), f"{year:02d}", f"{sequence:06d}")


def parse_din(text: str) -> Din:
    """Read a DIN as scanned (``=`` + 13 + flags) or typed (13, grouped, or + check character).

    Case and whitespace do not matter. Flags 00 (none) and 01-59 (process control) carry no
    check; flags 60-96 must match the check value. Raises ``DinError`` otherwise.
    """
    compact = "".join(text.split()).upper()
    if compact.startswith(DIN_IDENTIFIER):
        return _parse_barcode_data(compact[len(DIN_IDENTIFIER):])
    if len(compact) == DIN_LENGTH:
        return _din_from_characters(compact)
    if len(compact) == DIN_LENGTH + 1:
        return _parse_with_check_character(compact)
    raise DinError(
        "A DIN is 13 characters, e.g. A9999 26 000123, optionally followed by its check "
        "character; a scanned one starts with '=' and ends with 2 flag characters.",
        "format",
    )


def parse_entered_din(text: str) -> Din:
    """A DIN entered at receipt: scanned (``=`` + 13 + flags), or typed with its check
    character. Thirteen typed characters alone are refused: the check character is what
    catches a mistyped digit (code "check_character_missing")."""
    compact = "".join(text.split()).upper()
    if len(compact) == DIN_LENGTH and not compact.startswith(DIN_IDENTIFIER):
        raise DinError("Type the DIN with its check character (the boxed character printed "
                       "after it), or scan it.", "check_character_missing")
    return parse_din(compact)


def _din_from_characters(characters: str) -> Din:
    if len(characters) != DIN_LENGTH or not characters.isascii() or not characters.isalnum():
        raise DinError("A DIN is 13 letters and digits, e.g. A9999 26 000123.", "format")
    return Din(characters[:5], characters[5:7], characters[7:])


def _parse_with_check_character(compact: str) -> Din:
    din = _din_from_characters(compact[:DIN_LENGTH])
    typed = compact[DIN_LENGTH]
    if typed != din.check_character:
        raise DinError(
            f"Check character {typed} does not match DIN {din.grouped}: please re-enter it.",
            "check_character",
        )
    return din


def _parse_barcode_data(content: str) -> Din:
    if len(content) != DIN_LENGTH + 2:
        raise DinError(
            "Scanned DIN data must be '=' followed by 13 characters and 2 flag characters.",
            "format",
        )
    din = _din_from_characters(content[:DIN_LENGTH])
    _verify_flags(din, content[DIN_LENGTH:])
    return din


def _verify_flags(din: Din, flags: str) -> None:
    if not _FLAGS.fullmatch(flags):
        raise DinError(f"Flag characters {flags!r} are not valid ISBT 128 flags.", "format")
    if not flags.isdigit() or int(flags) > 96:
        raise DinError(f"Flag characters {flags} are reserved and not accepted.", "flags")
    if int(flags) >= CHECK_FLAGS_BASE and flags != din.check_flags:
        raise DinError(
            f"Check flags {flags} do not match DIN {din.grouped} (expected {din.check_flags}): "
            "the label or the scan is wrong.",
            "check_flags",
        )


def expiry_data(moment: datetime, zone: tzinfo | None = None) -> str:
    """Data structure 005, ``&>cyyjjjhhmm``, for an aware time (converted to ``zone`` if given).

    ``cyy`` is the year minus 2000 in three digits, so c is 0 for 2000-2099 (2026 → 026), as
    in ICCBBA's own examples. Seconds are dropped, which never makes the expiry later.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Expiry needs a time zone-aware datetime in the lab's local zone.")
    local = moment.astimezone(zone) if zone is not None else moment
    if not 2000 <= local.year <= 2999:
        raise ValueError(f"Year {local.year} cannot be encoded as an ISBT 128 expiry.")
    day_of_year = local.timetuple().tm_yday
    return f"{EXPIRY_IDENTIFIER}{local.year - 2000:03d}{day_of_year:03d}{local:%H%M}"


def parse_product_code(text: str) -> str:
    """The 8-character product code from ``text``, with or without its ``=<`` identifier.

    Case is kept: the last character (the second division character) is lower case.
    """
    code = "".join(text.split()).removeprefix(PRODUCT_CODE_IDENTIFIER)
    if not _PRODUCT_CODE.fullmatch(code):
        raise ProductCodeError(
            f"Product code {code!r} is not valid: it is 8 characters, a product description "
            "code such as S1234, a collection type, and 2 division characters (e.g. S12341A0).",
            "format",
        )
    return code


def product_code_data(code: str) -> str:
    """Data structure 003 for a barcode: ``=<`` + the 8-character product code."""
    return PRODUCT_CODE_IDENTIFIER + parse_product_code(code)


def dose_product_code(base: str, index: int) -> str:
    """The product code of the ``index``-th dose (0, 1, …) divided from one donation.

    The division characters (the last two) tell the doses apart: ``A0`` for the first,
    ``B0`` for the second, as ST-001 divides a product into A, B, C… with no subdivision (0).
    """
    code = parse_product_code(base)
    if not 0 <= index < len(DIVISIONS):
        raise ProductCodeError(f"A donation divides into at most {len(DIVISIONS)} doses.",
                               "division")
    return f"{code[:6]}{DIVISIONS[index]}0"


def division_of(code: str) -> str:
    """The two division characters of a product code, e.g. ``A0``."""
    return parse_product_code(code)[6:]


def is_cellular_therapy(code: str) -> bool:
    """True when the product description code is a cellular therapy one (starts with S)."""
    return parse_product_code(code).startswith(CELLULAR_THERAPY_PREFIX)


def is_autologous_use_only(code: str) -> bool:
    """True when the collection type (6th character) is 1, "for autologous use only"."""
    return parse_product_code(code)[5] == AUTOLOGOUS_USE_ONLY


def as_din(text: str) -> Din | str:
    """A stored DIN as a ``Din`` (for grouped display with its check character)."""
    try:
        return parse_din(text)
    except DinError:
        return text
