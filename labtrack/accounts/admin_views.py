"""Account administration (admins only): create, change role, reset, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from labtrack.accounts import users as accounts
from labtrack.accounts.admin_forms import (
    ChangeRoleForm,
    CreateUserForm,
    ResetPasswordForm,
    SetActiveForm,
)
from labtrack.accounts.models import User
from labtrack.accounts.terms import meaning_label, role_label
from labtrack.accounts.users import AccountPolicy
from labtrack.audit import trail as audit_trail
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.forms import show_service_error
from labtrack.web.pagination import list_page
from labtrack.web.policy import Area
from labtrack.web.security import requires_area

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_filter(role_label, "role_label")
bp.add_app_template_filter(meaning_label, "meaning_label")


def _policy() -> AccountPolicy:
    return AccountPolicy.from_config(current_app.config)


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users")
@requires_area(Area.ADMIN)
def users():
    page = list_page(select(User).order_by(User.username))
    return render_template("admin/users.html", page=page, locked=accounts.locked_users(),
                           last_verification=audit_trail.last_verification())


@bp.route("/users/new", methods=["GET", "POST"])
@requires_area(Area.ADMIN)
def create_user():
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data, form.full_name.data, form.role.data,
                                        form.password.data, _policy())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/create_user.html", form=form)


@bp.route("/users/<int:user_id>")
@requires_area(Area.ADMIN)
def user(user_id: int):
    user = _user_or_404(user_id)
    return render_template("admin/user.html", user=user, **_forms(user))


def _forms(user: User, **bound) -> dict:
    forms = {
        "role_form": ChangeRoleForm(role=user.role, prefix="role"),
        "password_form": ResetPasswordForm(prefix="password"),
        "active_form": SetActiveForm(prefix="active"),
    }
    forms.update(bound)
    return forms


def _act(user_id: int, form_key: str, form, action):
    """Run one admin action from a bound form; re-render the page on refusal."""
    user = _user_or_404(user_id)
    if form.validate_on_submit():
        try:
            action(user, form)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Saved. The change is in the audit trail."), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user.html", user=user, **_forms(user, **{form_key: form})), 400


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires_area(Area.ADMIN)
def change_role(user_id: int):
    return _act(user_id, "role_form", ChangeRoleForm(prefix="role"),
                lambda user, form: accounts.change_role(current_user, user, form.role.data,
                                                        form.reason.data))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires_area(Area.ADMIN)
def reset_password(user_id: int):
    return _act(user_id, "password_form", ResetPasswordForm(prefix="password"),
                lambda user, form: accounts.reset_password(current_user, user, form.password.data,
                                                           form.reason.data, _policy()))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires_area(Area.ADMIN)
def set_active(user_id: int):
    activate = request.args.get("activate") == "1"
    return _act(user_id, "active_form", SetActiveForm(prefix="active"),
                lambda user, form: accounts.set_active(current_user, user, activate,
                                                       form.reason.data))
