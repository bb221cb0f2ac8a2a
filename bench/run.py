"""LabTrack benchmark: build a database of N batches, then time the pages that matter.

Usage: python -m bench.run [--batches 10000] [--small 100] [--database-url URL] [--orm-build]
Results are printed and written to bench/results/<database>-<batches>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench import build_db, bulk_build
from bench.pages import PAGES, prepare, release_record_pdf
from bench.writes import audited_writes
from config import DevelopmentConfig
from labtrack.app import create_app
from labtrack.audit import trail as audit_trail
from labtrack.extensions import db

# Derived summaries to fill after a bulk load, where the application has them.
summaries = (importlib.import_module("labtrack.clinic.summaries")
             if importlib.util.find_spec("labtrack.clinic.summaries") else None)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "bench" / "data"
REPEAT = 30
BENCH_SECRET = "bench-secret-not-for-production"  # noqa: S105


def main() -> None:
    args = _arguments()
    report = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    for batches in sorted({args.small, args.batches}):
        url = _database(args.database_url, batches, orm=args.orm_build)
        report[str(batches)] = measure(url, batches, args.http_seconds)
    name = "postgresql" if args.database_url else "sqlite"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}-{args.batches}.json"
    out.write_text(json.dumps(report, indent=2))
    _print(report, args.small, args.batches)
    print(f"\nwritten to {out.relative_to(ROOT)}")


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--database-url", default=os.environ.get("LABTRACK_BENCH_DATABASE_URL"))
    parser.add_argument("--http-seconds", type=float, default=3.0)
    parser.add_argument("--orm-build", action="store_true",
                        help="build through the ORM session (slow) instead of in bulk")
    return parser.parse_args()


class _RequestClient(FlaskClient):
    """Each request in its own app context, as under a real server."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _app(url: str):
    # Each bench database keeps its own audit checkpoints (they anchor one trail).
    checkpoints = DATA / f"checkpoints-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    app = create_app(DevelopmentConfig(), SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=BENCH_SECRET,
                     AUDIT_CHECKPOINT_DIR=str(checkpoints))
    app.test_client_class = _RequestClient
    return app


def _database(base_url: str | None, batches: int, orm: bool = False) -> str:
    """A database holding ``batches`` batches, built once and reused.

    Built in bulk (``bench.bulk_build``: the rows and the audit events the capture would
    write) unless ``orm``, which creates every row through the ORM session instead.
    """
    if base_url:
        url = make_url(base_url).set(database=f"labtrack_bench_{batches}")
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                        {"n": url.database}).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        url = url.render_as_string(hide_password=False)
    else:
        DATA.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA / f'bench-{batches}.sqlite3'}"
    app = _app(url)
    with app.app_context():
        upgrade()
        if not db.session.execute(text("SELECT count(*) FROM batch")).scalar():
            started = time.perf_counter()
            print(f"building {batches} batches ({'ORM' if orm else 'bulk'}) …", flush=True)
            if orm:
                build_db.build(batches)
            else:
                bulk_build.build(batches, progress=lambda line: print(line, flush=True))
            print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
            _settle(db.engine)  # planner statistics for the summaries' queries
            if summaries is not None:
                step = time.perf_counter()
                summaries.refresh_all()
                db.session.commit()
                print(f"summaries refreshed in {time.perf_counter() - step:.0f} s", flush=True)
                _settle(db.engine)
        db.engine.dispose()
    return url


def _settle(engine) -> None:
    """VACUUM (ANALYZE) a freshly loaded PostgreSQL database (the server may not)."""
    if engine.dialect.name == "postgresql":
        started = time.perf_counter()
        bulk_build.vacuum_analyze(engine)
        print(f"VACUUM (ANALYZE) in {time.perf_counter() - started:.0f} s", flush=True)


@contextmanager
def _statement_counter(engine):
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def measure(url: str, batches: int, http_seconds: float) -> dict:
    """Time each page in process, count its SQL statements, then load it over HTTP."""
    app = _app(url)
    results = {}
    with app.app_context():
        targets = prepare(app)
        for page in PAGES:
            client = app.test_client()
            targets.sign_in(client, page.role)
            path = page.path(targets)
            client.get(path)  # warm caches
            times = []
            with _statement_counter(db.engine) as statements:
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
            results[page.name] = {"path": path, **_stats(times),
                                  "sql_per_request": statements["n"] / REPEAT}
        results["release_record_pdf"] = _stats(_repeat(lambda: release_record_pdf(targets), 20))
        started = time.perf_counter()
        verification = audit_trail.verify()
        seconds = time.perf_counter() - started
        results["audit_verify"] = {"events": verification.checked, "ok": verification.ok,
                                   "seconds": round(seconds, 2),
                                   "events_per_second": round(verification.checked / seconds)}
        db.engine.dispose()
    _http(url, targets, results, http_seconds)
    # Last, as it adds counts (and their events) to a few batches in culture.
    results["audited_writes"] = audited_writes(_app(url))
    results["batches"] = batches
    return results


def _repeat(function, times: int) -> list[float]:
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def _stats(times_ms: list[float]) -> dict:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def _http(url: str, targets, results: dict, seconds: float) -> None:
    """Requests per second for each page under gunicorn (2 workers × 4 threads)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "LABTRACK_DATABASE_URL": url, "LABTRACK_SECRET_KEY": BENCH_SECRET,
           "LABTRACK_ENV": "development"}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b",
         f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        for page in PAGES:
            cookie = targets.session_cookie(port, page.role)
            results[page.name]["http_requests_per_second"] = _load(
                f"http://127.0.0.1:{port}{results[page.name]['path']}", cookie, seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()  # noqa: S310
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _load(url: str, cookie: str, seconds: float, clients: int = 8) -> float:
    done = [0] * clients
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
        while time.monotonic() < deadline:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                response.read()
            done[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(done) / seconds, 1)


def _print(report: dict, small: int, large: int) -> None:
    print(f"{'page':<22}{'median ms':>10}{'p95 ms':>9}{'SQL/req':>9}"
          f"{'SQL/req@' + str(small):>12}{'req/s':>9}")
    for name, figures in report[str(large)].items():
        if not isinstance(figures, dict) or "median_ms" not in figures:
            continue
        small_sql = report[str(small)].get(name, {}).get("sql_per_request", "")
        print(f"{name:<22}{figures['median_ms']:>10}{figures['p95_ms']:>9}"
              f"{figures.get('sql_per_request', ''):>9}{small_sql:>12}"
              f"{figures.get('http_requests_per_second', ''):>9}")
    verify = report[str(large)]["audit_verify"]
    print(f"audit-verify: {verify['events']} events in {verify['seconds']} s "
          f"= {verify['events_per_second']} events/s (intact: {verify['ok']})")
    writes = report[str(large)]["audited_writes"]
    print(f"audited writes: {writes['commits_per_second']} commits/s, "
          f"{writes['audit_events_per_second']} events/s with {writes['threads']} writers "
          f"({writes['failed']} failed)")


if __name__ == "__main__":
    main()
