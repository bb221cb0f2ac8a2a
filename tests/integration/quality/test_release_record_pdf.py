"""The PDF batch release record: its content, its bar code, and bytes that never change."""

import hashlib
import io
import re
import subprocess

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from labtrack.audit import capture as audit
from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.extensions import db
from labtrack.identity.rules import isbt128
from labtrack.qms import deviations
from labtrack.quality import qc as quality
from labtrack.quality import record_facts, release, release_records
from labtrack.quality.models import Release
from labtrack.quality.qc import ResultData
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import login, statements_run
from tests.unit.identity.test_labels_pdf import decode_code128, rasterise

EXCEPTIONAL = release.ExceptionalRequest(
    "Dr. Ortega asked in writing on 2026-03-02 <urgent & documented>.",
    "Viability 60 % below 70 %; cells per disc met; benefit outweighs the risk.")


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_record_holds_patient_order_doses_results_and_signatures(app):
    order = builders.order(builders.user("clinician", full_name="Dr. Pablo Ortega"))
    batch = builders.releasable_batch(order, skip=("sterility",))
    decision = builders.release(batch, builders.user("qa", full_name="Carmen Navarro"))
    pages = pages_text(decision.record_pdf)
    text = "\n".join(pages)
    patient = order.patient

    for expected in (patient.display_name, patient.record_number,
                     patient.date_of_birth.isoformat(), order.order_number,
                     "L4-L5, L5-S1", order.authorisation_reference, batch.batch_number,
                     "S1234100", f"{batch.batch_number}-L4L5", f"{batch.batch_number}-L5S1",
                     "Dr. Pablo Ortega", "Carmen Navarro", "Released for clinical use",
                     "RELEASED FOR CLINICAL USE", decision.document_id):
        assert expected in text, expected
    # The audit-chain hash in groups of eight, broken between groups only.
    assert release_records.grouped_hash(decision.audit_head_hash) in " ".join(text.split())
    assert re.search(r"Viability\s+≥ 70 %\s+95\s+PASS", text)
    assert re.search(r"Sterility\s+no growth\s+—\s+PENDING", text)
    assert "Performed" in text and "Verified" in text  # who did and who checked the steps
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", text)  # times carry their zone
    assert len(pages) >= 2
    din = isbt128.parse_din(batch.sample.din)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert decision.document_id in page
        # Every page says whose it is: a loose page is never taken for another patient's.
        assert re.search(rf"Batch {batch.batch_number} · DIN {din.grouped}\s*{din.check_character}"
                         rf" · Record number {patient.record_number}", page), number
    assert "S12341A0" in text and "S12341B0" in text  # each dose's own product code
    info = PdfReader(io.BytesIO(decision.record_pdf)).metadata
    assert decision.document_id in info.title and batch.batch_number in info.subject
    assert patient.record_number in info.subject and info.producer.startswith("LabTrack")
    first = pages[0]
    assert "Sterility is pending" in first  # review by exception: page 1
    assert din.grouped in first and din.check_character in first


def test_the_din_bar_code_on_the_record_scans(app, tmp_path):
    batch = builders.releasable_batch()
    decision = builders.release(batch)
    scanned = decode_code128(rasterise(decision.record_pdf, tmp_path), tmp_path)
    assert isbt128.parse_din(batch.sample.din).barcode_data in scanned


def test_amendments_and_exceptional_release_stand_out_on_the_first_page(app):
    batch = builders.releasable_batch(viability="60", cd105="9.8")
    original = next(r for r in quality.current_results(batch) if r.test_code == "cd105")
    technician = builders.user("technician")
    quality.amend_result(technician, original, ResultData(
        "cd105", "98", original.method, original.analyst, original.tested_at),
        "Decimal point misplaced")
    decision = builders.release(batch, exceptional=EXCEPTIONAL)
    first, *rest = pages_text(decision.record_pdf)

    assert "EXCEPTIONAL RELEASE" in first
    assert "<urgent & documented>" in first  # user text printed literally, never as markup
    assert EXCEPTIONAL.risk_assessment in first.replace("\n", " ")
    assert "Viability is out of specification: 60" in first
    assert "Changed after first entry" in first and "Decimal point misplaced" in first
    assert "started_at" in first  # the backdated start (an audited update) is marked too
    whole = " ".join("\n".join(rest).split())
    assert "AMENDED: Decimal point misplaced" in whole and "FAIL" in whole


