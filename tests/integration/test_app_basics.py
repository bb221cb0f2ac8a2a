"""Health check, security headers, cookies, CLI and the schema built by migrations."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from labtrack.accounts.models import User
from labtrack.extensions import db
from tests.conftest import build_app
from tests.helpers import inline_scripts, login


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-dir/labtrack.sqlite3",
    "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
])
def test_healthz_is_503_when_the_database_is_unreachable(url):
    app = build_app(url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_security_headers_and_cookie_flags(client, make_user):
    user = make_user()
    response = login(client, user.username)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_scripts(client, make_user):
    user = make_user("admin")
    login(client, user.username)
    html = client.get("/admin/users").get_data(as_text=True)
    assert not inline_scripts(html) and "style=" not in html


def test_create_user_command_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["create-user", "nurse1", "--role", "clinician",
                                 "--full-name", "Ana Nurse"], input="a password from stdin\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "nurse1"))
    assert user.role == "clinician" and user.full_name == "Ana Nurse"


def test_create_user_command_refuses_a_weak_password(runner):
    result = runner.invoke(args=["create-user", "nurse2", "--role", "clinician",
                                 "--full-name", "N"], input="weak\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output


def test_seed_demo_creates_every_role_once(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "demo-office-password" in first.output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"technician", "qa", "clinician", "admin"}
    count = db.session.scalar(select(func.count()).select_from(User))
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == count


def test_seed_demo_is_refused_in_production(app):
    app.config["DEMO_DATA_ALLOWED"] = False
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "refused in production" in result.output


def test_migrations_build_the_same_schema_as_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
