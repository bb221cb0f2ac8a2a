"""Assemble the PDF batch release record's data from a release review and its decision."""

from __future__ import annotations

from flask_babel import gettext as _

from labtrack.accounts.signatures import is_intact
from labtrack.accounts.terms import meaning_label
from labtrack.audit.rules.checkpoint import from_json as checkpoint_from_json
from labtrack.culture.rules.growth import elapsed_days
from labtrack.culture.rules.protocol import StepKind
from labtrack.culture.steps import step_signature_content
from labtrack.culture.terms import count_method_label
from labtrack.extensions import db
from labtrack.identity.rules import isbt128
from labtrack.qms.deviations import closure_content
from labtrack.qms.models import Specification
from labtrack.qms.rules.specification import Verdict
from labtrack.quality import record_exceptions, record_facts
from labtrack.quality.record_facts import Facts, local, name_of, result_text
from labtrack.quality.record_pdf.record_chart import ChartData
from labtrack.quality.record_pdf.release_record import Flagged, RecordData, Row, Section, TableData
from labtrack.quality.rules.release import OrderInput, dose_range
from labtrack.quality.terms import limit_text, severity_text, status_text, verdict_text
from labtrack.web.templating import cells, number

VERDICT_FLAGS = {Verdict.FAIL: "fail", Verdict.PENDING: "pending"}


def assemble(rev, decision, settings, head_seq: int) -> RecordData:
    """The record of ``decision`` (a Release not yet stored) on the reviewed batch."""
    batch, order, zone = rev.batch, rev.order, settings.zone
    facts = record_facts.gather(batch, rev.results, rev.deviations, rev.doses,
                                {order.treating_clinician_id, batch.sample.received_by_id}, zone)
    din = isbt128.parse_din(batch.sample.din)
    superseded = superseded_signatures(rev, facts)
    found = record_exceptions.exceptions(
        record_exceptions.Context(rev, decision, facts, zone, superseded))
    return RecordData(
        lab_name=settings.lab_name, title=_("Batch release record"),
        document_id=decision.document_id,
        document_label=_("Document %(id)s", id=decision.document_id),
        identity_line=_("Batch %(batch)s · DIN %(din)s · Record number %(record)s",
                        batch=batch.batch_number, din=din.keyboard_entry,
                        record=order.patient.record_number),
        page_label=_("Page %(page)d of %(pages)d"),
        generated_label=_("Generated at the decision, %(when)s",
                          when=local(decision.decided_at, zone)),
        decision=_decision(decision), decision_lines=_decision_lines(decision, zone),
        exceptions_title=_("Review by exception"),
        exceptions=found,
        no_exceptions=_("No exception: every result within specification, nothing pending, "
                        "no deviation, no value changed after its first entry."),
        see_page_label=_("(see page %(page)d)"),
        din_label=_("DIN"), din_grouped=din.grouped, din_check=din.check_character,
        din_barcode=din.barcode_data,
        first_page=(_identity(rev, settings, facts), _doses(rev, zone)),
        sections=(_results(rev, zone, facts), _deviations(rev, zone, facts),
                  _process(rev, zone, facts), _counts(rev, zone, facts), _chart(rev, facts),
                  _changes(facts, zone), _signatures(rev, decision, zone, facts),
                  _audit(decision, head_seq)),
        created_at=decision.decided_at,
    )


def _decision(decision) -> Flagged:
    if decision.decision == "rejected":
        return Flagged(_("REJECTED"), "fail")
    if decision.exceptional:
        return Flagged(_("EXCEPTIONAL RELEASE — OUT OF SPECIFICATION"), "exceptional")
    return Flagged(_("RELEASED FOR CLINICAL USE"), "ok")


def _decision_lines(decision, zone) -> tuple[str, ...]:
    signature = decision.signature
    lines = [_("Signed by %(name)s · %(meaning)s · %(when)s", name=signature.printed_name,
               meaning=meaning_label(signature.meaning), when=local(signature.signed_at, zone))]
    if decision.reason:
        lines.append(_("Reason: %(reason)s", reason=decision.reason))
    if decision.exceptional:
        lines.append(_("Treating clinician's documented request: %(text)s",
                       text=decision.clinician_request))
        lines.append(_("QA risk assessment: %(text)s", text=decision.risk_assessment))
    return tuple(lines)


