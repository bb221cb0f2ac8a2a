"""The reusable electronic-signature form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class SignatureForm(FlaskForm):
    """Re-enter credentials and confirm the meaning; the user name only at the first signing."""

    sign_username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)],
                                render_kw={"autocomplete": "username"})
    sign_password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                                  render_kw={"autocomplete": "current-password"})
    sign_confirm = BooleanField(_l("I confirm this electronic signature is mine and legally "
                                   "binding, with the meaning shown."),
                                validators=[DataRequired(_l("Tick the box to confirm."))])
