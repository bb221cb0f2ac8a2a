"""The ``labtrack`` command group's own commands (Flask adds run, routes, db, shell)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from labtrack import backup
from labtrack.accounts import users as accounts
from labtrack.accounts.users import AccountPolicy
from labtrack.audit import commands as audit_commands
from labtrack.audit import trail as audit_trail
from labtrack.audit.capture import Actor, set_actor
from labtrack.clinic import at_risk, summaries
from labtrack.culture.models import Batch
from labtrack.demo import seed as demo
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.privacy.commands import patient_export_command
from labtrack.web.policy import Role

CLI_ACTOR = Actor(None, "cli")


def register_cli(app: Flask) -> None:
    for command in (create_user_command, seed_demo_command,
                    backup_command, restore_command, refresh_summaries_command,
                    patient_export_command, notify_at_risk_command):
        app.cli.add_command(command)
    for command in audit_commands.COMMANDS:
        app.cli.add_command(command)


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--full-name", required=True, help="Name as printed on signatures.")
@with_appcontext
def create_user_command(username: str, role: str, full_name: str) -> None:
    """Create an account; the password is prompted for, or read from standard input."""
    set_actor(db.session, CLI_ACTOR)
    try:
        user = accounts.create_user(username, full_name, role, _read_password(),
                                    AccountPolicy.from_config(current_app.config))
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} account {user.username!r}.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing unless the database has no accounts.")
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Load demo users of every role (refused in production)."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is refused in production.")
    if if_empty and not demo.database_is_empty():
        click.echo("The database already has data; demo data not loaded.")
        return
    set_actor(db.session, CLI_ACTOR)
    created = demo.seed_demo(AccountPolicy.from_config(current_app.config))
    if not created:
        click.echo("Demo accounts already exist.")
    _print_demo_accounts()


def _print_demo_accounts() -> None:
    click.echo("Demo accounts (user name / password):")
    for account in demo.DEMO_ACCOUNTS:
        click.echo(f"  {account.role.value:<10} {account.username:<10} {account.password}")


@click.command("refresh-summaries")
@with_appcontext
def refresh_summaries_command() -> None:
    """Work out again the stored summaries behind the Today worklist and the readiness list."""
    summaries.refresh_all()
    db.session.commit()
    click.echo("Summaries worked out again for every batch and order.")


@click.command("notify-at-risk")
@with_appcontext
def notify_at_risk_command() -> None:
    """Tell the treating clinicians of batches time alone has put at risk (cron, hourly).

    Checks every batch in culture as of now; a batch already notified gets no second notice.
    """
    set_actor(db.session, CLI_ACTOR)
    sent = at_risk.notify_at_risk()
    named = ", ".join(f"{notice.kind} for {db.session.get(Batch, notice.batch_id).batch_number}"
                      for notice in sent)
    click.echo(f"At-risk check: {len(sent)} notice(s) sent" + (f": {named}." if sent else "."))


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent online copy of the SQLite database to FILE."""
    try:
        counts = backup.backup(db.engine, file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up {counts.total} rows to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore FILE into the configured (empty) SQLite database, then verify the audit chain."""
    try:
        counts = backup.restore(db.engine, file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    result = audit_trail.verify()
    click.echo(f"Restored {counts.total} rows from {file}; audit chain "
               f"{'intact' if result.ok else 'BROKEN'} ({result.checked} events).")
    if not result.ok:
        sys.exit(1)
