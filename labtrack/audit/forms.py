"""The audit viewer's filter (a GET form: it changes nothing, so it needs no CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    record_type = SelectField(_l("Record type"), choices=[], validators=[Optional()],
                              validate_choice=False)
    record_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    username = StringField(_l("User"), validators=[Optional(), Length(max=64)])
    action = SelectField(_l("Action"), choices=[], validators=[Optional()],
                         validate_choice=False)
    since = DateField(_l("From (date)"), validators=[Optional()])
    until = DateField(_l("To (date, inclusive)"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))
