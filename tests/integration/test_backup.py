"""Backup and restore of the SQLite database (PostgreSQL uses pg_dump/pg_restore)."""

import pytest
from sqlalchemy import create_engine

from labtrack import backup
from labtrack.audit import trail as audit_trail
from labtrack.extensions import db
from tests import builders
from tests.conftest import build_app


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL is backed up with pg_dump / pg_restore (see README)")


def test_restore_into_an_empty_database_gives_the_same_records(app, sqlite_only, runner,
                                                              tmp_path):
    builders.count(builders.seeded_batch(), 3_000_000)
    file = tmp_path / "backup.sqlite3"
    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    original = backup.table_counts(db.engine).counts

    restored_app = build_app(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    with restored_app.app_context():
        restore = restored_app.test_cli_runner().invoke(args=["restore", str(file)])
        assert restore.exit_code == 0, restore.output
        assert "audit chain intact" in restore.output
        assert backup.table_counts(db.engine).counts == original
        assert audit_trail.verify().ok
        db.engine.dispose()


def test_restore_refuses_a_database_that_has_data(app, sqlite_only, runner, tmp_path):
    builders.user("qa")
    file = tmp_path / "backup.sqlite3"
    runner.invoke(args=["backup", str(file)])
    result = runner.invoke(args=["restore", str(file)])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_backup_refuses_to_overwrite_a_file(app, sqlite_only, runner, tmp_path):
    file = tmp_path / "exists.sqlite3"
    file.write_text("keep me")
    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert file.read_text() == "keep me"


def test_postgresql_is_pointed_to_pg_dump(app, backend, runner, tmp_path):
    if backend != "postgresql":
        pytest.skip("the PostgreSQL message only")
    result = runner.invoke(args=["backup", str(tmp_path / "x")])
    assert result.exit_code != 0 and "pg_dump" in result.output


def test_table_counts_of_a_new_file_are_empty(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert backup.table_counts(engine).total == 0
    engine.dispose()


def test_restore_into_a_freshly_migrated_database(app, sqlite_only, runner, tmp_path,
                                                  sqlite_databases):
    builders.user("clinician")
    file = tmp_path / "backup.sqlite3"
    runner.invoke(args=["backup", str(file)])
    empty_url = sqlite_databases.create()
    restored_app = build_app(empty_url)
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["restore", str(file)])
        assert result.exit_code == 0, result.output
        assert backup.table_counts(db.engine).counts["user_account"] == 1
        db.engine.dispose()
    sqlite_databases.drop(empty_url)
