"""Strict reading of scans, compound messages, and the product codes that tell doses apart."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from labtrack.identity.rules.isbt128 import (
    DinError,
    ProductCodeError,
    dose_product_code,
    expiry_data,
    make_din,
    product_code_data,
)
from labtrack.identity.rules.scans import (
    ScanError,
    ScanKind,
    compound_message,
    read_scan,
)

MADRID = ZoneInfo("Europe/Madrid")
DIN = make_din("A9999", 26, 793)
EXPIRY = expiry_data(datetime(2026, 12, 9, 14, 0, tzinfo=MADRID))


def test_the_doses_of_one_donation_have_different_product_codes():
    first, second = dose_product_code("S1234100", 0), dose_product_code("S1234100", 1)
    assert (first, second) == ("S12341A0", "S12341B0")
    assert product_code_data(first) == "=<S12341A0"
    assert dose_product_code("S1234100", 25).endswith("Z0")
    with pytest.raises(ProductCodeError):
        dose_product_code("S1234100", 26)
    with pytest.raises(ProductCodeError):
        dose_product_code("not a code", 0)


def test_a_compound_message_reads_back_to_its_three_structures():
    message = compound_message(DIN.barcode_data, product_code_data("S12341B0"), EXPIRY)
    assert message.startswith("=+03000=A9999")
    scan = read_scan(message)
    assert scan.kind is ScanKind.COMPOUND
    assert (scan.din, scan.product_code, scan.expiry) == (DIN, "S12341B0", EXPIRY)


@pytest.mark.parametrize(("message", "code"), [
    ("=+03000" + DIN.barcode_data + "=%5100" + EXPIRY, "compound_structure"),  # blood group
    ("=+03000" + DIN.barcode_data + "=<S12341A0", "compound_count"),
    ("=+02000" + DIN.barcode_data + DIN.barcode_data, "repeated_structure"),
    ("=+3000" + DIN.barcode_data, "compound_header"),
    ("=+02000" + DIN.barcode_data + "=<S12341A", "length"),
])
def test_a_compound_message_that_is_not_what_it_says_is_refused(message, code):
    with pytest.raises(ScanError) as refused:
        read_scan(message)
    assert refused.value.code == code


def test_compound_message_refuses_to_build_from_a_structure_it_does_not_know():
    with pytest.raises(ScanError):
        compound_message(DIN.barcode_data, "=%5100")


@pytest.mark.parametrize(("text", "kind"), [
    ("=A99992600079383", ScanKind.DIN),
    ("=<S12341A0", ScanKind.PRODUCT_CODE),
    ("&>0263431400", ScanKind.EXPIRY),
    ("MSC26-0009-L4L5", ScanKind.TEXT),
    ("  HC100845 ", ScanKind.TEXT),
])
def test_each_scan_is_read_as_its_structure(text, kind):
    assert read_scan(text).kind is kind


@pytest.mark.parametrize("text", [
    "=A9999260007938",    # a DIN one flag short
    "=<S12341A0X",        # a product code one character long
    "&>02634314",         # an expiry cut short
    "=%5100",             # a blood group: ISBT 128, but not read here
    "&!12345",
])
def test_isbt_data_of_the_wrong_length_or_kind_is_refused(text):
    with pytest.raises(ScanError):
        read_scan(text)


def test_a_din_whose_flags_do_not_match_is_refused():
    with pytest.raises(DinError):
        read_scan("=A99992600079384")


@pytest.mark.parametrize(("moment", "encoded"), [
    (datetime(2026, 12, 9, 14, 0, tzinfo=MADRID), "&>0263431400"),   # day 343
    (datetime(2026, 12, 10, 0, 1, tzinfo=MADRID), "&>0263440001"),   # just after midnight
    (datetime(2028, 12, 31, 23, 30, tzinfo=MADRID), "&>0283662330"),  # leap year: day 366
    (datetime(2027, 12, 31, 23, 30, tzinfo=MADRID), "&>0273652330"),
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "&>0270010030"),     # already 2027 in Madrid
])
def test_expiry_is_encoded_in_the_labs_time(moment, encoded):
    assert expiry_data(moment, MADRID) == encoded
