"""PostgreSQL's two roles: the application's role cannot switch the protections off.

The migrations run as the owner (here the test server's superuser); the application
connects as ``DB_APP_ROLE``, which owns nothing (labtrack/db_roles.py).
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from labtrack.audit import trail as audit_trail
from labtrack.audit.capture import SYSTEM, set_actor
from labtrack.extensions import db
from tests import builders
from tests.conftest import IsolatedClient, build_app
from tests.helpers import login
from tests.integration.web.test_one_time_submit import _observation_form


@pytest.fixture
def app_role_url(app, backend, database_url):
    if backend != "postgresql":
        pytest.skip("roles and privileges are PostgreSQL's")
    builders.user("qa")  # an audit event to refuse changing
    db.session.commit()
    role = app.config["DB_APP_ROLE"]
    return make_url(database_url).set(username=role).render_as_string(hide_password=False)


@pytest.mark.parametrize("statement", [
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "ALTER TABLE batch_release DISABLE TRIGGER ALL",
    "UPDATE audit_event SET reason = 'tampered'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "TRUNCATE qc_result",
    "UPDATE signature SET printed_name = 'x'",
    "UPDATE batch_release SET reason = 'x'",
    "UPDATE formulation_correction SET reason = 'x'",
    "DELETE FROM qc_result",
    "UPDATE audit_chain_head SET seq = 0",  # allowed by privilege, refused... see below
])
def test_the_application_role_cannot_switch_protections_off(app_role_url, statement):
    engine = create_engine(app_role_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if statement.startswith("UPDATE audit_chain_head"):
                # The head row is the one the application must move at each commit.
                connection.execute(text(statement))
                connection.rollback()
                return
            with pytest.raises(DBAPIError, match="must be owner|permission denied"):
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_the_application_role_owns_nothing(app_role_url):
    engine = create_engine(app_role_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            owned = connection.scalar(text(
                "SELECT count(*) FROM pg_tables WHERE tableowner = current_user"))
            superuser = connection.scalar(text(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    finally:
        engine.dispose()
    assert owned == 0 and superuser is False


def test_the_application_works_as_its_role(app_role_url):
    """A whole release, through the services, with only the application's privileges."""
    limited = build_app(app_role_url)
    with limited.app_context():
        batch = builders.releasable_batch()
        decision = builders.release(batch)
        assert decision.audit_checkpoint
        result = audit_trail.verify(reconcile=True)
        assert result.ok, result.all_findings()
        db.session.remove()
        db.engine.dispose()


def test_a_refused_form_may_be_sent_again_as_the_application_role(app_role_url):
    """The one-time token of a refused submit is released (deleted: bookkeeping, not a GMP
    record), which the application's role may do, so the corrected form records once."""
    limited = build_app(app_role_url)
    limited.test_client_class = IsolatedClient
    with limited.app_context():
        set_actor(db.session, SYSTEM)
        technician = builders.user("technician")
        batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
        client = limited.test_client()
        assert login(client, technician.username).status_code == 302
        url, data = _observation_form(client, batch)
        refused = client.post(url, data={**data, "confluence_percent": "140"})
        corrected = client.post(url, data=data)
        assert refused.status_code == 400 and corrected.status_code == 302
        db.session.remove()
        db.engine.dispose()
