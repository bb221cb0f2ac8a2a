"""Bone-marrow sample receipt form (technicians)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
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

from labtrack.identity.rules import isbt128
from labtrack.orders.forms import NO_AUTOCOMPLETE, finite_decimal
from labtrack.samples.receipt import ReceiptData, din_error_message
from labtrack.web.fields import DecimalField, lab_time_field

DIN_INPUT = {**NO_AUTOCOMPLETE, "autofocus": True, "autocapitalize": "characters",
             "data-scan-next": True,  # the scanner's Enter moves on (static/js/scan-fields.js)
             "data-testid": "din-input"}


def _text(label, length, description=None):
    return StringField(label, validators=[DataRequired(), Length(max=length)],
                       description=description)


class ReceiptForm(FlaskForm):
    """Everything recorded when a bone-marrow sample arrives; the DIN comes first."""

    din = StringField(
        _l("DIN (scan or type)"), validators=[Length(max=40)], render_kw=DIN_INPUT,
        description=_l("Scan the tube's barcode, or type the DIN and its check character."))
    generate_din = BooleanField(_l("The tube has no DIN: generate one"))
    collected_at = lab_time_field(_l("Collected at"))
    collection_site = _text(_l("Collection site"), 100, _l("E.g. right posterior iliac crest."))
    volume_ml = DecimalField(_l("Volume (mL)"), places=None, validators=[
        InputRequired(), finite_decimal(1), NumberRange(min=0, max=99_999)])
    anticoagulant = _text(_l("Anticoagulant"), 50, _l("E.g. heparin."))
    collected_by = _text(_l("Collected by"), 200)
    received_at = lab_time_field(_l("Received at"))
    temperature_c = DecimalField(_l("Temperature on arrival (°C)"), places=None, validators=[
        InputRequired(), finite_decimal(1), NumberRange(min=-99, max=99)])
    container_intact = RadioField(
        _l("Container intact?"), choices=[SelectChoice("yes", _l("Yes")),
                                          SelectChoice("no", _l("No"))],
        validators=[InputRequired(_l("Say whether the container is intact."))])
    tube_record_number = _text(_l("Record number on the tube"), 32)
    tube_patient_name = _text(_l("Patient name on the tube"), 200)
    accept_despite_failures = BooleanField(
        _l("Accept despite failed acceptance rules (opens a deviation)"))
    deviation_description = TextAreaField(
        _l("Deviation: what happened and why the sample is accepted"),
        validators=[Optional(), Length(max=2000)])
    reviewed_failures = HiddenField()

    def validate_din(self, field):
        text = (field.data or "").strip()
        if text and self.generate_din.data:
            raise ValidationError(_l("Either scan a DIN or generate one, not both."))
        if not text and not self.generate_din.data:
            raise ValidationError(_l("Scan or type the DIN, or tick “generate one”."))
        if text:
            try:
                isbt128.parse_entered_din(text)
            except isbt128.DinError as error:
                raise ValidationError(din_error_message(error)) from None

    def receipt_data(self) -> ReceiptData:
        """The form as the receipt service takes it: times in aware UTC."""
        return ReceiptData(
            din=None if self.generate_din.data else self.din.data,
            collected_at=self.collected_at.utc,
            collection_site=self.collection_site.data, volume_ml=self.volume_ml.data,
            anticoagulant=self.anticoagulant.data, collected_by=self.collected_by.data,
            received_at=self.received_at.utc,
            temperature_c=self.temperature_c.data,
            container_intact=self.container_intact.data == "yes",
            tube_record_number=self.tube_record_number.data,
            tube_patient_name=self.tube_patient_name.data,
            accept_despite_failures=self.accept_despite_failures.data,
            deviation_description=self.deviation_description.data,
        )
