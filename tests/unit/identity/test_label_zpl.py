"""Labels as ZPL II, read field by field: each barcode holds exactly its ISBT 128 string,
escaped, and everything fits the stock at 203 and 300 dpi (as it does in the PDF)."""

import re

import pytest

from labtrack.identity.label_layout import (
    DOSE_STOCK,
    SAMPLE_STOCK,
    Bars,
    DoseLabelData,
    LabelData,
    Matrix,
    Stock,
    dose_layout,
    sample_layout,
)
from labtrack.identity.label_zpl import field_hex, label_zpl, unhex
from labtrack.identity.rules.isbt128 import make_din
from labtrack.identity.rules.scans import read_scan

DIN = make_din("A9999", 26, 793)
FORMAT = re.compile(r"\^XA(.*?)\^XZ", re.S)
BARS = re.compile(r"\^FO(\d+),(\d+)\^BY(\d+),3,(\d+)\^BCN,(\d+),N,N,N,A\^FH_\^FD(.*?)\^FS")
MATRIX = re.compile(r"\^FO(\d+),(\d+)\^BXN,(\d+),200\^FH_\^FD(.*?)\^FS")
TEXT = re.compile(r"\^FO(\d+),(\d+)\^A0N,(\d+),\d+\^FB(\d+),1,0,[LCR]\^FH_\^FD(.*?)\^FS")


def dose(**changes) -> DoseLabelData:
    fields = {
        "din": DIN, "product_code": "S12341B0", "expiry_data": "&>0263431400",
        "expiry": "2026-12-09 14:00 CET", "disc_level": "L5-S1",
        "description": "Autologous bone-marrow MSC, culture-expanded · 1 mL syringe",
        "patient_identifier": "HC100845 LÓPEZ GARCÍA, Carmen",
        "cells": "20 × 10⁶ viable cells in 2 mL", "storage": "Store at 2–8 °C. Do not freeze.",
        "batch_number": "MSC26-0009", "lab_name": "Cell Therapy Laboratory"}
    fields.update(changes)
    return DoseLabelData(**fields)


def tube(**changes) -> LabelData:
    fields = {"din": DIN, "title": "Bone-marrow aspirate",
              "patient_identifier": "HC100845 LÓPEZ GARCÍA, Carmen",
              "batch_number": "MSC26-0009", "lab_name": "Cell Therapy Laboratory"}
    fields.update(changes)
    return LabelData(**fields)


def dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / 25.4)


@pytest.mark.parametrize("dpi", [203, 300])
def test_each_dose_barcode_holds_exactly_its_isbt_string(dpi):
    label = dose()
    zpl = label_zpl([dose_layout(label)], dpi)
    (body,) = FORMAT.findall(zpl)
    assert "^CI28" in body  # the escaped bytes are UTF-8
    linear = [unhex(match[5]) for match in BARS.findall(body)]
    assert linear == ["=A99992600079383", "=<S12341B0", "&>0263431400"]
    (matrix,) = MATRIX.findall(body)
    assert unhex(matrix[3]) == label.compound
    scan = read_scan(unhex(matrix[3]))
    assert (scan.din, scan.product_code, scan.expiry) == (DIN, "S12341B0", "&>0263431400")


def test_isbt_characters_and_zpl_commands_are_hex_escaped_in_every_field():
    zpl = label_zpl([dose_layout(dose(patient_identifier="HC1 ^XZ~JA_x O'NEIL"))], 300)
    for data in re.findall(r"\^FD(.*?)\^FS", zpl):
        assert not set(data) & set("=&<>^~"), data  # only as _3D _26 _3C _3E _5E _7E
    assert field_hex("=<S12341B0") == "_3D_3CS12341B0"
    assert field_hex("&>0263431400") == "_26_3E0263431400"
    assert unhex(field_hex("HC1 ^XZ~JA_x LÓPEZ")) == "HC1 ^XZ~JA_x LÓPEZ"
    assert "HC1 _5EXZ_7EJA_5Fx" in zpl


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize(("layout", "stock"), [
    (dose_layout(dose()), DOSE_STOCK),
    (dose_layout(dose(reprint=True, storage="Store upright at 2–8 °C in the transport box "
                      "provided; do not freeze, do not irradiate, keep away from light.")),
     DOSE_STOCK),
    (sample_layout(tube()), SAMPLE_STOCK),
    (sample_layout(tube(reprint=True, title="Culture flask 12 of 40")), SAMPLE_STOCK),
])
def test_everything_fits_the_stock_at_both_resolutions(layout, stock, dpi):
    assert layout.overflows() == []
    (body,) = FORMAT.findall(label_zpl([layout], dpi))
    width, height = dots(stock.width, dpi), dots(stock.height, dpi)
    assert f"^PW{width}" in body and f"^LL{height}" in body
    bars = [item for item in layout.items if isinstance(item, Bars)]
    for item, (x, y, module, _, bar_height, _) in zip(bars, BARS.findall(body), strict=True):
        module, quiet = int(module), 10 * int(module)
        assert module * 25.4 / dpi >= 0.25 - 0.01  # ISBT 128's X dimension, in whole dots
        assert int(x) - quiet >= 0 and int(x) + item.modules * module + quiet <= width
        assert int(y) + int(bar_height) <= height
    matrices = [item for item in layout.items if isinstance(item, Matrix)]
    for item, (x, y, module, _) in zip(matrices, MATRIX.findall(body), strict=True):
        side = int(module) * round(item.side / item.module)
        assert int(x) + side <= width and int(y) + side <= height
    for x, y, size, block, _ in TEXT.findall(body):
        assert int(x) >= 0 and int(x) + int(block) <= width + 1
        assert int(y) + int(size) <= height


def test_the_storage_text_wraps_whole_rather_than_being_cut():
    storage = ("Store upright at 2–8 °C in the transport box provided; do not freeze, "
               "do not irradiate.")
    lines = [item.text for item in dose_layout(dose(storage=storage)).items
             if hasattr(item, "text") and item.font.endswith("Bold")]
    assert " ".join(line for line in lines if "…" not in line).count("irradiate.") == 1
    assert not any("…" in line and "Store" in line for line in lines)


def test_stock_sizes_are_read_and_checked():
    assert Stock.parse("50x25") == SAMPLE_STOCK
    assert Stock.parse("76 × 51".replace(" ", "")) == DOSE_STOCK
    with pytest.raises(ValueError):
        Stock.parse("5x2")


def test_zpl_is_only_made_for_printers_labtrack_lays_out_for():
    with pytest.raises(ValueError):
        label_zpl([dose_layout(dose())], 600)