def _identity(rev, settings, facts: Facts) -> Section:
    batch, order = rev.batch, rev.order
    patient, low_high = order.patient, dose_range_text(order)
    spec = db.session.get(Specification, batch.specification_id)
    authorisation = (_("%(ref)s, granted %(granted)s, levels %(levels)s, expires %(expires)s",
                       ref=order.authorisation_reference, granted=order.authorisation_granted_on,
                       levels=", ".join(order.authorised_levels),
                       expires=order.authorisation_expires_on or "—")
                     if order.authorisation_reference else _("none recorded"))
    return Section(_("Patient, order and batch"), key="identity", facts=(
        (_("Patient"), patient.display_name), (_("Record number"), patient.record_number),
        (_("Date of birth"), patient.date_of_birth.isoformat()),
        (_("Treating clinician"), name_of(facts, order.treating_clinician_id)),
        (_("Order"), order.order_number), (_("Disc levels"), ", ".join(order.levels)),
        (_("Cells per disc"), low_high),
        (_("Procedure date"), order.planned_procedure_date.isoformat()),
        (_("Authorisation"), authorisation), (_("Batch number"), batch.batch_number),
        (_("Product code"), _("%(code)s (each dose: its own division, below)",
                              code=settings.product_code)),
        (_("Specification"), _("version %(v)d", v=spec.version) if spec else "—"),
    ))


def dose_range_text(order) -> str:
    low, high = dose_range(OrderInput(order.cells_per_disc, order.tolerance_percent,
                                       order.levels))
    return _("%(target)s ± %(tolerance)s %% (%(low)s to %(high)s)",
             target=cells(order.cells_per_disc), tolerance=order.tolerance_percent,
             low=cells(low), high=cells(high))


def _doses(rev, zone) -> Section:
    flagged = {item.params.get("dose_id"): item for item in rev.items
               if not item.ok and "dose_id" in item.params}
    rows = tuple(Row((d.disc_level, d.dose_code, d.product_code, cells(d.viable_cells),
                      f"{number(d.volume_ml, 2)} mL", d.container, local(d.expires_at, zone)),
                     "fail" if d.id in flagged else None, f"dose:{d.id}") for d in rev.doses)
    return Section(_("Doses"), key="doses", table=TableData(
        (_("Disc level"), _("Dose id"), _("Product code"), _("Viable cells"), _("Volume"),
         _("Container"), _("Expires")), rows, (1, 2, 1.3, 1.3, 0.8, 1.6, 1.6)),
        empty=_("No dose was formulated."))


def _results(rev, zone, facts: Facts) -> Section:
    rows = []
    for line in rev.lines:
        result = line.result
        mark = [verdict_text(line.verdict).upper()]
        if line.amended:
            mark.append(_("AMENDED: %(reason)s", reason=result.amendment_reason))
        if result is not None and result.after_release:
            mark.append(_("entered after release"))
        if line.verdict == Verdict.PENDING and line.test.may_be_pending:
            mark.append(_("may be pending at release"))
        again = record_exceptions.evaluated_again(line)
        if again != line.verdict:  # evaluated again now: the stored verdict is wrong
            mark.append(_("STORED VERDICT DISAGREES: the specification gives %(verdict)s",
                          verdict=verdict_text(again).upper() if again else _("no verdict")))
        flag = ("fail" if again != line.verdict else VERDICT_FLAGS.get(line.verdict)
                or ("amended" if line.amended else None))
        method = (" · ".join(x for x in (result.method, result.instrument) if x)
                  if result else line.test.method)
        who = (_("%(analyst)s, %(when)s (entered by %(name)s)", analyst=result.analyst,
                 when=local(result.tested_at, zone), name=name_of(facts, result.entered_by_id))
               if result else "—")
        rows.append(Row((line.test.name, limit_text(line.test), result_text(result),
                         " · ".join(mark), method, who), flag, f"qc:{line.test.code}"))
    return Section(_("QC results against the specification"), key="results", table=TableData(
        (_("Test"), _("Limit"), _("Result"), _("Verdict"), _("Method · instrument"),
         _("Analyst, date")), tuple(rows), (1.5, 1, 1, 1.3, 1.7, 2)))


