"""The lab's documents in its document language, with fonts that draw every character.

On the demo lab seeded with ``DOCUMENT_LOCALE = "es"`` (as the lab in Spain runs): the
release record a QA reader downloads, whatever their screen language, embeds only DejaVu
Sans, shows "α-MEM" and "CO₂" as real glyphs, and (with the Spanish catalogue) carries
Spanish headings; the embedded fonts draw every character of the catalogue and of the
demo data.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from labtrack import pdf
from labtrack.culture.models import Batch
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from labtrack.identity.printing import PrintRequest
from labtrack.inventory.models import ReagentLot
from labtrack.quality.models import Release
from labtrack.samples.receipt import print_labels
from tests import builders
from tests.helpers import login
from tests.i18n import CATALOGUE, extracted, require_catalogue, spanish_catalogue
from tests.integration.web.test_spanish_pages import stored_texts

ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}
HEADINGS = ("Batch release record", "Review by exception", "Patient, order and batch")


@pytest.fixture
def demo_lab(app):
    """The demo lab, seeded as ``labtrack seed-demo`` does with Spanish documents (the
    test is marked ``demo_lab("es")``: the seeded database is cloned for it)."""
    app.config["DOCUMENT_LOCALE"] = "es"
    assert db.session.scalar(select(func.count()).select_from(Batch)), "mark demo_lab(\"es\")"
    return app

DEMO_PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}


def downloaded_record(client) -> bytes:
    """The stored release record of the demo's released batch, as QA downloads it with an
    English browser (the reader's language does not change the document)."""
    released = db.session.scalars(select(Release).where(Release.decision == "released")
                                  .order_by(Release.id)).first()
    assert released is not None and released.record_pdf
    assert login(client, "qa", DEMO_PASSWORDS["qa"]).status_code == 302
    batch = db.session.get(Batch, released.batch_id)
    response = client.get(f"/quality/batches/{batch.batch_number}/record.pdf",
                          headers=ENGLISH_BROWSER)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == released.record_pdf
    return response.data


def text_and_fonts(document: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(document))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return "\n".join(page.extract_text() for page in reader.pages), fonts


@pytest.mark.demo_lab("es")
def test_the_release_record_prints_alpha_mem_and_co2_with_real_glyphs(demo_lab, client):
    text, fonts = text_and_fonts(downloaded_record(client))
    assert fonts and all("DejaVuSans" in font for font in fonts), fonts  # subset names
    assert not any("Helvetica" in font or "Vera" in font for font in fonts)
    assert "α-MEM" in text
    assert "CO₂" in text
    assert "□" not in text and "\ufffd" not in text
    assert pdf.missing_glyphs(text) == set()


@pytest.mark.demo_lab("es")
def test_the_release_record_is_in_spanish_whatever_the_readers_language(demo_lab, client):
    """Needs the es catalogue (skipped only while it is absent)."""
    spanish = {message.id: message.string for message in require_catalogue()
               if isinstance(message.id, str)}
    text, _fonts = text_and_fonts(downloaded_record(client))
    flat = " ".join(text.split())
    for heading in HEADINGS:
        assert spanish.get(heading), f"{heading!r} has no Spanish translation"
        assert " ".join(spanish[heading].split()) in flat, heading
        assert heading not in flat, heading


def _printable(text: str) -> str:
    return "".join(char for char in text
                   if not char.isspace() and unicodedata.category(char)[0] != "C")


@pytest.mark.demo_lab("es")
def test_every_character_of_the_catalogue_and_the_demo_data_has_a_glyph(demo_lab):
    texts = list(stored_texts())
    for key in extracted():
        texts += [key] if isinstance(key, str) else [part for part in key
                                                     if isinstance(part, str)]
    if CATALOGUE.exists():  # whatever catalogue there is at test time
        for message in spanish_catalogue():
            strings = message.string if isinstance(message.string, tuple | list) else [
                message.string]
            texts += [string for string in strings if string]
    characters = set(_printable("".join(texts)))
    assert {"α", "₂"} <= characters  # the demo's α-MEM and CO₂ incubator
    for font in pdf.FONTS:
        missing = pdf.missing_glyphs("".join(sorted(characters)), font)
        assert not missing, (font, sorted(f"U+{ord(char):04X} {char}" for char in missing))


def test_labels_are_printed_in_the_document_language_with_real_glyphs(app):
    """A technician whose screen is English prints a tube label: its words are the lab's
    document language (needs the es catalogue: skipped only while it is absent)."""
    spanish = {message.id: message.string for message in require_catalogue()
               if isinstance(message.id, str)}
    app.config["DOCUMENT_LOCALE"] = "es"
    technician = builders.user("technician")
    batch = builders.batch(technician=technician)
    with app.test_request_context("/", headers=ENGLISH_BROWSER):
        label = print_labels(technician, batch.sample, "tube", PrintRequest(), 1, "Laboratorio")
    text, fonts = text_and_fonts(label)
    flat = " ".join(text.split())
    assert fonts and all("DejaVuSans" in font or "Courier" in font for font in fonts), fonts
    warning = spanish.get("FOR AUTOLOGOUS USE ONLY")
    assert warning, "'FOR AUTOLOGOUS USE ONLY' has no Spanish translation"
    assert " ".join(warning.split()) in flat
    assert "FOR AUTOLOGOUS USE ONLY" not in flat
    assert pdf.missing_glyphs(flat, pdf.CONDENSED_BOLD) == set()


# A number with a decimal point before a unit: "23.86 × 10⁶", "2.00 mL", "94.1 %" (the text
# extracted from the PDF may give the superscript ⁶ as a plain 6).
POINT_BEFORE_UNIT = re.compile(r"\d\.\d+ ?(?:× 10[⁶6]|mL|%|°C|EU/mL|cm²)")


@pytest.mark.demo_lab("es")
def test_the_release_record_writes_its_numbers_as_spanish_does(demo_lab, client):
    """Cells, volumes, viabilities, limits and results with the decimal comma, whatever the
    reader's language (what the records hold, such as a reagent's name, stays as written)."""
    text, _fonts = text_and_fonts(downloaded_record(client))
    flat = " ".join(text.split())
    materials = db.session.scalars(select(ReagentLot.material)).all()
    for material in materials:
        flat = flat.replace(material, "")
    assert re.search(r"\d,\d+ × 10[⁶6]", flat)  # the harvest, the counts
    assert "< 0,5 EU/mL" in flat and "60,0 mL" in flat  # a limit, the sample's volume
    assert "2,00 mL" in flat
    assert not POINT_BEFORE_UNIT.findall(flat), POINT_BEFORE_UNIT.findall(flat)
