"""The release record is kept 30 years: its fonts are embedded, it refers to nothing
outside itself, and it names itself in its metadata."""

import io
from datetime import UTC

from pypdf import PdfReader

from labtrack.identity.rules import isbt128
from tests import builders

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
