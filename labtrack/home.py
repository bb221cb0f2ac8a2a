"""Home pages per role and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from labtrack.clinic import summaries
from labtrack.clinic import views as clinic
from labtrack.culture import steps as culture
from labtrack.culture import worklist
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.quality import release
from labtrack.web.pagination import page_number
from labtrack.web.policy import Area, Role
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_zone

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
    """The technician's worklist: what is due and overdue across batches in culture."""
    summaries.ensure_fresh()
    work = worklist.today(utcnow(), lab_zone(), culture.protocol_from_config(current_app.config),
                          current_app.config["RELEASE_LEAD_DAYS"], page=page_number(),
                          per_page=current_app.config["PAGE_SIZE"])
    return render_template("main/today.html", worklist=work)


@bp.route("/review")
@requires_area(Area.QUALITY)
def review():
    """QA's queue: batches awaiting release, open deviations, results pending after release."""
    return render_template("main/review.html", **release.review_queue())


@bp.route("/readiness")
@requires_area(Area.CLINIC)
def readiness():
    """The clinician's dose readiness list (built in ``clinic.views``)."""
    return clinic.readiness_page()


@bp.route("/healthz")
def healthz():
    """JSON health check: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
