"""Review by exception: what page 1 of the release record lists, from each of its sources.

``exceptions`` gathers every exception a reviewer must look at; each source below is a
small function ``(ctx) -> list[Flagged]`` giving the exceptions of one kind, each pointing
to the section or table row with its detail (a key; the record prints "see page N").
A new kind of exception is a new source added to ``SOURCES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from labtrack.accounts.terms import meaning_label
from labtrack.culture import formulation_corrections
from labtrack.culture.plausibility import plausibility_exceptions
from labtrack.culture.steps import WINDOW_DEVIATION_KIND
from labtrack.culture.terms import step_kind_label
from labtrack.qms import specifications as versions
from labtrack.qms.rules.specification import InvalidResult, Verdict, evaluate
from labtrack.quality import qc as quality
from labtrack.quality.record_facts import Change, Facts, local, result_text
from labtrack.quality.record_pdf.release_record import Flagged
from labtrack.quality.rules.record import ChangeKind
from labtrack.quality.rules.release import ItemKind
from labtrack.quality.terms import severity_text, status_text, verdict_text

KIND_FLAGS = {ItemKind.SPECIFICATION: "fail", ItemKind.REQUIREMENT: "fail",
              ItemKind.PENDING: "pending", ItemKind.NOTE: "pending"}


@dataclass(frozen=True)
class Context:
    """What the sources read: the review, the decision, the record's facts, the lab zone,
    and the signatures superseded by a later change (id → the record's name)."""

    rev: object
    decision: object
    facts: Facts
    zone: object
    superseded: dict[int, str]


def exceptions(ctx: Context) -> tuple[Flagged, ...]:
    """Every exception of the batch, source by source (see ``SOURCES``)."""
    return tuple(line for source in SOURCES for line in source(ctx))


# --- the sources --------------------------------------------------------------------------


def exceptional_release(ctx: Context) -> list[Flagged]:
    """An out-of-specification product released at the clinician's documented request."""
    if not ctx.decision.exceptional:
        return []
    return [Flagged(_("Exceptional release of an out-of-specification product at the "
                      "treating clinician's documented request."), "exceptional")]


def checklist_items(ctx: Context) -> list[Flagged]:
    """Every unmet item of the release checklist: failed or missing results, results
    pending at release, open deviations, doses out of range, the authorisation… (an open
    deviation of an out-of-window step is that step's line)."""
    windows = _window_deviations(ctx)
    return [Flagged(ctx.rev.message(item), KIND_FLAGS[item.kind], _item_target(item))
            for item in ctx.rev.items
            if not item.ok and item.params.get("deviation_id") not in windows]


def verdicts_that_disagree(ctx: Context) -> list[Flagged]:
    """QC results whose stored verdict differs from their evaluation now, against the
    batch's specification version (a verdict stored wrongly, or a limit changed since)."""
    found = []
    for line in ctx.rev.lines:
        now = evaluated_again(line)
        if line.result is not None and now != line.verdict:
            found.append(Flagged(_(
                "%(test)s: the stored verdict %(stored)s disagrees with the specification, "
                "which gives %(now)s for %(result)s.", test=line.test.name,
                stored=verdict_text(line.verdict).upper(),
                now=verdict_text(now).upper() if now else _("no verdict"),
                result=result_text(line.result)), "fail", f"qc:{line.test.code}"))
    return found


def out_of_window_steps(ctx: Context) -> list[Flagged]:
    """Steps done outside their protocol window (each with the deviation it opened)."""
    windows = _window_deviations(ctx)
    return [_window_line(step, windows[step.deviation_id], ctx.zone)
            for step in ctx.facts.steps if step.deviation_id in windows]


def _window_line(step, deviation, zone) -> Flagged:
    flag = None if deviation.status == "closed" else (
        "pending" if deviation.severity == "minor" else "fail")
    return Flagged(_("Step outside its protocol window: %(step)s at %(when)s, deviation "
                     "%(number)s (%(severity)s, %(status)s): %(title)s",
                     step=step_kind_label(step.kind), when=local(step.performed_at, zone),
                     number=deviation.number, severity=severity_text(deviation.severity),
                     status=status_text(deviation.status), title=deviation.title),
                   flag, f"deviation:{deviation.id}")


def deviations(ctx: Context) -> list[Flagged]:
    """Every deviation of the batch not already listed (by the checklist as open, or as
    an out-of-window step's): each is listed once."""
    named = {item.params.get("deviation_id") for item in ctx.rev.items if not item.ok}
    named |= set(_window_deviations(ctx))
    return [Flagged(_("Deviation %(number)s (%(severity)s, %(status)s): %(title)s",
                      number=d.number, severity=severity_text(d.severity),
                      status=status_text(d.status), title=d.title),
                    None if d.status == "closed" else "pending", f"deviation:{d.id}")
            for d in ctx.rev.deviations if d.id not in named]


def soft_limit_confirmations(ctx: Context) -> list[Flagged]:
    """Values recorded past a soft limit of the biology or the batch's history, each with
    the warning shown, who confirmed it and why (culture's plausibility rules)."""
    return [Flagged(_("Value past a soft limit: %(what)s of %(value)s, %(when)s (%(warning)s) "
                      "Confirmed by %(who)s: %(reason)s",
                      what=item.what, value=item.value, when=local(item.when, ctx.zone),
                      warning=item.warning.rstrip("."), who=item.who, reason=item.reason),
                    "amended", f"count:{item.count.id}")
            for item in plausibility_exceptions(ctx.rev.batch)]


def corrected_formulations(ctx: Context) -> list[Flagged]:
    """Formulations corrected before release: who, when, why, the doses replaced (their
    labels void) and the doses made, which the record lists."""
    return [Flagged(_("Formulation corrected on %(when)s by %(name)s: %(reason)s. Doses "
                      "replaced (labels void): %(replaced)s; made: %(made)s.",
                      when=local(item.correction.corrected_at, ctx.zone),
                      name=item.correction.corrected_by.full_name,
                      reason=item.correction.reason,
                      replaced=", ".join(d.dose_code for d in item.replaced),
                      made=", ".join(d.dose_code for d in item.made)), "amended", "doses")
            for item in formulation_corrections.corrections(ctx.rev.batch)]


def amended_and_voided_entries(ctx: Context) -> list[Flagged]:
    """Counts and QC results corrected or voided by a newer entry, one line per entry
    with every field that changed; voided culture steps."""
    entries: dict[tuple, list[tuple[int, Change]]] = {}
    for index, change in enumerate(ctx.facts.changes):
        if change.kind != ChangeKind.CHANGED:
            key = (change.kind, change.record, change.who, change.when, change.reason)
            entries.setdefault(key, []).append((index, change))
    lines = [_entry_line(changes) for changes in entries.values()]
    lines += [Flagged(_("Voided entry: %(step)s at %(when)s.", step=step_kind_label(step.kind),
                        when=local(step.performed_at, ctx.zone)), "amended", f"step:{step.id}")
              for step in ctx.facts.steps if step.is_void]
    return lines


def changed_after_entry(ctx: Context) -> list[Flagged]:
    """Values of a record changed in place after their first entry (the audit trail)."""
    return [Flagged(_("Changed after first entry: %(record)s, %(field)s from %(old)s to "
                      "%(new)s (%(reason)s)", record=c.record, field=c.field, old=c.old,
                      new=c.new, reason=c.reason), "amended", f"change:{index}")
            for index, c in enumerate(ctx.facts.changes) if c.kind == ChangeKind.CHANGED]


def superseded_signatures(ctx: Context) -> list[Flagged]:
    """Signatures whose record changed after they were given: to be signed again."""
    signatures = ctx.facts.signatures
    return [Flagged(_("Signature superseded: %(record)s changed after %(name)s signed it "
                      "(%(meaning)s, %(when)s); it must be signed again.", record=record,
                      name=signatures[signature_id].printed_name,
                      meaning=meaning_label(signatures[signature_id].meaning),
                      when=local(signatures[signature_id].signed_at, ctx.zone)),
                    "fail", f"signature:{signature_id}")
            for signature_id, record in ctx.superseded.items()]


SOURCES: tuple[Callable[[Context], list[Flagged]], ...] = (
    exceptional_release, checklist_items, verdicts_that_disagree, out_of_window_steps,
    deviations, soft_limit_confirmations, corrected_formulations, amended_and_voided_entries,
    changed_after_entry,
    superseded_signatures)


# --- helpers ------------------------------------------------------------------------------


def evaluated_again(line) -> Verdict | None:
    """The line's result judged now against its specification test (None: it cannot be
    judged, e.g. a number stored for a qualitative test)."""
    if line.result is None:
        return Verdict.PENDING
    try:
        return evaluate(versions.as_domain(line.test), quality.result_value(line.result))
    except InvalidResult:
        return None


def _window_deviations(ctx: Context) -> dict[int, object]:
    """The batch's deviations opened for a step outside its window, linked to the step."""
    linked = {step.deviation_id for step in ctx.facts.steps}
    return {d.id: d for d in ctx.rev.deviations
            if d.kind == WINDOW_DEVIATION_KIND and d.id in linked}


def _item_target(item) -> str | None:
    """The key of the record's row or section with the checklist item's detail."""
    params = item.params
    if item.code.startswith("authorisation."):
        return "identity"
    if "deviation_id" in params:
        return f"deviation:{params['deviation_id']}"
    if "dose_id" in params:
        return f"dose:{params['dose_id']}"
    if "test" in params:
        return f"qc:{params['test']}"
    if "level" in params:
        return "doses"
    return None


def _entry_line(changes: list[tuple[int, Change]]) -> Flagged:
    index, first = changes[0]
    fields = "; ".join(_("%(field)s from %(old)s to %(new)s", field=c.field, old=c.old,
                         new=c.new) for _index, c in changes)
    text = (_("Voided entry: %(record)s, %(fields)s (%(reason)s)", record=first.record,
              fields=fields, reason=first.reason) if first.kind == ChangeKind.VOIDED else
            _("Amended entry: %(record)s, %(fields)s (%(reason)s)", record=first.record,
              fields=fields, reason=first.reason))
    return Flagged(text, "amended", f"change:{index}")
