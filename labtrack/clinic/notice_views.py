"""In-app notices: the header's unread badge, the list, and marking them read (any user).

Notices are in-app only. E-mail delivery is NOT implemented: there is no setting for it,
and nothing is sent outside LabTrack.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from labtrack.accounts import notices
from labtrack.accounts import notices as inbox
from labtrack.extensions import db
from labtrack.orders.models import TreatmentOrder
from labtrack.web.pagination import list_page

bp = Blueprint("notices", __name__)


@bp.app_template_global()
def unread_notice_count() -> int:
    """Unread notices of the signed-in user (0 when nobody is signed in)."""
    if not current_user.is_authenticated:
        return 0
    return notices.unread_count(current_user.id)


@bp.route("/notices")
def index():
    unread_only = request.args.get("unread") == "1"
    page = list_page(inbox.notices_query(current_user, unread_only))
    order_ids = {notice.order_id for notice in page.items if notice.order_id}
    numbers = dict(db.session.execute(
        select(TreatmentOrder.id, TreatmentOrder.order_number)
        .where(TreatmentOrder.id.in_(order_ids))).all()) if order_ids else {}
    return render_template("notices/index.html", page=page, order_numbers=numbers,
                           unread_only=unread_only, form=FlaskForm())


# POSTs carry the CSRF token (CSRFProtect checks every form post).
@bp.route("/notices/<int:notice_id>/read", methods=["POST"])
def mark_read(notice_id: int):
    notice = inbox.find_notice(notice_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    inbox.mark_read(current_user, notice)
    return redirect(url_for("notices.index"))


@bp.route("/notices/read-all", methods=["POST"])
def mark_all_read():
    count = inbox.mark_all_read(current_user)
    flash(_("%(count)d notices marked as read.", count=count), "success")
    return redirect(url_for("notices.index"))
