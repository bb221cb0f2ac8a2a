"""Clinic forms: the readiness filter, scanning at the procedure, API tokens, and the
counter file import (its counts go through the clinic's count entry)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from labtrack.clinic.rules.readiness import Status
from labtrack.clinic.terms import readiness_label
from labtrack.web.fields import lab_time_field

SCAN = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
OPEN, ALL, MINE = "open", "all", "mine"


class ReadinessFilterForm(FlaskForm):
    """Filter the readiness list (GET: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validate_choice=True, default=OPEN)
    clinician = SelectField(_l("Treating clinician"), choices=[], validate_choice=True,
                            default=MINE)


class WristbandForm(FlaskForm):
    """Step 1 at the procedure: scan the patient's wristband."""

    wristband = StringField(_l("Patient wristband"), validators=[DataRequired(), Length(max=64)],
                            description=_l("Scan the wristband, or type the hospital record "
                                           "number and press Enter."),
                            render_kw={**SCAN, "autofocus": True})


class DoseScanForm(FlaskForm):
    """Step 2: the disc level being treated, then scan the dose label."""

    wristband = HiddenField(validators=[DataRequired(), Length(max=64)])
    held = HiddenField(validators=[Optional(), Length(max=64)])  # a DIN or product code alone
    disc_level = SelectField(_l("Disc level being treated"), choices=[],
                             validators=[DataRequired()], validate_choice=False)
    dose_code = StringField(_l("Dose label"), validators=[DataRequired(), Length(max=64)],
                            description=_l("Scan the dose label's 2-D code, or its DIN and "
                                           "product code one after the other; the scanner's "
                                           "Enter checks it. Or type the dose code."),
                            render_kw=SCAN)


class ConfirmAdministrationForm(FlaskForm):
    """Step 3: the verified dose is given; record when, and any notes."""

    wristband = HiddenField(validators=[DataRequired(), Length(max=64)])
    disc_level = HiddenField(validators=[DataRequired(), Length(max=8)])
    dose_code = HiddenField(validators=[DataRequired(), Length(max=64)])
    administered_at = lab_time_field(
        _l("Time of injection (optional)"), required=False, validators=[Optional()],
        description=_l("Leave empty for now."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


def status_choices() -> list[tuple[str, str]]:
    """The status filter's choices: open orders, all, then each status."""
    return [(OPEN, str(_l("Not yet administered"))), (ALL, str(_l("All statuses")))] + [
        (status.value, readiness_label(status)) for status in Status]
