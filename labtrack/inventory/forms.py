"""Reagent lot and equipment forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from labtrack.inventory.rules.lots import LotStatus
from labtrack.inventory.terms import LOT_STATUS_LABELS

CODE_INPUT = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


def _reason():
    return TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=1000)],
                         description=_l("Why is this change being made? It is kept in the "
                                        "audit trail."))


class InventoryFilterForm(FlaskForm):
    """Search and filter (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[SelectChoice("", _l("Any status"))]
                         + [SelectChoice(code, label)
                            for code, label in LOT_STATUS_LABELS.items()])


class LotForm(FlaskForm):
    """A received reagent lot; it starts in quarantine."""

    material = StringField(_l("Material"), validators=[InputRequired(), Length(max=100)],
                           description=_l("E.g. α-MEM, human platelet lysate, TrypLE."))
    manufacturer = StringField(_l("Manufacturer"),
                               validators=[InputRequired(), Length(max=100)])
    lot_number = StringField(_l("Lot number (scan or type)"),
                             validators=[InputRequired(), Length(max=50)], render_kw=CODE_INPUT)
    expiry_date = DateField(_l("Expiry date"), validators=[InputRequired()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class LotDecisionForm(FlaskForm):
    """QA's decision on a lot."""

    status = SelectField(_l("Decision"), validators=[InputRequired()],
                         choices=[SelectChoice(LotStatus.RELEASED, _l("Release for use")),
                                  SelectChoice(LotStatus.REJECTED, _l("Reject")),
                                  SelectChoice(LotStatus.QUARANTINE, _l("Back to quarantine"))])
    reason = _reason()


class EquipmentForm(FlaskForm):
    identifier = StringField(_l("Identifier (scan or type)"),
                             validators=[InputRequired(), Length(max=50)], render_kw=CODE_INPUT)
    kind = StringField(_l("Type"), validators=[InputRequired(), Length(max=50)],
                       description=_l("E.g. biosafety cabinet, CO₂ incubator, cell counter."))
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    calibration_due = DateField(_l("Calibration due"), validators=[InputRequired()])


class CalibrationForm(FlaskForm):
    calibration_due = DateField(_l("Next calibration due"), validators=[InputRequired()])
    reason = _reason()


class ServiceStatusForm(FlaskForm):
    reason = _reason()