def _deviations(rev, zone, facts: Facts) -> Section:
    rows = []
    for d in rev.deviations:
        signature = facts.signatures.get(d.closure_signature_id)
        closed = (_("Closed by %(name)s, %(when)s", name=signature.printed_name,
                    when=local(signature.signed_at, zone)) if signature else status_text(d.status))
        capa = " / ".join(x for x in (d.corrective_actions, d.preventive_actions) if x) or "—"
        rows.append(Row((d.number, severity_text(d.severity), f"{d.title}: {d.description}",
                         d.root_cause or "—", capa, closed),
                        None if d.status == "closed" else "pending", f"deviation:{d.id}"))
    return Section(_("Deviations"), key="deviations", table=TableData(
        (_("Number"), _("Severity"), _("What happened"), _("Root cause"),
         _("Corrective / preventive actions"), _("Closure")), tuple(rows), (1, 0.8, 2.4, 1.6,
                                                                            1.8, 1.4)),
        empty=_("No deviation was recorded for this batch."))


def _process(rev, zone, facts: Facts) -> Section:
    batch, sample = rev.batch, rev.batch.sample
    passages = [s for s in facts.steps if s.kind == StepKind.PASSAGE and not s.is_void]
    days = (number(elapsed_days(batch.seeded_at, batch.harvested_at), 1)
            if batch.seeded_at and batch.harvested_at else "—")
    lots = {(material, number, manufacturer, expiry.isoformat())
            for material, number, manufacturer, expiry in facts.lots}
    items = set(facts.equipment)
    return Section(_("Process summary"), key="process", facts=(
        (_("Sample received"), _("%(when)s by %(name)s, %(volume)s mL at %(temp)s °C",
                                 when=local(sample.received_at, zone),
                                 name=name_of(facts, sample.received_by_id),
                                 volume=number(sample.volume_ml, 1),
                                 temp=number(sample.temperature_c, 1))),
        (_("Seeded (day 0)"), local(batch.seeded_at, zone)),
        (_("Passages"), ", ".join(f"P{s.passage_number} {local(s.performed_at, zone)}"
                                  for s in passages) or "—"),
        (_("Harvested"), local(batch.harvested_at, zone)),
        (_("Culture days"), days),
        (_("Final viable cells"), _("%(cells)s, viability %(viability)s %%",
                                    cells=cells(batch.final_viable_cells or 0),
                                    viability=number(batch.final_viability_percent))),
        (_("Reagent lots"), "; ".join(f"{m} lot {n} ({mf}, exp. {e})"
                                      for m, n, mf, e in sorted(lots)) or "—"),
        (_("Equipment"), "; ".join(f"{i} ({k})" for i, k in sorted(items)) or "—"),
    ))


def _counts(rev, zone, facts: Facts) -> Section:
    superseded = {c.supersedes_id for c in facts.counts if c.supersedes_id}
    rows = []
    for count in facts.counts:
        mark = []
        if count.id in superseded:
            mark.append(_("superseded"))
        if count.supersedes_id:
            mark.append(_("AMENDED: %(reason)s", reason=count.amendment_reason or ""))
        if count.is_void:
            mark.append(_("void"))
        rows.append(Row((local(count.counted_at, zone), f"P{count.passage_number}",
                         cells(count.viable_cells), cells(count.dead_cells),
                         f"{number(count.viability_percent)} %", count_method_label(count.method),
                         name_of(facts, count.entered_by_id), " · ".join(mark)),
                        "amended" if mark else None, f"count:{count.id}"))
    return Section(_("Cell counts"), key="counts", table=TableData(
        (_("Counted"), _("Passage"), _("Viable"), _("Dead"), _("Viability"), _("Method"),
         _("Entered by"), _("Mark")), tuple(rows), (1.4, 0.6, 1, 1, 0.8, 1, 1.2, 1.4)),
        empty=_("No cell count was recorded."))


def _chart(rev, facts: Facts) -> Section:
    batch = rev.batch
    superseded = {c.supersedes_id for c in facts.counts if c.supersedes_id}
    # The cultured cells by culture day, as the batch page plots them: the mononuclear cells
    # seeded on day 0 are another population (most never adhere), not the curve's start.
    if batch.seeded_at is None:
        points = ()
    else:
        points = tuple(
            (elapsed_days(batch.seeded_at, c.counted_at), float(c.viable_cells),
             c.passage_number) for c in facts.counts
            if c.id not in superseded and not c.is_void)
    return Section(_("Growth"), chart=ChartData(
        points, float(rev.order.target_cells), _("Culture day"), _("Viable cells (log scale)"),
        _("Target"), _("No cell counts")))


def _changes(facts: Facts, zone) -> Section:
    rows = tuple(Row((c.record, c.field, c.old, c.new, c.who, local(c.when, zone), c.reason),
                     "amended", f"change:{index}") for index, c in enumerate(facts.changes))
    return Section(_("Values changed after first entry"), key="changes", table=TableData(
        (_("Record"), _("Field"), _("Old"), _("New"), _("Who"), _("When"), _("Why")), rows,
        (1.2, 1, 1, 1, 1, 1.2, 1.8)), empty=_("No value was changed after its first entry."))


