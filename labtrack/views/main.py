"""Home pages per role and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from labtrack.domain.roles import Area, Role
from labtrack.extensions import db
from labtrack.security import requires_area

bp = Blueprint("main", __name__)

HOME_ENDPOINTS = {
    Role.TECHNICIAN: "main.today",
    Role.QA: "main.review",
    Role.CLINICIAN: "main.readiness",
    Role.ADMIN: "admin.users",
}


@bp.route("/")
def home():
    """Send each role to the page made for it."""
    return redirect(url_for(HOME_ENDPOINTS[Role(current_user.role)]))


@bp.route("/today")
@requires_area(Area.BENCH)
def today():
    return render_template("main/today.html")


@bp.route("/review")
@requires_area(Area.QUALITY)
def review():
    return render_template("main/review.html")


@bp.route("/readiness")
@requires_area(Area.CLINIC)
def readiness():
    return render_template("main/readiness.html")


@bp.route("/healthz")
def healthz():
    """JSON health check: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
