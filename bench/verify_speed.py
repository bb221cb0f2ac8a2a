"""Audit verification alone, at a given number of events (default 1.25 million).

Usage: python -m bench.verify_speed [--events 1250000] [--database-url URL]

Builds (once, kept under bench/data/) a database whose trail holds ``--events`` events
shaped like the bench's (a creation's changes of about 600 characters), linked with the
application's own ``link_events`` under the audit key, then times ``verify()`` (the
keyed chain and the checkpoints; the reconciliation of records is timed apart, as
``audit-verify`` runs it, when ``--reconcile`` is given).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select, update

from config import DevelopmentConfig
from labtrack.app import create_app
from labtrack.audit.capture import canonical_json, link_events
from labtrack.audit.keys import keyring
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.audit.verification import verify
from labtrack.database import utcnow
from labtrack.extensions import db

DATA = Path(__file__).resolve().parent / "data"
CHUNK = 20_000
CHANGES = canonical_json({
    "batch_id": [None, 1234], "viable_cells": [None, 48_500_000], "total_cells": [None, 51_000_000],
    "viability_percent": [None, "95.1"], "counted_at": [None, "2026-03-02T09:15:00+00:00"],
    "method": [None, "automated, trypan blue"], "instrument_serial": [None, "CNT-0042"],
    "operator": [None, "Lucía Martín"], "counted_by_id": [None, 4], "supersedes_id": [None, None],
    "amendment_reason": [None, None], "counter_file_id": [None, None], "id": [None, 98765],
    "created_at": [None, "2026-03-02T09:16:03.123456+00:00"], "flask": [None, "F2"]})


def build(events: int) -> None:
    head = db.session.get(AuditChainHead, 1)
    if head.seq >= events:
        return
    ring, moment = keyring(), utcnow() - timedelta(days=30)
    seq, link = head.seq, head.last_hash
    started = time.perf_counter()
    while seq < events:
        size = min(CHUNK, events - seq)
        pending = [{"user_id": 4, "username": "tech", "client_addr": "10.0.0.7",
                    "action": "create", "record_type": "cell_count",
                    "record_id": str(seq + n + 1), "changes": CHANGES, "reason": None,
                    "api_token_id": None}
                   for n in range(size)]
        rows = link_events(pending, seq, link, moment, ring)
        db.session.execute(AuditEvent.__table__.insert(), rows)
        seq, link = rows[-1]["seq"], rows[-1]["hash"]
        db.session.execute(update(AuditChainHead).where(AuditChainHead.id == 1)
                           .values(seq=seq, last_hash=link))
        db.session.commit()
    print(f"built {events} events in {time.perf_counter() - started:.0f} s")


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_250_000)
    parser.add_argument("--database-url")
    parser.add_argument("--reconcile", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{DATA / f'verify-{args.events}.sqlite3'}"
    app = create_app(DevelopmentConfig(), SQLALCHEMY_DATABASE_URI=url,
                     AUDIT_CHECKPOINT_DIR=str(DATA / f"checkpoints-verify-{args.events}"),
                     AUDIT_KEYS="bench:" + "be" * 32)
    with app.app_context():
        upgrade()
        build(args.events)
        total = db.session.scalar(select(func.count()).select_from(AuditEvent))
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), _cpu_seconds()
            result = verify()
            seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
            # CPU time (this process and its verifying workers) shows the cost apart from
            # a shared machine's load: on an idle machine wall time ≈ CPU time / cores.
            print(f"verify: {result.checked} of {total} events in {seconds:.2f} s = "
                  f"{result.checked / seconds:,.0f} events/s (intact: {result.ok}); "
                  f"{cpu:.2f} CPU-s = {result.checked / cpu:,.0f} events per CPU-second, "
                  f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
            db.session.rollback()
        if args.reconcile:
            started = time.perf_counter()
            result = verify(reconcile=True)
            print(f"verify with reconciliation: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
