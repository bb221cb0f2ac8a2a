"""Build the benchmark database fast: the rows of ``bench.build_db`` and their audit events.

The rows are the ones ``bench.build_db.Plan`` makes (same tables, same detail, same ids
for the same seed). Instead of passing them through the ORM session, each row gets the
event the central audit capture would write for it (``labtrack.audit.capture.
create_event``: the same ``changes``, actor and reason), and the events are chained
with the application's ``event_link`` in the order the rows were made, one
``occurred_at`` per chunk as the capture gives one per commit. Rows and events go in
with SQLAlchemy Core ``executemany`` on SQLite and ``COPY`` on PostgreSQL (from a thread,
so the server loads one chunk while the next is made), a chunk of batches at a time, so
memory stays flat. Everything is one transaction: the chain head
is moved and the PostgreSQL id sequences are set past the assigned ids at its end, and
an interrupted build leaves the database as it was.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from psycopg import sql
from sqlalchemy import Table, inspect, select, text, update

from bench.build_db import ACTOR, MODELS, Ids, Plan, Row, reset_sequences
from labtrack.audit import capture as audit
from labtrack.audit.keys import keyring
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.audit.rules.chain import event_link
from labtrack.database import utcnow
from labtrack.extensions import db

CHUNK_BATCHES = 1_000


def build(n_batches: int, seed: int = 1, chunk: int = CHUNK_BATCHES,
          reference: datetime | None = None, states: Sequence[str] | None = None,
          progress: Callable[[str], None] | None = None) -> dict:
    """Insert the staff, materials and ``n_batches`` batches with their audit events."""
    started = time.perf_counter()
    connection = db.session.connection()
    # Claim the chain like the capture's commit hook; nothing else may extend it meanwhile.
    seq, last_hash = connection.execute(
        select(AuditChainHead.seq, AuditChainHead.last_hash)
        .where(AuditChainHead.id == 1).with_for_update()).one()
    plan = Plan(connection, seed, reference, states)
    chain = _Chain(seq, last_hash, plan.ids)
    writer = _CopyWriter(connection) if connection.dialect.name == "postgresql" \
        else _ExecutemanyWriter(connection)
    try:
        rows = writer.write(_tables(chain, plan.setup))
        for first in range(0, n_batches, chunk):
            batch_rows = [row for index in range(first, min(first + chunk, n_batches))
                          for row in plan.batch(index)]
            rows += writer.write(_tables(chain, batch_rows))
            if progress:
                done, seconds = min(first + chunk, n_batches), time.perf_counter() - started
                progress(f"  {done}/{n_batches} batches, {rows} rows in {seconds:.0f} s "
                         f"({rows / seconds:.0f} rows/s)")
    finally:
        writer.close()
    connection.execute(update(AuditChainHead).where(AuditChainHead.id == 1)
                       .values(seq=chain.seq, last_hash=chain.last_hash))
    reset_sequences(connection)
    db.session.commit()
    return {"batches": n_batches, "rows": rows, "events": chain.seq - seq}


def vacuum_analyze(engine) -> None:
    """Settle a freshly loaded PostgreSQL database (visibility map, planner statistics)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))


class _Chain:
    """Numbers and hash-chains events exactly as the capture's commit hook does."""

    def __init__(self, seq: int, last_hash: str, ids: Ids):
        self.seq, self.last_hash, self.ids = seq, last_hash, ids

    def extend(self, pending: list[dict], now: datetime) -> list[dict]:
        occurred_at, prev_hash, rows = now.isoformat(), self.last_hash, []
        ring = keyring()
        for item in pending:
            self.seq += 1
            row = {**item, "id": self.ids.next(AuditEvent), "seq": self.seq,
                   "occurred_at": now, "prev_hash": prev_hash, "key_id": ring.current_id}
            row["hash"] = prev_hash = event_link(ring.current, prev_hash,
                                                 {**row, "occurred_at": occurred_at})
            rows.append(row)
        self.last_hash = prev_hash
        return rows


def _tables(chain: _Chain, rows: list[Row]) -> list[tuple[Table, list[dict]]]:
    """``rows`` grouped by table in insertion order, then their chained events."""
    by_model: dict[type, list[dict]] = defaultdict(list)
    pending = []
    for model, values in rows:
        _complete(model, values)
        by_model[model].append(values)
        pending.append(audit.create_event(model, values, ACTOR))
    tables = [(model.__table__, by_model[model]) for model in MODELS if by_model[model]]
    return [*tables, (AuditEvent.__table__, chain.extend(pending, utcnow()))]


def _defaults(model) -> list[tuple[str, Callable[[], object]]]:
    """How the ORM fills each column a new object leaves unset."""
    mapper = inspect(model)
    fill = []
    for attr in mapper.column_attrs:
        (column,) = attr.columns
        if attr.key != column.key or column.key != column.name:
            raise RuntimeError(f"{model.__name__}.{attr.key}: attribute and column differ")
        default = column.default
        if column is mapper.version_id_col:
            fill.append((attr.key, lambda mapper=mapper: mapper.version_id_generator(None)))
        elif default is None:
            fill.append((attr.key, lambda: None))
        elif default.is_scalar:
            fill.append((attr.key, lambda value=default.arg: value))
        elif default.is_callable:
            fill.append((attr.key, lambda make=default.arg: make(None)))
        else:
            raise RuntimeError(f"{model.__name__}.{attr.key}: unsupported default {default!r}")
    return fill


_DEFAULTS = {model: _defaults(model) for model in MODELS}


def _complete(model, values: dict) -> None:
    for key, make in _DEFAULTS[model]:
        if key not in values:
            values[key] = make()


class _ExecutemanyWriter:
    """Inserts with SQLAlchemy Core ``executemany`` (SQLite)."""

    def __init__(self, connection):
        self._connection = connection

    def write(self, tables: list[tuple[Table, list[dict]]]) -> int:
        for table, rows in tables:
            self._connection.execute(table.insert(), rows)
        return _row_count(tables)

    def close(self) -> None:
        pass


class _CopyWriter:
    """Inserts with ``COPY`` (PostgreSQL) in a thread of its own.

    The server loads one chunk while the next is being made; the connection is used by
    this thread alone until :meth:`close`.
    """

    def __init__(self, connection):
        self._driver = connection.connection.driver_connection
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bulk-copy", daemon=True)
        self._thread.start()

    def write(self, tables: list[tuple[Table, list[dict]]]) -> int:
        self._raise_error()
        self._queue.put(tables)
        return _row_count(tables)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise RuntimeError("bulk COPY failed") from self._error

    def _run(self) -> None:
        while (tables := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain until closed
            try:
                for table, rows in tables:
                    _copy(self._driver, table, rows)
            except BaseException as error:  # handed to the building thread
                self._error = error


def _row_count(tables) -> int:
    return sum(len(rows) for table, rows in tables if table is not AuditEvent.__table__)


def _copy(driver_connection, table: Table, rows: list[dict]) -> None:
    keys = [column.key for column in table.columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, keys)))
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[key] for key in keys])
