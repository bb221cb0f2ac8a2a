"""Translated words for quality: QC verdicts, deviations, the release checklist."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal, InvalidOperation

from labtrack.culture.terms import state_label
from labtrack.qms.rules.specification import describe_limit
from labtrack.qms.specifications import as_domain
from labtrack.web.i18n import gettext as _
from labtrack.web.i18n import label_for, message_for
from labtrack.web.i18n import lazy_gettext as _l
from labtrack.web.templating import cells, exact_number

VERDICT_LABELS = {
    "pass": _l("Pass"),
    "fail": _l("Fail"),
    "pending": _l("Pending"),
}


SEVERITY_LABELS = {
    "minor": _l("Minor"),
    "major": _l("Major"),
    "critical": _l("Critical"),
}


DEVIATION_STATUS_LABELS = {
    "open": _l("Open"),
    "investigating": _l("Under investigation"),
    "closed": _l("Closed"),
}


DEVIATION_KIND_LABELS = {
    "process": _l("Process"),
    "equipment": _l("Equipment"),
    "material": _l("Material"),
    "environment": _l("Environment"),
    "documentation": _l("Documentation"),
    "out_of_specification": _l("Out of specification"),
    "general": _l("Other"),
    "sample_acceptance": _l("Sample acceptance"),
    "protocol_window": _l("Step outside its protocol window"),
}


CHECKLIST_MESSAGES = {
    "state.ok": _l("The batch is awaiting release."),
    "state.not_awaiting_release": _l(
        "The batch is %(state)s; only a batch awaiting release can be released."),
    "qc.ok": _l("Every mandatory QC result is present and within specification."),
    "qc.out_of_specification": _l(
        "%(name)s is out of specification: %(result)s (limit %(limit)s)."),
    "qc.missing": _l("%(name)s has no result yet."),
    "qc.pending": _l(
        "%(name)s is pending; the release record will show it was pending at release."),
    "qc.informational_out_of_limit": _l(
        "%(name)s (for information) is outside its limit: %(result)s (limit %(limit)s)."),
    "qc.verdict_disagrees": _l(
        "%(name)s was recorded as %(stored)s, but its result %(result)s (limit %(limit)s) is "
        "%(verdict)s against the specification: the record changed after entry. Investigate "
        "before release."),
    "deviations.ok": _l("No major or critical deviation is open."),
    "deviations.open": _l("Deviation %(number)s (%(severity)s) is still open: %(title)s."),
    "deviations.open_minor": _l("Minor deviation %(number)s is still open: %(title)s."),
    "dose_levels.none_ordered": _l("The order names no disc level."),
    "dose_levels.ok": _l("There is one dose for each ordered disc level."),
    "dose_levels.missing": _l("There is no dose for disc level %(level)s."),
    "dose_levels.duplicate": _l("There is more than one dose for disc level %(level)s."),
    "dose_levels.extra": _l(
        "Dose %(dose_code)s is for disc level %(level)s, which was not ordered."),
    "dose_cells.ok": _l("Every dose holds the ordered viable cells within tolerance."),
    "dose_cells.below_range": _l(
        "The dose for %(level)s holds %(viable_cells)s viable cells, below the ordered "
        "%(cells_per_disc)s ± %(tolerance_percent)s %%."),
    "dose_cells.above_range": _l(
        "The dose for %(level)s holds %(viable_cells)s viable cells, above the ordered "
        "%(cells_per_disc)s ± %(tolerance_percent)s %%."),
    "dose_expiry.ok": _l("No dose has expired."),
    "dose_expiry.expired": _l("The dose for %(level)s expired at %(expires_at)s."),
    "authorisation.ok": _l("The authorisation covers every ordered disc level."),
    "authorisation.missing": _l("No AEMPS authorisation is recorded for this treatment."),
    "authorisation.level_not_covered": _l(
        "Authorisation %(reference)s does not cover disc level %(level)s."),
    "authorisation.not_yet_granted": _l(
        "Authorisation %(reference)s is dated in the future (%(granted_on)s)."),
    "authorisation.expired": _l("Authorisation %(reference)s expired on %(expires_on)s."),
    "verification.ok": _l("Every critical step was verified by a second person."),
    "verification.step_unverified": _l(
        "%(step)s performed at %(performed_at)s has not been verified by a second person; "
        "verify it before release."),
    "four_eyes.ok": _l("The releasing person took no part in making or testing the batch."),
    "four_eyes.releaser_took_part": _l(
        "The releasing person performed, verified or entered results for this batch; "
        "another QA person must release it."),
}


SPEC_PROBLEM_MESSAGES = {
    "spec.empty": _l("A specification needs at least one test."),
    "spec.duplicate_code": _l("The code of %(name)s appears more than once."),
    "spec.missing_code": _l("A test has no code."),
    "spec.missing_name": _l("Test %(test)s has no name."),
    "spec.unknown_kind": _l("%(name)s has an unknown kind."),
    "spec.missing_unit": _l("%(name)s is numeric but has no unit."),
    "spec.missing_limit": _l("%(name)s is numeric but has no limit."),
    "spec.accepted_values_on_numeric": _l("%(name)s is numeric but lists accepted results."),
    "spec.limits_inverted": _l("%(name)s has a lower limit above its upper limit."),
    "spec.limits_empty": _l("%(name)s has limits no result can meet."),
    "spec.missing_accepted_values": _l("%(name)s is qualitative but accepts no result."),
    "spec.limits_on_qualitative": _l("%(name)s is qualitative but has numeric limits."),
}


def checklist_message(item, params: dict | None = None) -> str:
    """A release checklist item (domain ChecklistItem) in the reader's language."""
    params = dict(item.params if params is None else params)
    if "state" in params:
        params["state"] = state_label(params["state"]).lower()
    for key in ("stored", "verdict"):
        if key in params:
            params[key] = verdict_text(params[key]).lower()
    if "severity" in params:
        params["severity"] = severity_text(params["severity"]).lower()
    params.setdefault("number", params.get("deviation_id"))
    params.setdefault("dose_code", params.get("dose_id"))
    return message_for(CHECKLIST_MESSAGES, item.code, params, item.message)


