"""Translated names of batch states, step kinds, task statuses and count methods."""

from __future__ import annotations

from decimal import Decimal

from labtrack.culture.rules.counting import CountMethod
from labtrack.culture.rules.protocol import COUNT_TASK, StepKind
from labtrack.culture.rules.states import BatchState
from labtrack.web.i18n import label_for
from labtrack.web.i18n import lazy_gettext as _l
from labtrack.web.templating import number

STATE_LABELS = {
    BatchState.IN_CULTURE: _l("In culture"),
    BatchState.HARVESTED: _l("Harvested"),
    BatchState.AWAITING_RELEASE: _l("Awaiting release"),
    BatchState.RELEASED: _l("Released"),
    BatchState.REJECTED: _l("Rejected"),
    BatchState.ON_HOLD: _l("On hold"),
    BatchState.TERMINATED: _l("Terminated"),
    BatchState.COMPLETED: _l("Completed"),
}


TRANSITION_REFUSALS = {
    "transition.terminal_state": _l("A batch that is %(current)s can no longer change state."),
    "transition.not_allowed": _l("A batch that is %(current)s cannot move to %(target)s."),
    "transition.role_not_allowed": _l(
        "Your role may not move a batch from %(current)s to %(target)s."),
    "transition.resume_state_unknown": _l(
        "The state the batch was held from is not known, so the hold cannot be lifted."),
    "transition.resume_state_mismatch": _l(
        "A batch held while %(resume_state)s can only return to %(resume_state)s."),
    "transition.reason_required": _l("A reason is required for this change of state."),
}


def state_label(state: str) -> str:
    """The translated name of a batch state."""
    return label_for(STATE_LABELS, state)


def transition_refusal(error) -> str:
    """A translated message for a refused batch transition."""
    params = {key: state_label(value) if key in ("current", "target", "resume_state") else value
              for key, value in error.params.items()}
    template = TRANSITION_REFUSALS.get(error.code)
    return str(template) % params if template else error.message


STEP_KIND_LABELS = {
    StepKind.ISOLATION: _l("Mononuclear-cell isolation"),
    StepKind.SEEDING: _l("Seeding"),
    StepKind.NON_ADHERENT_REMOVAL: _l("Removal of non-adherent cells"),
    StepKind.MEDIUM_CHANGE: _l("Medium change"),
    StepKind.OBSERVATION: _l("Observation"),
    StepKind.PASSAGE: _l("Passage"),
    StepKind.HARVEST: _l("Harvest"),
    "formulation": _l("Formulation"),
    COUNT_TASK: _l("Cell count"),
}


TASK_STATUS_LABELS = {
    "upcoming": _l("Upcoming"),
    "due": _l("Due"),
    "overdue": _l("Overdue"),
}


COUNT_METHOD_LABELS = {
    CountMethod.HAEMOCYTOMETER: _l("Haemocytometer (trypan blue)"),
    CountMethod.AUTOMATED: _l("Automated counter"),
}


def step_kind_label(kind: str) -> str:
    """The translated name of a culture step."""
    return label_for(STEP_KIND_LABELS, kind)


def task_status_label(status: str) -> str:
    """The translated name of a protocol task's status."""
    return label_for(TASK_STATUS_LABELS, status)


def count_method_label(method: str) -> str:
    """The translated name of a counting method."""
    return label_for(COUNT_METHOD_LABELS, method)


COUNTER_FILE_REFUSALS = {  # keyed by counter_files.FileRefused codes
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than a counter export can be."),
    "encoding": _l("The file's text is damaged: it cannot be read as UTF-8 or UTF-16."),
    "not_text": _l("This is not a text file, so not a counter export."),
    "unknown_kind": _l("This is not a cell counter export LabTrack reads (NucleoCounter "
                       "NC-202 or NC-200, Vi-CELL BLU or XR)."),
    "truncated": _l("The file stops in the middle of a count (line %(line)s): it was cut "
                    "short. Export it again from the counter."),
    "short_row": _l("Line %(line)s has fewer columns than the header."),
    "no_rows": _l("The file has a header but no counts."),
    "bad_number": _l("Line %(line)s, %(column)s: %(value)s is not a number."),
    "ambiguous_number": _l("Line %(line)s, %(column)s: %(value)s could be read two ways "
                           "(a thousands separator or a decimal comma)."),
    "negative": _l("Line %(line)s, %(column)s: %(value)s is negative."),
    "implausible": _l("Line %(line)s, %(column)s: %(value)s is beyond what a counter "
                      "measures."),
    "bad_time": _l("Line %(line)s, %(column)s: %(value)s is not a date and time LabTrack "
                   "can read without doubt."),
    "missing_value": _l("Line %(line)s has no value for %(column)s."),
    "live_above_total": _l("Line %(line)s gives more live cells than cells in total."),
}

IMPORT_WARNING_LABELS = {  # keyed by counter_import.ImportWarning codes
    "instrument": _l("The counter warned: %(detail)s"),
    "reanalysed": _l("Reanalysed: the counter's images were analysed again after the count."),
    "viability_out_of_range": _l("Viability %(detail)s %% is outside the specification."),
    "viability_mismatch": _l("The file's viability (%(detail)s %%) does not match its live "
                             "and dead cells."),
    "no_time": _l("The file gives no time for this count: the time of the import is used."),
}


def counter_file_refusal(error) -> str:
    """The translated reason a counter file was refused."""
    template = COUNTER_FILE_REFUSALS.get(error.code)
    return str(template) % error.params if template else str(error)


NUMERIC_WARNINGS = ("viability_out_of_range", "viability_mismatch")  # detail: "94.5"


def import_warning_label(warning) -> str:
    """The translated text of a warning shown before a counter file's import (a viability
    in it as the screen language writes it: "94,5 %")."""
    detail = warning.detail
    if warning.code in NUMERIC_WARNINGS:
        detail = number(Decimal(detail), 1)
    return str(IMPORT_WARNING_LABELS[warning.code]) % {"detail": detail}