def test_the_stored_record_downloads_byte_for_byte_later(app, client):
    batch = builders.releasable_batch(skip=("sterility",))
    decision = builders.release(batch)
    stored, digest = decision.record_pdf, decision.record_sha256
    builders.qc_result(batch, "sterility", "no growth")  # the record is not regenerated
    qa = builders.user("qa")
    login(client, qa.username)

    response = client.get(f"/quality/batches/{batch.batch_number}/record.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"{decision.document_id}.pdf" in response.headers["Content-Disposition"]
    assert response.data == stored
    assert hashlib.sha256(response.data).hexdigest() == digest
    assert response.headers["X-Content-SHA256"] == digest
    db.session.expire_all()
    assert db.session.get(Release, decision.id).record_pdf == stored
    again = client.get(f"/quality/batches/{batch.batch_number}/record.pdf")
    assert again.data == stored


def test_a_rejection_is_recorded_too(app):
    batch = builders.releasable_batch(viability="40")
    qa = builders.user("qa")
    decision = release.reject(qa, batch, builders.sign_as(qa, "rejected"),
                              builders.release_settings(), "Viability far below the limit",
                              batch.version)
    text = "\n".join(pages_text(decision.record_pdf))
    assert "REJECTED" in text and "Viability far below the limit" in text
    assert release.review(batch, qa, lab_zone()).batch.state == "rejected"


def _gathered(batch):
    """The record's facts of ``batch`` and the number of SQL statements it took."""
    db.session.expire_all()
    batch = db.session.get(Batch, batch.id)
    with statements_run() as statements:
        facts = record_facts.gather(batch, [], [], [], set(), lab_zone())
    return facts, len(statements)


def test_the_record_reads_lots_and_equipment_in_a_fixed_number_of_queries(app):
    technician = builders.user("technician")
    batch = builders.seeded_batch(technician=technician)
    medium = builders.lot("α-MEM", "MEM-0001")
    cabinet = builders.equipment("EQ-BSC-1", "Biosafety cabinet")
    builders.step(batch, "medium_change", technician, lots=[(medium.id, "50 mL")],
                  equipment_ids=[cabinet.id])
    few, queries = _gathered(batch)
    for _ in range(3):
        builders.step(batch, "medium_change", technician,
                      lots=[(builders.lot("PBS").id, None), (medium.id, "50 mL")],
                      equipment_ids=[builders.equipment(kind="Incubator").id, cabinet.id])

    many, more_queries = _gathered(batch)

    assert more_queries == queries  # no query per step, lot or piece of equipment
    assert few.lots == [("α-MEM", "MEM-0001", "Gibco", medium.expiry_date)]
    assert few.equipment == [("EQ-BSC-1", "Biosafety cabinet")]
    assert len(many.lots) == 4 and len(many.equipment) == 4  # each listed once
    assert ("α-MEM", "MEM-0001", "Gibco", medium.expiry_date) in many.lots
    assert len(many.steps) == len(few.steps) + 3
    assert {row.kind for row in many.steps} == {"isolation", "seeding", "medium_change"}


def test_the_growth_chart_starts_at_the_first_culture_count_not_the_cells_seeded(
        app, monkeypatch):
    assembled = []
    original = release_records.assemble

    def keep(*args, **kwargs):
        assembled.append(original(*args, **kwargs))
        return assembled[-1]

    monkeypatch.setattr(release_records, "assemble", keep)
    batch = builders.releasable_batch()
    builders.release(batch)
    (record,) = assembled
    (chart,) = [section.chart for section in record.sections if section.chart is not None]
    first_count = min((c for c in db.session.scalars(select(CellCount).where(
        CellCount.batch_id == batch.id))), key=lambda c: c.counted_at)
    assert chart.points[0][1] == float(first_count.viable_cells)
    seeding = db.session.scalars(select(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind == "seeding")).one()
    assert seeding.cells is None or all(point[1] != float(seeding.cells)
                                        for point in chart.points[:1])


def test_a_change_of_method_shows_even_when_the_value_stays(app):
    batch = builders.releasable_batch()
    original = next(r for r in quality.current_results(batch) if r.test_code == "mycoplasma")
    quality.amend_result(builders.user("technician"), original, ResultData(
        "mycoplasma", original.text_value, "qPCR (Ph. Eur. 2.6.7, NAT)", original.analyst,
        original.tested_at), "Method recorded wrongly at entry")
    decision = builders.release(batch)
    whole = " ".join("\n".join(pages_text(decision.record_pdf)).split())
    assert f"method from {original.method} to qPCR (Ph. Eur. 2.6.7, NAT)" in whole
    assert "from not detected to not detected" not in whole


def test_an_open_minor_deviation_is_listed_once_on_the_first_page(app):
    batch = builders.releasable_batch()
    deviations.report_deviation(builders.user("technician"), batch, "equipment", "minor",
                                "Incubator door left ajar", "Closed within 2 minutes.")
    decision = builders.release(batch)
    first = " ".join(pages_text(decision.record_pdf)[0].split())
    assert first.count("Incubator door left ajar") == 1


def test_no_identifier_is_split_across_lines(app):
    batch = builders.releasable_batch()
    technician = builders.user("technician")
    opened = [deviations.report_deviation(technician, batch, "equipment", "minor",
                                          f"Door alarm {n}", "Closed at once.")
              for n in range(3)]
    decision = builders.release(batch)
    lines = [line for page in pages_text(decision.record_pdf) for line in page.splitlines()]
    din = isbt128.parse_din(batch.sample.din)
    identifiers = [batch.batch_number, batch.order.order_number, decision.document_id,
                   *(d.number for d in opened), *(f"{batch.batch_number}-{code}"
                                                  for code in ("L4L5", "L5S1"))]
    pairs = [(line.rstrip(), after.lstrip())
             for line, after in zip(lines, lines[1:], strict=False)]
    for identifier in identifiers:
        assert any(identifier in line for line in lines), identifier
        for line, after in pairs:  # a line ending with its start, the next with its rest
            for cut in range(1, len(identifier)):
                assert not (line.endswith(identifier[:cut]) and after.startswith(
                    identifier[cut:])), (identifier, line, after)
    assert any(din.grouped in line for line in lines)
    for line in lines:  # every DIN printed whole: its groups never broken over lines
        if din.grouped[:5] in line:
            assert din.grouped in line, line


def test_pages_one_and_last_are_rendered_for_a_reviewer(app, request, tmp_path):
    """Rendered at 80 dpi into test-artifacts/release-record/, for a person to look at."""
    decision = builders.release(builders.releasable_batch())
    pages = len(PdfReader(io.BytesIO(decision.record_pdf)).pages)
    folder = request.config.rootpath / "test-artifacts" / "release-record"
    folder.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "record.pdf"
    source.write_bytes(decision.record_pdf)
    for number in sorted({1, pages}):
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", str(number),
                        "-l", str(number), source, folder / f"page-{number}"], check=True,
                       timeout=60)
        with Image.open(folder / f"page-{number}.png") as image:
            assert image.size[0] == 662 and abs(image.size[1] - 935) <= 1  # A4 at 80 dpi


