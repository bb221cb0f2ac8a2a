"""Demo data for trying LabTrack on a laptop (never in production): accounts and a lab."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from labtrack.accounts import users as accounts
from labtrack.accounts.models import User
from labtrack.accounts.users import AccountPolicy
from labtrack.clinic import summaries
from labtrack.culture.models import Batch
from labtrack.demo import followup as demo_followup
from labtrack.demo import lab as demo_lab
from labtrack.demo import release as demo_release
from labtrack.extensions import db
from labtrack.web.policy import Role


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    password: str


DEMO_ACCOUNTS = (
    DemoAccount("tech", "Lucía Martín", Role.TECHNICIAN, "demo-bench-password"),
    DemoAccount("tech2", "Javier Ruiz", Role.TECHNICIAN, "demo-bench2-password"),
    DemoAccount("qa", "Carmen Navarro", Role.QA, "demo-quality-password"),
    DemoAccount("clinician", "Dr. Pablo Ortega", Role.CLINICIAN,
                "demo-clinic-password"),
    DemoAccount("admin", "Elena Soto", Role.ADMIN, "demo-office-password"),
)


def database_is_empty() -> bool:
    """True when no account exists yet."""
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def seed_demo(policy: AccountPolicy, lab_data: bool = True) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; returns those created.

    With ``lab_data``, also the demo lots, equipment, patients, orders and batches when
    no batch exists yet (so running it again changes nothing).
    """
    created = []
    for account in DEMO_ACCOUNTS:
        if accounts.find_user(account.username) is None:
            accounts.create_user(account.username, account.full_name, account.role,
                                 account.password, policy)
            created.append(account)
    if lab_data and not db.session.scalar(select(func.count()).select_from(Batch)):
        users = {account.username: accounts.find_user(account.username)
                 for account in DEMO_ACCOUNTS}
        passwords = {account.username: account.password for account in DEMO_ACCOUNTS}
        # The many small commits of a made-up lab skip the summaries, worked out once after.
        with _quick_sqlite_commits(), summaries.deferred(db.session):
            lab = demo_lab.seed_lab(users, passwords, policy,
                                    ZoneInfo(current_app.config["LAB_TIMEZONE"]),
                                    current_app.config)
            demo_release.seed_release_stage(lab, passwords["qa"])
            demo_followup.seed_followup(lab, passwords["qa"])
    return created


@contextlib.contextmanager
def _quick_sqlite_commits():
    """On SQLite, skip the disk sync after each of the demo's many small commits.

    Demo data is disposable; the setting is put back afterwards (the pool reuses the
    one connection of a single-threaded command).
    """
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:
        db.session.connection().exec_driver_sql("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        if sqlite:
            db.session.connection().exec_driver_sql("PRAGMA synchronous = FULL")
            db.session.commit()
