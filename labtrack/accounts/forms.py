"""Sign-in, password and API token forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=256)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(),
                                        EqualTo("new_password", _l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    """The screen language an account chose; each language named in itself."""

    locale = SelectField(_l("Language"), choices=[
        SelectChoice("", _l("As my browser asks")), SelectChoice("es", "Español"),
        SelectChoice("en", "English")], validators=[Optional()])
    submit = SubmitField(_l("Save language"))


class ApiTokenForm(FlaskForm):
    """Create an API token."""

    name = StringField(_l("What will use the token"), validators=[DataRequired(),
                                                                  Length(max=100)],
                       description=_l("For example: hospital EHR, automated cell counter 2."))


class RevokeTokenForm(FlaskForm):
    """Revoke an API token (an administrator revoking another user's gives a reason)."""

    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class EndSessionForm(FlaskForm):
    """End one of one's own sessions (sign it out)."""
