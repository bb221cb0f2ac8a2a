"""Online backup and restore of the embedded SQLite database.

PostgreSQL deployments use pg_dump / pg_restore (see README, "Backups"); these
functions refuse other databases with a message saying so.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from labtrack.extensions import db


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class TableCounts:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _sqlite_path(engine: Engine) -> str:
    if engine.dialect.name != "sqlite":
        raise BackupError("labtrack backup/restore handle SQLite only; for PostgreSQL use "
                          "pg_dump -Fc and pg_restore (see README, Backups).")
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    return path


def backup(engine: Engine, target: Path) -> TableCounts:
    """Copy the live database to ``target`` with SQLite's online backup (consistent)."""
    source_path = _sqlite_path(engine)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file.")
    with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return table_counts(engine)


def restore(engine: Engine, backup_file: Path) -> TableCounts:
    """Restore ``backup_file`` into the configured database, which must be empty."""
    target_path = _sqlite_path(engine)
    if not backup_file.is_file():
        raise BackupError(f"{backup_file} does not exist.")
    existing = table_counts(engine).counts
    existing.pop("audit_chain_head", None)  # a freshly migrated database has its genesis row
    if sum(existing.values()):
        raise BackupError("The target database is not empty; restore only into an empty one.")
    engine.dispose()
    with sqlite3.connect(backup_file) as source, sqlite3.connect(target_path) as target:
        source.backup(target)
    source.close()
    target.close()
    return table_counts(engine)


def table_counts(engine: Engine) -> TableCounts:
    """Rows per application table (tables that do not exist yet count as empty)."""
    names = set(inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in names:
                counts[table.name] = connection.execute(
                    select(func.count()).select_from(table)).scalar_one()
    return TableCounts(counts)
