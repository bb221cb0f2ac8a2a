"""Forms for QC results, deviations and the QA decision (each decision form signs)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from labtrack.accounts.signature_form import SignatureForm
from labtrack.qms.deviations import KINDS
from labtrack.quality.terms import DEVIATION_KIND_LABELS, SEVERITY_LABELS
from labtrack.web.fields import lab_time_field


class ResultForm(FlaskForm):
    """A QC result; the test's method is suggested, the analyst names who ran it."""

    test_code = SelectField(_l("Test"), choices=[], validators=[DataRequired()])
    value = StringField(_l("Result"), validators=[DataRequired(), Length(max=200)],
                        description=_l("A number for numeric tests (e.g. 98.5); the observed "
                                       "result for the others (e.g. no growth)."))
    method = StringField(_l("Method"), validators=[DataRequired(), Length(max=100)])
    instrument = StringField(_l("Instrument"), validators=[Optional(), Length(max=100)])
    analyst = StringField(_l("Analyst (who ran the test)"),
                          validators=[DataRequired(), Length(max=200)])
    tested_at = lab_time_field(_l("Tested (date and time)"))


class ResultRowForm(Form):
    """One row of the results grid: a test of the batch's specification (method, unit and
    limit shown from it); a row left without a result stays pending."""

    test_code = HiddenField()
    value = StringField(_l("Result"), validators=[Optional(), Length(max=200)])
    instrument = StringField(_l("Instrument"), validators=[Optional(), Length(max=100)])
    analyst = StringField(_l("Analyst (who ran the test)"),
                          validators=[Optional(), Length(max=200)])
    tested_at = lab_time_field(_l("Tested (date and time)"), required=False,
                               validators=[Optional()])


class ResultsGridForm(FlaskForm):
    """Every result a batch awaits, entered in one submit."""

    rows = FieldList(FormField(ResultRowForm))


class AmendResultForm(ResultForm):
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[DataRequired(), Length(max=1000)],
                           description=_l("Kept in the audit trail and on the release record."))


class DeviationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, DEVIATION_KIND_LABELS[k])
                                            for k in KINDS], validators=[DataRequired()])
    severity = SelectField(_l("Severity"), choices=[SelectChoice(k, label) for k, label
                                                    in SEVERITY_LABELS.items()],
                           validators=[DataRequired()],
                           description=_l("An open major or critical deviation blocks release."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What happened"), validators=[DataRequired(),
                                                                 Length(max=4000)])
    immediate_action = TextAreaField(_l("Immediate action taken"),
                                     validators=[Optional(), Length(max=4000)])


class InvestigationForm(FlaskForm):
    root_cause = TextAreaField(_l("Root cause"), validators=[Optional(), Length(max=4000)])
    impact = TextAreaField(_l("Impact on the product and the patient"),
                           validators=[Optional(), Length(max=4000)])
    corrective_actions = TextAreaField(_l("Corrective actions"),
                                       validators=[Optional(), Length(max=4000)])
    preventive_actions = TextAreaField(_l("Preventive actions"),
                                       validators=[Optional(), Length(max=4000)])
    reason = TextAreaField(_l("Reason for changing a recorded finding"),
                           validators=[Optional(), Length(max=1000)],
                           description=_l("Needed only when you change what was recorded."))


class CloseDeviationForm(SignatureForm):
    """Closing signs with meaning "closed"."""


class ReleaseForm(SignatureForm):
    version = HiddenField()  # the batch version reviewed; checked by the release service


class ExceptionalReleaseForm(ReleaseForm):
    clinician_request = TextAreaField(
        _l("The treating clinician's documented request"),
        validators=[DataRequired(), Length(max=4000)],
        description=_l("Who asked, when, how it is documented, and the immediate significant "
                       "risk to the patient it avoids."))
    risk_assessment = TextAreaField(
        _l("QA risk assessment"), validators=[DataRequired(), Length(max=4000)],
        description=_l("The out-of-specification results, their risk, and why supplying the "
                       "product is acceptable."))


class RejectForm(ReleaseForm):
    reason = TextAreaField(_l("Reason for rejecting the batch"),
                           validators=[DataRequired(), Length(max=4000)])


class QueueFilterForm(FlaskForm):
    """The deviations list's status filter (a GET form)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validators=[Optional()],
                         validate_choice=False)


def version_field_value(form: ReleaseForm) -> int | None:
    """The batch version the reviewer saw, or None when it was tampered with."""
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return None

