"""Forms of the follow-up: a visit's scores and MRI, an adverse event, each correction."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from labtrack.clinic.rules.adverse_events import Action, Causality, Outcome, Seriousness, Severity
from labtrack.clinic.rules.followup import PFIRRMANN_GRADES, ROMAN, Analgesics, Pgic
from labtrack.clinic.rules.odi import SECTION_MAX, SECTIONS
from labtrack.clinic.terms import AE_LABELS, FOLLOWUP_LABELS

ODI_SECTIONS = (_l("Pain intensity"), _l("Personal care"), _l("Lifting"), _l("Walking"),
                _l("Sitting"), _l("Standing"), _l("Sleeping"), _l("Sex life"),
                _l("Social life"), _l("Travelling"))
SKIPPED = ""


def _choices(kind, labels: dict, blank: str | None = None) -> list[SelectChoice]:
    """The enum's members with their lazy labels (translated when the form is shown, in
    the reader's language, not once at import)."""
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(member.value, labels.get(member.value, member.value))
                   for member in kind]


class DiscForm(Form):
    """MRI findings for one treated disc (all optional)."""

    disc_level = HiddenField()
    pfirrmann_grade = SelectField(_l("Pfirrmann grade"), choices=[SelectChoice("", "—")] + [
        SelectChoice(str(grade), ROMAN[grade]) for grade in PFIRRMANN_GRADES], default="")
    disc_height_mm = StringField(_l("Disc height (mm)"), validators=[Optional(), Length(max=10)])
    t2_signal = StringField(_l("T2 signal or water content"),
                            validators=[Optional(), Length(max=10)])


class VisitForm(FlaskForm):
    """One follow-up visit: pain, ODI 2.1a, PGIC, analgesics, MRI per disc, notes."""

    visit_key = SelectField(_l("Visit"), choices=[], validators=[DataRequired()])
    visit_date = DateField(_l("Date of the visit"), validators=[DataRequired()])
    back_pain = IntegerField(_l("Low back pain"), validators=[Optional()])
    leg_pain = IntegerField(_l("Leg pain"), validators=[Optional()])
    odi = FieldList(SelectField(choices=[SelectChoice(SKIPPED, "—")] + [
        SelectChoice(str(score), str(score)) for score in range(SECTION_MAX + 1)], default=SKIPPED),
        min_entries=SECTIONS, max_entries=SECTIONS)
    pgic = SelectField(_l("Patient's global impression of change"), default="",
                       choices=_choices(Pgic, FOLLOWUP_LABELS, "—"))
    analgesics = SelectField(_l("Analgesic use"), default="",
                             choices=_choices(Analgesics, FOLLOWUP_LABELS, "—"))
    discs = FieldList(FormField(DiscForm), min_entries=0, max_entries=5)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class CorrectVisitForm(VisitForm):
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[DataRequired(), Length(max=2000)])


class EventForm(FlaskForm):
    """An adverse event as the treating clinician reports it."""

    onset_date = DateField(_l("Onset"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"), validators=[DataRequired(),
                                                               Length(max=4000)])
    criteria = SelectMultipleField(
        _l("Seriousness criteria (none: not serious)"),
        choices=_choices(Seriousness, AE_LABELS), widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(), validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=_choices(Severity, AE_LABELS))
    causality_product = SelectField(_l("Causality to the cell product (WHO-UMC)"),
                                    choices=_choices(Causality, AE_LABELS))
    causality_procedure = SelectField(_l("Causality to the procedure (WHO-UMC)"),
                                      choices=_choices(Causality, AE_LABELS))
    action_taken = SelectField(_l("Action taken"), choices=_choices(Action, AE_LABELS))
    outcome = SelectField(_l("Outcome"), choices=_choices(Outcome, AE_LABELS))
    disc_level = SelectField(_l("Disc level (when one dose is suspected)"), choices=[],
                             default="")


class CorrectEventForm(EventForm):
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[DataRequired(), Length(max=2000)])
