"""PostgreSQL's two roles: the owner runs the migrations, the application owns nothing.

Owning a table is enough to ``ALTER TABLE … DISABLE TRIGGER`` or ``TRUNCATE`` it, so the
application connects as a role that owns nothing and holds only what it needs: read
every table, insert, update the tables whose rows change, and no UPDATE on the rows
that never change (audit events, signatures, release decisions, stored files,
formulation corrections), no TRUNCATE anywhere, and DELETE only on two bookkeeping
tables (``RELEASABLE``). ``labtrack db upgrade`` grants this after migrating when
``LABTRACK_DB_APP_ROLE`` names the role (docs/AUDIT_TRAIL.md, README).
"""

from __future__ import annotations

import re

from sqlalchemy import text

# Rows the application only ever inserts (and reads).
INSERT_ONLY = ("audit_event", "signature", "batch_release", "counter_file",
               "formulation_correction")
# Tables the application only reads.
READ_ONLY = ("alembic_version",)
# Bookkeeping, not GMP records, whose rows the application releases (deletes): a refused
# form's one-time token, an API idempotency key whose request failed on the server.
RELEASABLE = ("form_submission", "api_idempotent_request")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quoted(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain role or table name: {name!r}")
    return f'"{name}"'


def ensure_role(connection, role: str, login: bool = True) -> None:
    """Create ``role`` if it does not exist yet (safe when runs create it at once)."""
    options = "LOGIN" if login else "NOLOGIN"
    connection.execute(text(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {_quoted(role)} {options} NOSUPERUSER NOCREATEDB NOCREATEROLE
                    NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$"""))


def grant_app_privileges(connection, role: str) -> None:
    """Give ``role`` exactly the application's privileges on every table of the schema."""
    name = _quoted(role)
    tables = [row[0] for row in connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))]
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {name}"))
    connection.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}"))
    for table in tables:
        table_name = _quoted(table)
        if table in READ_ONLY:
            privileges = "SELECT"
        elif table in INSERT_ONLY:
            privileges = "SELECT, INSERT"
        elif table in RELEASABLE:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        else:
            privileges = "SELECT, INSERT, UPDATE"
        connection.execute(text(f"GRANT {privileges} ON {table_name} TO {name}"))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}"))


def set_up_app_role(connection, role: str) -> None:
    """Create the application's role if need be, then grant its privileges (PostgreSQL)."""
    if connection.dialect.name != "postgresql" or not role:
        return
    ensure_role(connection, role)
    grant_app_privileges(connection, role)
