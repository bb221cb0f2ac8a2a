"""Shared fixtures: an app on a fresh, migrated database per test, on SQLite and PostgreSQL.

The integration suite runs every database test on SQLite, and again on PostgreSQL
when ``LABTRACK_TEST_DATABASE_URL`` is set. Each test gets its own database cloned
from a template built once by the real migrations, so tests never share state.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid

import pytest
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestConfig
from labtrack.accounts import users as accounts
from labtrack.accounts.users import AccountPolicy
from labtrack.app import create_app
from labtrack.audit.capture import SYSTEM, Actor, set_actor
from labtrack.demo.seed import seed_demo
from labtrack.extensions import db
from tests.helpers import PASSWORD, login
from tests.i18n import compile_catalogues

PG_URL = os.environ.get("LABTRACK_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
_counter = itertools.count()
DEMO_ACTOR = Actor(None, "cli")  # as ``labtrack seed-demo`` records it


SUITE_NOW = os.environ.get("LABTRACK_TEST_NOW")  # e.g. 2026-03-29T00:30:00Z: the suite's "now"


def pytest_configure(config):
    """With ``LABTRACK_TEST_NOW``, the whole run (every xdist worker) starts at that instant.

    The clock then ticks on from there, so the suite runs on any date and hour chosen,
    as it would on that day: ``make test LABTRACK_TEST_NOW=2026-10-25T00:30:00Z``.
    """
    if SUITE_NOW:
        traveller = time_machine.travel(SUITE_NOW, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The translation catalogues compiled from the committed .po (issue 19)."""
    compile_catalogues()


def pytest_report_header(config):
    now = f"; clock set to {SUITE_NOW}" if SUITE_NOW else ""
    return (f"databases: sqlite{' + postgresql' if PG_URL else ' (PostgreSQL not configured)'}"
            f"{now}")


def build_app(database_url: str, **overrides):
    return create_app(TestConfig(), SQLALCHEMY_DATABASE_URI=database_url, **overrides)


def _migrate(database_url: str) -> None:
    app = build_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _seed_demo(database_url: str, document_locale: str) -> None:
    """The demo lab as ``labtrack seed-demo`` makes it, notices in ``document_locale``."""
    app = build_app(database_url, DOCUMENT_LOCALE=document_locale)
    with app.app_context():
        set_actor(db.session, DEMO_ACTOR)
        seed_demo(AccountPolicy.from_config(app.config))
        db.session.remove()
        db.engine.dispose()


class DemoTemplates:
    """Databases holding the demo lab, seeded once per process and document language, then
    cloned like the empty template: seeding takes seconds, a clone milliseconds. The demo
    is made as of the moment it is seeded; tests that need it made at another instant
    (tests/integration/test_calendar.py) seed their own."""

    def __init__(self, databases) -> None:
        self.databases = databases
        self.seeded: dict[str, str] = {}

    def template_for(self, document_locale: str) -> str:
        if document_locale not in self.seeded:
            url = self.databases.new_template(f"demo_{document_locale}")
            _seed_demo(url, document_locale)
            self.seeded[document_locale] = url
        return self.seeded[document_locale]


class SqliteDatabases:
    """A migrated template file, copied for each test."""

    def __init__(self, directory):
        self.directory = directory
        self.template = directory / "template.sqlite3"
        _migrate(f"sqlite:///{self.template}")
        self.demo = DemoTemplates(self)

    def new_template(self, name: str) -> str:
        """A copy of the migrated template, to be filled and then cloned."""
        path = self.directory / f"{name}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def create(self, demo: str | None = None) -> str:
        """A fresh database: migrated, and with ``demo`` the demo lab in that language."""
        source = make_url(self.demo.template_for(demo)).database if demo else self.template
        path = self.directory / f"test-{next(_counter)}.sqlite3"
        shutil.copyfile(source, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        os.remove(make_url(url).database)


class PostgresDatabases:
    """A migrated template database, cloned with CREATE DATABASE … TEMPLATE for each test."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=None)
        self.prefix = f"labtrack_t{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tpl"
        self._execute(f'CREATE DATABASE "{self.template}"')
        _migrate(self._url_for(self.template))
        self.demo = DemoTemplates(self)
        self.templates = [self.template]

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def _url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def new_template(self, name: str) -> str:
        """A clone of the migrated template, to be filled and then cloned."""
        name = f"{self.prefix}_{name}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.templates.append(name)
        return self._url_for(name)

    def create(self, demo: str | None = None) -> str:
        """A fresh database: migrated, and with ``demo`` the demo lab in that language."""
        source = make_url(self.demo.template_for(demo)).database if demo else self.template
        name = f"{self.prefix}_{next(_counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return self._url_for(name)

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        for template in self.templates:
            self._execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory):
    return SqliteDatabases(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def postgresql_databases():
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but LABTRACK_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured: set LABTRACK_TEST_DATABASE_URL to run")
    try:
        databases = PostgresDatabases(PG_URL)
    except Exception as error:  # a missing server is a skip on a laptop, a failure in CI
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable in CI: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def database_url(request, backend):
    """A fresh database; a test marked ``demo_lab(locale)`` gets the demo lab in it."""
    databases = request.getfixturevalue(f"{backend}_databases")
    marker = request.node.get_closest_marker("demo_lab")
    url = databases.create(demo=(marker.args[0] if marker.args else "en") if marker else None)
    yield url
    databases.drop(url)


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as in production.

    The tests hold an app context open to call services directly; without this,
    requests would share its ``g`` (signed-in user, CSRF token) and its session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url):
    app = build_app(database_url)
    app.test_client_class = IsolatedClient
    with app.app_context():
        set_actor(db.session, SYSTEM)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create an account through the service, as an administrator would."""

    def make(role="technician", username=None, password=PASSWORD, full_name=None):
        username = username or f"{role}{next(_counter)}"
        return accounts.create_user(username, full_name or f"{username.title()} Tester", role,
                                    password, AccountPolicy.from_config(app.config))

    return make


@pytest.fixture
def signed_in(client, make_user):
    """Sign in a fresh user of the given role; returns (client, user)."""

    def sign_in(role="technician"):
        user = make_user(role)
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client, user

    return sign_in