def test_a_signature_given_before_a_later_change_is_shown_as_superseded(app):
    batch = builders.releasable_batch(verified=False)
    step = db.session.scalars(select(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind == "seeding")).one()
    verifier = builders.user("technician", full_name="Lucía Verificadora")
    builders.verify(step, verifier)
    builders.verify_critical_steps(batch)
    with audit.reason(db.session, "Flask count corrected after verification"):
        step.flasks = (step.flasks or 0) + 1
        db.session.commit()
    decision = builders.release(batch)
    pages = pages_text(decision.record_pdf)
    first = " ".join(pages[0].split())
    assert re.search(r"Signature superseded: [^.]*seeding changed after Lucía Verificadora "
                     r"signed it \(Verified, [^)]+\); it must be signed again", first)
    whole = " ".join("\n".join(pages).split())
    assert "SUPERSEDED: the record changed afterwards" in whole


def test_an_untouched_verification_is_not_superseded(app):
    batch = builders.releasable_batch(verified=False)
    step = db.session.scalars(select(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind == "seeding")).one()
    builders.verify(step, builders.user("technician"))
    builders.verify_critical_steps(batch)
    whole = " ".join("\n".join(pages_text(builders.release(batch).record_pdf)).split())
    assert "SUPERSEDED" not in whole and "Signature superseded" not in whole
