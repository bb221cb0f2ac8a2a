"""The application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BaseConfig, load_config
from labtrack import home as main
from labtrack import scan
from labtrack.accounts import admin_views as admin
from labtrack.accounts import auth_views as auth
from labtrack.accounts import token_views as tokens
from labtrack.api import counter_file_views  # noqa: F401  (its route joins the API)
from labtrack.api import followup_views as api_followup  # noqa: F401  (joins the API)
from labtrack.api import views as api
from labtrack.audit import views as audit
from labtrack.audit.request_actor import register_request_actor
from labtrack.cli import register_cli
from labtrack.clinic import (
    adverse_event_views,
    at_risk,  # noqa: F401  (registers the at-risk check with every count use case)
    correction_views,  # noqa: F401  (its routes join the orders pages)
    followup_views,
    outcome_views,
)
from labtrack.clinic import notice_views as notices
from labtrack.clinic import order_views as orders
from labtrack.clinic import views as clinic
from labtrack.culture import batch_views as batches
from labtrack.culture import bench_views as culture
from labtrack.culture import counter_import_views as counter_import
from labtrack.culture import harvest_views as harvest
from labtrack.culture import inventory_views as inventory
from labtrack.extensions import babel, csrf, db, limiter, login_manager, migrate
from labtrack.quality import deviation_views as deviations
from labtrack.quality import qc_views as qc
from labtrack.quality import review_views as quality
from labtrack.quality import specification_views as specifications
from labtrack.samples import views as samples
from labtrack.web.i18n import choose_locale
from labtrack.web.once import register_once
from labtrack.web.security import UnstorableText, register_bounded_ids, register_security
from labtrack.web.templating import register_template_helpers

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_app(config: BaseConfig | None = None, **overrides) -> Flask:
    """Build a LabTrack application from a config object (default: ``LABTRACK_ENV``)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
        instance_path=str(PROJECT_DIR / "instance"),
    )
    app.config.from_object(config or load_config())
    app.config.update(overrides)
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_security(app)
    register_request_actor(app)
    register_once(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(auth.load_user)
    limiter.init_app(app)
    register_bounded_ids(app)


def _select_locale() -> str | None:
    if not has_request_context():  # CLI commands use the default locale
        return None
    return choose_locale()


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(samples.bp)
    app.register_blueprint(scan.bp)
    for blueprint in (quality.bp, qc.bp, deviations.bp, specifications.bp, harvest.bp):
        app.register_blueprint(blueprint)
    for blueprint in (batches.bp, culture.bp, inventory.bp):
        app.register_blueprint(blueprint)
    for blueprint in (clinic.bp, notices.bp, counter_import.bp, tokens.bp, api.bp):
        app.register_blueprint(blueprint)
    for blueprint in (followup_views.bp, adverse_event_views.bp, outcome_views.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # token-authenticated JSON API: no cookies, so no CSRF


def register_error_handlers(app: Flask) -> None:
    def render_error(error):
        code = getattr(error, "code", 500)
        if api.is_api_request():  # JSON errors under /api/, never HTML
            return api.http_error(error)
        detail = error.description if isinstance(error, UnstorableText) else None
        return render_template("errors/error.html", code=code, detail=detail), code

    def internal_error(error):
        db.session.rollback()
        if api.is_api_request():
            return api.http_error(error)
        return render_template("errors/error.html", code=500), 500

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, render_error)
    app.register_error_handler(500, internal_error)
    app.register_error_handler(CSRFError, render_csrf_error)


def render_csrf_error(error):
    return render_template("errors/error.html", code=400, csrf=True), 400
