"""Batch list filter and the forms that change a batch's state."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from labtrack.culture.terms import STATE_LABELS


class BatchFilterForm(FlaskForm):
    """The batch list's filter (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()],
                        choices=[SelectChoice("", _l("Any state"))]
                        + [SelectChoice(state.value, label)
                           for state, label in STATE_LABELS.items()])


class StateChangeForm(FlaskForm):
    """Put on hold, resume or terminate, always with a reason."""

    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=1000)],
                           description=_l("Kept with the batch and in the audit trail."))
    confirm = BooleanField(_l("I understand this cannot be undone: the patient's cells will "
                              "be destroyed and a new collection is needed."))
