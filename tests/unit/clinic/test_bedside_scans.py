"""The bedside's reading of scans: 2-D, two linear scans in either order, or typed."""

import pytest

from labtrack.clinic.rules.bedside import (
    AwaitingOther,
    DoseIdentity,
    Misread,
    MisreadLabel,
    combine,
)
from labtrack.identity.rules.isbt128 import make_din
from labtrack.identity.rules.scans import ScanKind, compound_message, read_scan

DIN = make_din("A9999", 26, 793)
CODE = "=<S12341B0"
EXPIRY = "&>0263431400"


def scans(*texts):
    return [read_scan(text) for text in texts]


def test_the_data_matrix_alone_names_the_dose_with_its_expiry():
    found = combine(scans(compound_message(DIN.barcode_data, CODE, EXPIRY)))
    assert found == DoseIdentity(DIN, "S12341B0", EXPIRY)


@pytest.mark.parametrize("order", [(DIN.barcode_data, CODE), (CODE, DIN.barcode_data)])
def test_din_and_product_code_in_either_order(order):
    assert combine(scans(*order)) == DoseIdentity(DIN, "S12341B0")


def test_the_first_linear_scan_waits_for_the_other():
    waiting = combine(scans(DIN.barcode_data))
    assert isinstance(waiting, AwaitingOther) and waiting.needs is ScanKind.PRODUCT_CODE
    assert combine(scans(CODE)).needs is ScanKind.DIN


@pytest.mark.parametrize(("texts", "problem"), [
    ((DIN.barcode_data, DIN.barcode_data), Misread.DIN_TWICE),  # a tube label's two symbols
    ((CODE, CODE), Misread.PRODUCT_CODE_TWICE),
    ((EXPIRY,), Misread.EXPIRY_ONLY),
    ((DIN.barcode_data, EXPIRY), Misread.EXPIRY_ONLY),
    ((compound_message(DIN.barcode_data, EXPIRY),), Misread.INCOMPLETE_COMPOUND),
])
def test_scans_that_cannot_name_a_dose_are_misreads_named_for_what_was_scanned(texts, problem):
    found = combine(scans(*texts))
    assert isinstance(found, MisreadLabel) and found.problem is problem


def test_a_typed_dose_code_names_the_dose_and_a_held_scan_gives_way():
    assert combine(scans("MSC26-0009-L4L5")) == DoseIdentity(dose_code="MSC26-0009-L4L5")
    assert combine(scans(DIN.barcode_data, "MSC26-0009-L4L5")).dose_code == "MSC26-0009-L4L5"
