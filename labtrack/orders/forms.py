"""Patient registration and treatment order forms (clinicians)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from labtrack.orders.orders import AuthorisationData, OrderData, PatientData
from labtrack.orders.rules.disc_levels import DISC_LEVELS
from labtrack.orders.terms import SEX_LABELS
from labtrack.web.fields import DecimalField

MILLION = 1_000_000
NO_AUTOCOMPLETE = {"autocomplete": "off", "spellcheck": "false"}


def cells_from_millions(millions: Decimal | None) -> int:
    """Cells from a number entered in millions (× 10⁶): Decimal('20.5') → 20500000."""
    if millions is None:
        return 0
    return int((Decimal(millions) * MILLION).to_integral_value())


def millions_from_cells(cells: int) -> Decimal:
    """The number shown in a field that is entered in millions: 20000000 → Decimal('20')."""
    value = Decimal(cells) / MILLION
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def finite_decimal(places: int):
    """Validator: a finite number with at most ``places`` decimal places (stops the chain)."""

    def check(form, field):
        value = field.data
        if value is None:
            return
        if not value.is_finite():
            raise StopValidation(_l("Enter a number."))
        if value.as_tuple().exponent < -places:
            raise StopValidation(_l("Use at most %(places)d decimal places.", places=places))

    return check


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _sex_field(validators):
    choices = [SelectChoice("", "—")] + [SelectChoice(key, label)
                                         for key, label in SEX_LABELS.items()]
    return SelectField(_l("Sex"), choices=choices, validators=validators)


def _levels_field(label, description=None):
    return MultiCheckboxField(label, choices=[SelectChoice(level, level) for level in DISC_LEVELS],
                              description=description)


class PatientForm(FlaskForm):
    """Register a patient."""

    record_number = StringField(_l("Hospital record number"),
                                validators=[DataRequired(), Length(max=32)],
                                render_kw=NO_AUTOCOMPLETE)
    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name"), validators=[DataRequired(), Length(max=100)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    sex = _sex_field([DataRequired(_l("Choose the patient's sex."))])

    def patient_data(self) -> PatientData:
        return PatientData(self.record_number.data, self.given_name.data,
                           self.family_name.data, self.date_of_birth.data, self.sex.data)


class OrderForm(FlaskForm):
    """A treatment order; a new patient may be registered with it."""

    record_number = StringField(
        _l("Hospital record number"), validators=[DataRequired(), Length(max=32)],
        description=_l("An existing patient, or a new one registered with the fields below."),
        render_kw=NO_AUTOCOMPLETE)
    given_name = StringField(_l("Given name"), validators=[Optional(), Length(max=100)])
    family_name = StringField(_l("Family name"), validators=[Optional(), Length(max=100)])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    sex = _sex_field([Optional()])

    disc_levels = _levels_field(_l("Disc levels to treat"),
                                _l("One dose per disc level."))
    cells_per_disc = DecimalField(
        _l("Viable cells per disc (millions, × 10⁶)"), places=None,
        validators=[InputRequired(), finite_decimal(2), NumberRange(min=0, max=100_000)])
    tolerance_percent = IntegerField(_l("Tolerance (± %)"),
                                     validators=[InputRequired(), NumberRange(min=0, max=50)])
    qc_reserve_cells = DecimalField(
        _l("Cells reserved for QC (millions, × 10⁶)"), places=None,
        validators=[Optional(), finite_decimal(2), NumberRange(min=0, max=100_000)])
    planned_procedure_date = DateField(_l("Planned procedure date"),
                                       validators=[InputRequired()])
    treating_clinician_id = SelectField(_l("Treating clinician"), coerce=int, choices=[],
                                        validators=[InputRequired()])

    authorisation_reference = StringField(
        _l("AEMPS authorisation reference"), validators=[Optional(), Length(max=64)],
        description=_l("No batch can start until an authorisation covering every disc "
                       "level is recorded."), render_kw=NO_AUTOCOMPLETE)
    authorisation_granted_on = DateField(_l("Date granted"), validators=[Optional()])
    authorisation_levels = _levels_field(_l("Disc levels authorised"))
    authorisation_expires_on = DateField(_l("Valid until (optional)"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])

    def has_new_patient(self) -> bool:
        """True when any of the new patient's details were entered."""
        fields = (self.given_name, self.family_name, self.date_of_birth, self.sex)
        return any(field.data or any(field.raw_data or ()) for field in fields)

    def patient_data(self) -> PatientData:
        return PatientData(self.record_number.data, self.given_name.data or "",
                           self.family_name.data or "", self.date_of_birth.data,
                           self.sex.data or "")

    def order_data(self) -> OrderData:
        return OrderData(
            disc_levels=list(self.disc_levels.data or []),
            cells_per_disc=cells_from_millions(self.cells_per_disc.data),
            tolerance_percent=self.tolerance_percent.data,
            qc_reserve_cells=cells_from_millions(self.qc_reserve_cells.data),
            planned_procedure_date=self.planned_procedure_date.data,
            treating_clinician_id=self.treating_clinician_id.data,
            authorisation_reference=self.authorisation_reference.data,
            authorisation_granted_on=self.authorisation_granted_on.data,
            authorisation_levels=list(self.authorisation_levels.data or []) or None,
            authorisation_expires_on=self.authorisation_expires_on.data,
            notes=self.notes.data,
        )


class AuthorisationForm(FlaskForm):
    """Record, renew or correct an order's AEMPS authorisation (the reason is audited)."""

    authorisation_reference = StringField(
        _l("AEMPS authorisation reference"), validators=[DataRequired(), Length(max=64)],
        render_kw=NO_AUTOCOMPLETE)
    authorisation_granted_on = DateField(_l("Date granted"), validators=[InputRequired()])
    authorisation_levels = _levels_field(_l("Disc levels authorised"))
    authorisation_expires_on = DateField(_l("Valid until (optional)"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)],
                           description=_l("Why is the authorisation recorded or changed? It is "
                                          "kept in the audit trail."))

    def authorisation_data(self) -> AuthorisationData:
        return AuthorisationData(self.authorisation_reference.data,
                                 self.authorisation_granted_on.data,
                                 list(self.authorisation_levels.data or []) or None,
                                 self.authorisation_expires_on.data)


class PatientSearchForm(FlaskForm):
    """Find a patient by record number or name (GET: changes nothing, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Record number or name"), validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", **NO_AUTOCOMPLETE})


REASON_HELP = _l("Kept in the audit trail and shown in the record's history.")


class OrderCorrectionForm(FlaskForm):
    """Move the procedure, hand the order over, or change the levels before a batch starts."""

    planned_procedure_date = DateField(_l("Planned procedure date"),
                                       validators=[InputRequired()])
    treating_clinician_id = SelectField(_l("Treating clinician"), coerce=int, choices=[],
                                        validators=[InputRequired()])
    disc_levels = _levels_field(_l("Disc levels to treat"),
                                _l("Can change only while no batch has started."))
    reason = TextAreaField(_l("Reason for the change"),
                           validators=[DataRequired(), Length(max=1000)], description=REASON_HELP)


class CancelOrderForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling the order"),
                           validators=[DataRequired(), Length(max=1000)], description=REASON_HELP)


class PatientCorrectionForm(FlaskForm):
    """Correct a patient's demographics; the hospital record number stays."""

    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name"), validators=[DataRequired(), Length(max=100)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    sex = _sex_field([DataRequired(_l("Choose the patient's sex."))])
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[DataRequired(), Length(max=1000)], description=REASON_HELP)
