"""Scanning printed labels as a bedside scanner would: rasterise, then decode every symbol.

A page is rendered as a thermal printer prints it (whole dots, no anti-aliasing) at the
printer's resolution, then read by zbar (Code 128) and by zxing-cpp (Code 128 and Data
Matrix; zbar cannot read Data Matrix). A missing tool fails the run in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing_tool(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def rasterise_pages(pdf: bytes, dpi: int, folder: Path) -> list[Image.Image]:
    """Every page of the PDF at ``dpi``, black and white as a thermal printer makes it."""
    if shutil.which("pdftoppm") is None:
        missing_tool("pdftoppm (poppler-utils) is not installed")
    source = folder / "labels.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-mono", "-aa", "no", "-aaVector", "no",
                    "-png", source, folder / "page"], check=True, timeout=120)
    pages = []
    for path in sorted(folder.glob("page-*.png")):
        with Image.open(path) as page:
            pages.append(page.convert("L"))
        path.unlink()
    return pages


def zbar_code128(image: Image.Image) -> list[str]:
    try:
        from pyzbar import pyzbar
    except ImportError:
        missing_tool("pyzbar with libzbar0 is not available")
    return sorted(symbol.data.decode("ascii") for symbol in pyzbar.decode(image)
                  if symbol.type == "CODE128")


def zxing_symbols(image: Image.Image) -> dict[str, list[str]]:
    """What zxing-cpp reads, by format: {"Code128": [...], "DataMatrix": [...]}."""
    try:
        import zxingcpp
    except ImportError:
        missing_tool("zxing-cpp is not installed")
    found: dict[str, list[str]] = {"Code128": [], "DataMatrix": []}
    for result in zxingcpp.read_barcodes(image):
        name = result.format.name
        if name in found:
            found[name].append(result.text)
    return {name: sorted(texts) for name, texts in found.items()}


def scan_page(image: Image.Image) -> dict[str, list[str]]:
    """Every symbol on one label, each decoder's reading compared: they must agree."""
    linear = zbar_code128(image)
    read = zxing_symbols(image)
    assert read["Code128"] == linear, "zbar and zxing-cpp read the Code 128 symbols differently"
    return {"code128": linear, "datamatrix": read["DataMatrix"]}
