"""Account administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from labtrack.accounts.terms import ROLE_LABELS

REASON_HELP = _l("Why is this change being made? It is kept in the audit trail.")


def _role_field():
    choices = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]
    return SelectField(_l("Role"), choices=choices, validators=[DataRequired()])


def _reason_field():
    return TextAreaField(_l("Reason for the change"), description=REASON_HELP,
                         validators=[DataRequired(), Length(max=1000)])


class CreateUserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name (as printed on signatures)"),
                            validators=[DataRequired(), Length(max=200)])
    role = _role_field()
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create account"))


class ChangeRoleForm(FlaskForm):
    role = _role_field()
    reason = _reason_field()
    submit = SubmitField(_l("Change role"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Temporary password"),
                             validators=[DataRequired(), Length(max=256)],
                             description=_l("Its owner must replace it at their next sign-in "
                                            "and cannot sign records until then. Every "
                                            "session of the account ends now."),
                             render_kw={"autocomplete": "new-password"})
    reason = _reason_field()
    submit = SubmitField(_l("Reset password and unlock"))


class SetActiveForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("Confirm"))
