"""ISBT 128 identifiers: check characters, DIN parsing and making, expiry and product code."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from labtrack.identity.rules.isbt128 import (
    Din,
    DinError,
    ProductCodeError,
    expiry_data,
    is_autologous_use_only,
    is_cellular_therapy,
    make_din,
    mod37_2_character,
    mod37_2_value,
    parse_din,
    parse_product_code,
    product_code_data,
)

MADRID = ZoneInfo("Europe/Madrid")

# Published examples (ICCBBA ST-001 v6.2.2): the Appendix A worked example, the boxed
# example of §7.5.1.1, Figure 2 ("A9999 21 123456 ... 3") and the example of §7.4.1.
PUBLISHED = [
    ("G123417654321", "A"),
    ("A999818123456", "N"),
    ("A999921123456", "3"),
    ("W000009123456", "G"),
]

# Worked by hand with S = ((S + value) × 2) mod 37, check value = (38 − S) mod 37.
# A999926000123: A(10) → 20; 9 → 21; 9 → 23; 9 → 27; 9 → 35; 2 → 0; 6 → 12; 0 → 24;
#   0 → 11; 0 → 22; 1 → 9; 2 → 22; 3 → 13.  (38 − 13) mod 37 = 25 → "P", flags 85.
# A999926000005: as above up to "A99992600" (S = 11); 0 → 22; 0 → 7; 0 → 14; 5 → 1.
#   (38 − 1) mod 37 = 0 → "0", flags 60 (the lowest check flags).
# A999926000088: up to "A999926000" (S = 22); 0 → 7; 8 → 30; 8 → 2.
#   (38 − 2) mod 37 = 36 → "*", flags 96 (the highest check flags).
BY_HAND = [
    ("A999926000123", "P", 25, "85"),
    ("A999926000005", "0", 0, "60"),
    ("A999926000088", "*", 36, "96"),
]

DIN_123 = Din("A9999", "26", "000123")


@pytest.mark.parametrize(("characters", "check"), PUBLISHED)
def test_published_check_characters(characters, check):
    assert mod37_2_character(characters) == check


@pytest.mark.parametrize(("characters", "check", "value", "flags"), BY_HAND)
def test_hand_computed_check_values_and_flags(characters, check, value, flags):
    din = parse_din(characters)
    assert mod37_2_value(characters) == value
    assert din.check_character == check
    assert din.check_value == value
    assert din.check_flags == flags


def test_mod37_2_rejects_characters_outside_its_alphabet():
    with pytest.raises(ValueError):
        mod37_2_value("a9999")
    with pytest.raises(ValueError):
        mod37_2_value("A-9999")


def test_din_forms():
    assert DIN_123.text == str(DIN_123) == "A999926000123"
    assert DIN_123.grouped == "A9999 26 000123"
    assert DIN_123.keyboard_entry == "A9999 26 000123 P"
    assert DIN_123.barcode_data == "=A99992600012385"


@pytest.mark.parametrize(
    "typed",
    [
        "=A99992600012385",  # barcode data with check flags
        "=a99992600012385\r\n",  # a scanner's trailing line end, lower case
        "=A99992600012300",  # flags 00: no check carried
        "=A99992600012307",  # flags 01-59: process control, no check carried
        "A999926000123",
        "  a9999 26 000123 ",
        "A9999 26 000123 P",  # keyboard entry with the check character
        "a999926000123p",
        "A9999\t26\t000123\tP",
    ],
)
def test_parse_accepts_every_form(typed):
    assert parse_din(typed) == DIN_123


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("A9999 26 000123 Q", "check_character"),
        ("A9999 26 000123 0", "check_character"),
        ("A9999 26 000124 P", "check_character"),  # a typo in the sequence is caught
        ("=A99992600012386", "check_flags"),
        ("=A99992600012460", "check_flags"),
        ("=A99992600012397", "flags"),  # 97-99 reserved
        ("=A999926000123AB", "flags"),  # alphanumeric flags reserved
        ("=A999926000123I0", "format"),  # I is never a flag character
        ("O9999 26 000123", "facility"),  # the letter O is not allowed
        ("09999 26 000123", "facility"),  # nor a leading zero
        ("A99X9 26 000123", "facility"),
        ("", "format"),
        ("A9999 26 00012", "format"),
        ("A9999 26 0001234 P", "format"),
        ("A9999 2X 000123", "format"),
        ("A9999-26-000123", "format"),
        ("=A999926000123", "format"),  # flags missing
        ("=A9999260001238", "format"),
    ],
)
def test_parse_rejects_with_a_machine_code(typed, code):
    with pytest.raises(DinError) as caught:
        parse_din(typed)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)


def test_wrong_check_character_message_is_plain_english():
    with pytest.raises(DinError, match="Check character Q does not match DIN A9999 26 000123"):
        parse_din("A9999 26 000123 Q")


def test_din_validates_its_parts():
    with pytest.raises(DinError):
        Din("A9999", "26", "00012")
    with pytest.raises(DinError):
        Din("A9999", "2026", "000123")
    with pytest.raises(DinError):
        Din("A9999", 26, 123)
    with pytest.raises(DinError) as caught:
        Din("O9999", "26", "000123")
    assert caught.value.code == "facility"


def test_make_din():
    assert make_din("A9999", 26, 123) == DIN_123
    assert make_din(" a9999 ", 2026, 123) == DIN_123
    assert make_din("19999", 0, 0).text == "1999900000000"
    assert make_din("Z0001", 99, 999_999).grouped == "Z0001 99 999999"


@pytest.mark.parametrize(
    ("facility", "year", "sequence", "code"),
    [
        ("O9999", 26, 1, "facility"),
        ("09999", 26, 1, "facility"),
        ("A999", 26, 1, "facility"),
        ("A9999", 100, 1, "format"),
        ("A9999", -1, 1, "format"),
        ("A9999", 26, 1_000_000, "format"),
        ("A9999", 26, -1, "format"),
        ("A9999", "26", 1, "format"),
    ],
)
def test_make_din_rejects_bad_input(facility, year, sequence, code):
    with pytest.raises(DinError) as caught:
        make_din(facility, year, sequence)
    assert caught.value.code == code


@pytest.mark.parametrize("sequence", [0, 5, 88, 123, 654321, 999_999])
def test_round_trips(sequence):
    din = make_din("B1234", 26, sequence)
    for form in (din.barcode_data, din.text, din.grouped, din.keyboard_entry,
                 din.keyboard_entry.lower(), f"={din.text}00"):
        assert parse_din(form) == din


def test_expiry_for_a_known_date():
    # 31 (January) + 28 (February) + 5 = day 064 of 2026.
    assert expiry_data(datetime(2026, 3, 5, 14, 30, tzinfo=MADRID)) == "&>0260641430"


def test_expiry_converts_to_the_given_zone_and_keeps_summer_time():
    # 1 July 2026 is day 31+28+31+30+31+30+1 = 182; Madrid is UTC+2 in summer.
    assert expiry_data(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), MADRID) == "&>0261821400"
    assert expiry_data(datetime(2026, 3, 5, 13, 30, tzinfo=UTC), MADRID) == "&>0260641430"


def test_expiry_leap_day_end_of_year_and_seconds():
    assert expiry_data(datetime(2028, 12, 31, 23, 59, 59, tzinfo=MADRID)) == "&>0283662359"
    assert expiry_data(datetime(2100, 1, 1, 0, 0, tzinfo=MADRID)) == "&>1000010000"


def test_expiry_needs_an_aware_time():
    with pytest.raises(ValueError, match="aware"):
        expiry_data(datetime(2026, 3, 5, 14, 30))  # deliberately naive


@pytest.mark.parametrize("text", ["S1234100", "=<S1234100", " S1234 1 00 ", "S12341A0", "S12341Ab"])
def test_product_code_accepted(text):
    code = parse_product_code(text)
    assert len(code) == 8
    assert product_code_data(text) == "=<" + code
    assert is_cellular_therapy(code)
    assert is_autologous_use_only(code)


def test_product_code_other_kinds():
    assert not is_cellular_therapy("E0001V00")
    assert not is_autologous_use_only("E0001V00")
    assert not is_autologous_use_only("S1234V00")


@pytest.mark.parametrize(
    "text", ["", "S123410", "S12341000", "s1234100", "1S234100", "S12341a0", "S123410A", "=<"]
)
def test_product_code_rejected(text):
    with pytest.raises(ProductCodeError) as caught:
        parse_product_code(text)
    assert caught.value.code == "format"
    assert isinstance(caught.value, ValueError)
