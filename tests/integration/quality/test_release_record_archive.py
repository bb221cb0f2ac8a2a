"""The release record is kept 30 years: its fonts are embedded, it refers to nothing
outside itself, and it names itself in its metadata."""

import io
import re
from datetime import UTC

from pypdf import PdfReader

from labtrack.identity.rules import isbt128
from labtrack.qms import deviations
from tests import builders
from tests.integration.quality.test_release_record_pdf import pages_text

EXTERNAL = (b"/URI", b"/Launch", b"/GoToR", b"/GoToE", b"/JavaScript", b"/JS",
            b"/EmbeddedFile", b"/ImportData", b"/SubmitForm")


def _fonts(reader: PdfReader) -> dict[str, object]:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    return fonts


def test_every_font_is_embedded_and_nothing_outside_the_file_is_referred_to(app):
    decision = builders.release(builders.releasable_batch())
    reader = PdfReader(io.BytesIO(decision.record_pdf))

    fonts = _fonts(reader)
    assert fonts  # the text is drawn in fonts the file carries, not a reader's own
    for name, font in fonts.items():
        descriptor = font.get("/FontDescriptor")
        assert descriptor is not None, f"{name} is not embedded"
        descriptor = descriptor.get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), \
            f"{name} is not embedded"
    for marker in EXTERNAL:
        assert marker not in decision.record_pdf, marker
    assert not reader.attachments


def test_the_metadata_name_the_record_the_batch_and_the_patient(app):
    batch = builders.releasable_batch()
    decision = builders.release(batch)
    info = PdfReader(io.BytesIO(decision.record_pdf)).metadata
    din = isbt128.parse_din(batch.sample.din)

    assert decision.document_id in info.title and "Batch release record" in info.title
    for value in (batch.batch_number, din.keyboard_entry, batch.order.patient.record_number):
        assert value in info.subject and value in info["/Keywords"]
    assert info.author and info.producer.startswith("LabTrack")
    # created when QA decided, to the second (not a fixed or a later time)
    assert info.creation_date.astimezone(UTC).replace(microsecond=0) == \
        decision.decided_at.astimezone(UTC).replace(microsecond=0)


def test_a_table_over_several_pages_repeats_its_header_and_never_splits_a_row(app):
    batch = builders.releasable_batch()
    technician = builders.user("technician")
    for n in range(45):  # enough for the deviations table to run over pages
        deviations.report_deviation(
            technician, batch, "equipment", "minor", f"Door alarm {n:02d}",
            "The incubator door alarm sounded during the medium change; the door was "
            "closed at once and the temperature stayed within 36.5-37.5 °C.")
    pages = [" ".join(page.split()) for page in
             pages_text(builders.release(batch).record_pdf)]
    header = "Number Severity What happened Root cause Corrective / preventive actions Closure"
    rows = [page for page in pages if re.search(r"DEV26-\d{4} Minor Door alarm", page)]
    assert len(rows) >= 2  # the table runs over pages
    for page in rows:  # each page of it starts with the header
        assert header in page and page.index(header) < page.index(
            re.search(r"DEV26-\d{4} Minor Door alarm", page).group(0))
    # every row whole on one page: its number, title and the end of its description
    table = " ".join(page[page.index(header):] for page in rows)
    for n in range(45):
        assert re.search(rf"DEV26-\d{{4}} Minor Door alarm {n:02d}: The incubator door alarm "
                         rf"[^:]*36\.5-37\.5 °C\.", table), n