def spec_problem_message(problem) -> str:
    """Why a specification edit cannot be saved (a domain SpecProblem), translated."""
    params = {"name": problem.params.get("name") or problem.params.get("test") or "?",
              "test": problem.params.get("test") or "?"}
    return message_for(SPEC_PROBLEM_MESSAGES, problem.code, params, problem.message)


def verdict_text(verdict: str) -> str:
    return label_for(VERDICT_LABELS, verdict)


def severity_text(severity: str) -> str:
    return label_for(SEVERITY_LABELS, severity)


def status_text(status: str) -> str:
    """The translated status of a deviation."""
    return label_for(DEVIATION_STATUS_LABELS, status)


def deviation_kind_text(kind: str) -> str:
    return label_for(DEVIATION_KIND_LABELS, kind)


def limit_text(test) -> str:
    """A specification test's limit in the screen language: "< 0,5 EU/mL" in Spanish."""
    return describe_limit(as_domain(test), exact_number,
                          (_("or"), _("and"), _("no limit")))


def local_numbers(params: dict, lines) -> dict:
    """A checklist item's numbers as the screen language writes them: its cells, and the
    QC result and limit of its test (one of ``lines``, the batch's result lines)."""
    for key in ("viable_cells", "cells_per_disc"):
        if key in params:
            params[key] = cells(params[key])
    line = next((line for line in lines if line.test.code == params.get("test")), None)
    if line is not None:
        params["limit"] = limit_text(line.test)
        # a qualitative result ("no growth") or none yet is shown as it is
        with suppress(InvalidOperation, TypeError, KeyError):
            params["result"] = exact_number(Decimal(params["result"]))
    return params