def superseded_signatures(rev, facts: Facts) -> dict[int, str]:
    """Signatures whose record changed after they were given, by id, with the record's name:
    a signature covers the content it was given for, not what the record says now."""
    found = {}
    for step in facts.steps:
        signature = facts.signatures.get(step.verification_signature_id)
        if signature is not None and not is_intact(signature, step_signature_content(step)):
            found[signature.id] = _step_name(step.kind)
    for deviation in rev.deviations:
        signature = facts.signatures.get(deviation.closure_signature_id)
        if signature is not None and not is_intact(signature, closure_content(deviation)):
            found[signature.id] = _("Deviation %(number)s", number=deviation.number)
    return found


def _signatures(rev, decision, zone, facts: Facts) -> Section:
    rows, superseded = [], superseded_signatures(rev, facts)
    # Translated once per kind of step and meaning, not once per row.
    step_names = {kind: _step_name(kind) for kind in {step.kind for step in facts.steps}}
    meanings = {meaning: meaning_label(meaning) for meaning in
                {"performed"} | {s.meaning for s in facts.signatures.values()}}
    for step in facts.steps:
        name = step_names[step.kind]
        rows.append(Row((name, meanings["performed"], name_of(facts, step.performed_by_id),
                         local(step.performed_at, zone)), "amended" if step.is_void else None,
                        f"step:{step.id}"))
        signature = facts.signatures.get(step.verification_signature_id)
        if signature is not None:
            rows.append(_signature_row(name, meanings[signature.meaning], signature, zone,
                                       signature.id in superseded))
    for d in rev.deviations:
        signature = facts.signatures.get(d.closure_signature_id)
        if signature is not None:
            rows.append(_signature_row(_("Deviation %(number)s", number=d.number),
                                       meaning_label(signature.meaning), signature, zone,
                                       signature.id in superseded))
    signature = decision.signature
    rows.append(Row((_("Batch %(batch)s", batch=rev.batch.batch_number),
                     meaning_label(signature.meaning), signature.printed_name,
                     local(signature.signed_at, zone)), "exceptional" if decision.exceptional
                    else ("fail" if decision.decision == "rejected" else "ok")))
    return Section(_("Signatures"), key="signatures", table=TableData(
        (_("Record"), _("Meaning"), _("Printed name"), _("Date and time")), tuple(rows),
        (1.5, 1.5, 1.5, 1.2)))


def _signature_row(record: str, meaning: str, signature, zone, superseded: bool) -> Row:
    if superseded:
        meaning = _("%(meaning)s — SUPERSEDED: the record changed afterwards", meaning=meaning)
    return Row((record, meaning, signature.printed_name, local(signature.signed_at, zone)),
               "fail" if superseded else None, f"signature:{signature.id}")


def _step_name(kind: str) -> str:
    return _("Step: %(kind)s", kind=kind.replace("_", " "))


def _audit(decision, head_seq: int) -> Section:
    anchor = checkpoint_from_json(decision.audit_checkpoint or "")
    return Section(_("Audit trail"), facts=(
        (_("Audit-chain position at the decision"), str(head_seq)),
        (_("Audit-chain hash at the decision"), grouped_hash(decision.audit_head_hash)),
    ), paragraphs=(Flagged(_("The SHA-256 of this file is stored with the decision in "
                             "LabTrack; a copy whose hash differs is not this record.")),
                   *_checkpoint_lines(anchor)))


def _checkpoint_lines(anchor) -> tuple[Flagged, ...]:
    """The decision's audit checkpoint, as ``labtrack audit-verify --record`` reads it."""
    if anchor is None:
        return ()
    token = anchor.token
    spaced = " ".join(token[i:i + 40] for i in range(0, len(token), 40))
    return (Flagged(_("Audit checkpoint at the decision (seq %(seq)s, %(at)s, key %(key)s), "
                      "checked against the trail by labtrack audit-verify --record:",
                      seq=anchor.seq, at=anchor.at, key=anchor.key_id)),
            Flagged(spaced))


def grouped_hash(value: str | None) -> str:
    """A hash in groups of eight characters, so a line breaks between groups, never
    inside one (``9f2c4e0b 7a1d3c5e …``)."""
    if not value:
        return "—"
    return " ".join(value[i:i + 8] for i in range(0, len(value), 8))
