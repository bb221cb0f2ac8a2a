"""Harvest and formulation forms (technicians)."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
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
    ValidationError,
)

from labtrack.web.fields import DecimalField, lab_time_field

MAX_CELLS = 10**12
MIN_VOLUME, MAX_VOLUME = Decimal("0.01"), Decimal("20")


class _MaterialsForm(FlaskForm):
    lot_ids = SelectMultipleField(_l("Reagent lots used"), coerce=int, choices=[],
                                  validators=[Optional()])
    equipment_ids = SelectMultipleField(_l("Equipment used"), coerce=int, choices=[],
                                        validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class HarvestForm(_MaterialsForm):
    harvested_at = lab_time_field(_l("Harvested (date and time)"))
    method = SelectField(_l("Counting method"), choices=[
        SelectChoice("automated", _l("Automated counter")),
        SelectChoice("haemocytometer", _l("Haemocytometer (trypan blue)"))])
    viable_cells = IntegerField(_l("Viable cells (total)"),
                                validators=[InputRequired(), NumberRange(min=1, max=MAX_CELLS)])
    dead_cells = IntegerField(_l("Dead cells (total)"),
                              validators=[InputRequired(), NumberRange(min=0, max=MAX_CELLS)])


class FormulationForm(_MaterialsForm):
    formulated_at = lab_time_field(_l("Formulated (date and time)"))
    volume_ml = DecimalField(_l("Volume per dose (mL)"), places=2, validators=[InputRequired()])
    container = StringField(_l("Container"), default="1 mL syringe, Luer lock",
                            validators=[DataRequired(), Length(max=100)])
    cells_per_dose = IntegerField(
        _l("Viable cells per dose"), validators=[Optional(), NumberRange(min=1, max=MAX_CELLS)],
        description=_l("Leave empty for the ordered cells per disc (or an equal share of the "
                       "harvest if it is short)."))

    def validate_volume_ml(self, field):
        # NumberRange cannot compare a signalling NaN ("sNaN"): check finiteness first.
        volume = field.data
        if volume is None or not volume.is_finite() or not MIN_VOLUME <= volume <= MAX_VOLUME:
            raise ValidationError(_l("Enter a volume from 0.01 to 20 mL."))
