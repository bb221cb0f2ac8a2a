"""Harvest and formulation forms (technicians).

Cells are entered in millions (× 10⁶) with decimals, as on every other form; the
services take whole cells (``culture.forms.cells``).
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
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
    ValidationError,
)

from labtrack.culture.forms import MAX_MILLIONS, PlausibilityFields, finite
from labtrack.web.fields import DecimalField, lab_time_field

MIN_VOLUME, MAX_VOLUME = Decimal("0.01"), Decimal("20")


def _millions(label, minimum, required=True, description=None):
    first = InputRequired() if required else Optional()
    return DecimalField(label, places=None, description=description, validators=[
        first, finite, NumberRange(min=minimum, max=MAX_MILLIONS, message=_l(
            "Enter cells in millions, from %(min)s to %(max)s (× 10⁶)."))],
        render_kw={"step": "any", "inputmode": "decimal"})


class _MaterialsForm(FlaskForm):
    lot_ids = SelectMultipleField(_l("Reagent lots used"), coerce=int, choices=[],
                                  validators=[Optional()])
    equipment_ids = SelectMultipleField(_l("Equipment used"), coerce=int, choices=[],
                                        validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class HarvestForm(PlausibilityFields, _MaterialsForm):
    harvested_at = lab_time_field(_l("Harvested (date and time)"))
    method = SelectField(_l("Counting method"), choices=[
        SelectChoice("automated", _l("Automated counter")),
        SelectChoice("haemocytometer", _l("Haemocytometer (trypan blue)"))])
    viable_cells = _millions(_l("Viable cells harvested (× 10⁶)"), minimum=0,
                             description=_l("In millions: 55.4 means 55,400,000 cells."))
    dead_cells = _millions(_l("Dead cells (× 10⁶)"), minimum=0)


class HarvestCorrectionForm(HarvestForm):
    """A corrected harvest, with the reason (kept with the amendment and audited)."""

    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[InputRequired(), Length(max=1000)],
                           description=_l("The original harvest stays in the record."))


class FormulationForm(_MaterialsForm):
    formulated_at = lab_time_field(_l("Formulated (date and time)"))
    volume_ml = DecimalField(_l("Volume per dose (mL)"), places=2, validators=[InputRequired()])
    container = StringField(_l("Container"), default="1 mL syringe, Luer lock",
                            validators=[DataRequired(), Length(max=100)])
    cells_per_dose = _millions(
        _l("Viable cells per dose (× 10⁶)"), minimum=0, required=False,
        description=_l("Leave empty for the ordered cells per disc (or an equal share of the "
                       "harvest if it is short)."))

    def validate_volume_ml(self, field):
        # NumberRange cannot compare a signalling NaN ("sNaN"): check finiteness first.
        volume = field.data
        if volume is None or not volume.is_finite() or not MIN_VOLUME <= volume <= MAX_VOLUME:
            raise ValidationError(_l("Enter a volume from 0.01 to 20 mL."))


class FormulationCorrectionForm(FormulationForm):
    """A corrected formulation, with the reason (kept with the correction and audited)."""

    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[InputRequired(), Length(max=1000)],
                           description=_l("The doses formulated first stay in the record, "
                                          "marked replaced; their labels are void."))
