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

    def validate_since(self, field):
        _within_sensible_years(field)

    def validate_until(self, field):
        _within_sensible_years(field)
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))


FIRST_YEAR, LAST_YEAR = 2000, 2999  # far outside: no event; 9999-12-31 overflows a day on


def _within_sensible_years(field) -> None:
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Give a date between %(first)d and %(last)d.",
                                 first=FIRST_YEAR, last=LAST_YEAR))
