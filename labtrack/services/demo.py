"""Demo data for trying LabTrack on a laptop (never in production)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from labtrack.domain.roles import Role
from labtrack.extensions import db
from labtrack.models.users import User
from labtrack.services import accounts
from labtrack.services.accounts import AccountPolicy


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    password: str


DEMO_ACCOUNTS = (
    DemoAccount("tech", "Lucía Martín (technician)", Role.TECHNICIAN, "demo-tech-password"),
    DemoAccount("tech2", "Javier Ruiz (technician)", Role.TECHNICIAN, "demo-tech2-password"),
    DemoAccount("qa", "Carmen Navarro (QA)", Role.QA, "demo-qa-password"),
    DemoAccount("clinician", "Dr. Pablo Ortega (clinician)", Role.CLINICIAN,
                "demo-clinician-password"),
    DemoAccount("admin", "Elena Soto (administrator)", Role.ADMIN, "demo-admin-password"),
)


def database_is_empty() -> bool:
    """True when no account exists yet."""
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def seed_demo(policy: AccountPolicy) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; returns those created."""
    created = []
    for account in DEMO_ACCOUNTS:
        if accounts.find_user(account.username) is None:
            accounts.create_user(account.username, account.full_name, account.role,
                                 account.password, policy)
            created.append(account)
    return created
