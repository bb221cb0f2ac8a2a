"""User text is inert everywhere: markup typed by a user shows as text, on pages and in PDFs."""

import io

from pypdf import PdfReader

from tests import builders
from tests.helpers import inline_scripts, login

SCRIPT = "<script>alert('x')</script>"


def test_markup_in_a_name_and_a_note_is_shown_as_text(app, client):
    clinician = builders.user("clinician")
    patient = builders.patient(clinician, family_name=f"Ruiz{SCRIPT}")
    technician = builders.user("technician")
    batch = builders.seeded_batch(builders.order(clinician, patient), technician)
    builders.step(batch, "medium_change", technician, notes=f"Looked fine {SCRIPT}")
    login(client, technician.username)
    html = client.get(f"/batches/{batch.batch_number}").get_data(as_text=True)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert not inline_scripts(html)


def test_markup_in_a_name_is_literal_text_in_the_release_record(app):
    clinician = builders.user("clinician")
    patient = builders.patient(clinician, family_name=f"Ruiz{SCRIPT}")
    batch = builders.releasable_batch(builders.order(clinician, patient))
    decision = builders.release(batch)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(decision.record_pdf)).pages)
    assert "<script>alert('x')</script>".upper() in text.upper().replace("\n", "")
