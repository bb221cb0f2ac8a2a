"""The audit trail's commands: verify (for cron), checkpoint (hourly), rotate the key.

``labtrack audit-verify`` prints one summary line and exits 0 when everything is
intact, 1 when it found tampering (each finding named on standard error), 2 when it
could not verify at all (no key, unreadable database). Its result is itself recorded
as an audit event, which the admin home shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from labtrack.audit import capture as audit
from labtrack.audit import checkpoints as audit_checkpoints
from labtrack.audit import keys as audit_keys
from labtrack.audit.rules.checkpoint import from_text
from labtrack.audit.trail import TRAIL, VERIFY_ACTION
from labtrack.audit.verification import VerificationResult, check_record_anchor, verify
from labtrack.extensions import db

EXIT_INTACT, EXIT_TAMPERED, EXIT_UNVERIFIABLE = 0, 1, 2

CLI_ACTOR = audit.Actor(None, "cli")


def summary(result: VerificationResult) -> str:
    if result.ok:
        return (f"Audit trail intact: {result.checked} events verified, "
                f"{result.checkpoints} checkpoints matched, every record reconciled.")
    findings = result.all_findings()
    return (f"Audit trail NOT intact: {len(findings)} problem(s), {result.checked} events "
            f"verified before the first break; first: {findings[0]}.")


@click.command("audit-verify")
@click.option("--record", "record", type=click.Path(exists=True, dir_okay=False,
                                                    path_type=Path),
              help="Check the audit checkpoint printed on a record (PDF) against the trail.")
@click.option("--no-reconcile", is_flag=True,
              help="Check the chain and checkpoints only, not every record.")
@with_appcontext
def audit_verify_command(record: Path | None, no_reconcile: bool) -> None:
    """Verify the keyed chain, its checkpoints and every record; exit 0, 1 or 2."""
    try:
        if record is not None:
            _verify_record(record)
            return
        result = verify(reconcile=not no_reconcile)
    except (audit_keys.AuditKeyError, SQLAlchemyError, OSError) as error:
        click.echo(f"Audit trail NOT verified: {error}", err=True)
        sys.exit(EXIT_UNVERIFIABLE)
    line = summary(result)
    _record_result(result, line)
    click.echo(line)
    if not result.ok:
        for finding in result.all_findings():
            click.echo(f"  {finding.kind}: {finding}", err=True)
        sys.exit(EXIT_TAMPERED)


def _verify_record(path: Path) -> None:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    findings = check_record_anchor(from_text(text))
    if findings:
        click.echo(f"Record {path.name} does NOT match the audit trail: {findings[0]}.")
        for finding in findings[1:]:
            click.echo(f"  {finding}", err=True)
        sys.exit(EXIT_TAMPERED)
    click.echo(f"Record {path.name}: its audit checkpoint matches the trail.")


def _record_result(result: VerificationResult, line: str) -> None:
    audit.set_actor(db.session, CLI_ACTOR)
    audit.record_event(db.session, VERIFY_ACTION, TRAIL, changes={
        "result": "intact" if result.ok else "not intact",
        "events": result.checked, "problems": len(result.all_findings()), "summary": line})
    db.session.commit()


@click.command("audit-checkpoint")
@with_appcontext
def audit_checkpoint_command() -> None:
    """Write a checkpoint of the chain's current head outside the database (run hourly)."""
    sealed = audit.seal(db.session)
    db.session.commit()
    if sealed.seq == 0:
        click.echo("The audit trail is empty; nothing to anchor.")
        return
    checkpoint = audit_checkpoints.make(sealed, "scheduled")
    audit_checkpoints.append(checkpoint)
    click.echo(f"Checkpoint written: seq {checkpoint.seq} at {checkpoint.at}.")


@click.command("audit-rotate-key")
@click.option("--reason", required=True, help="Why the key is rotated (recorded).")
@with_appcontext
def audit_rotate_key_command(reason: str) -> None:
    """Add a new audit key to the key file; the chain links with it from a recorded event."""
    previous = audit_keys.keyring().current_id
    try:
        key_id = audit_keys.rotate()
    except audit_keys.AuditKeyError as error:
        raise click.ClickException(str(error)) from error
    audit.set_actor(db.session, CLI_ACTOR)
    audit.record_event(db.session, "key_rotated", TRAIL,
                       changes={"key_id": [previous, key_id]}, why=reason)
    db.session.commit()
    click.echo(f"Audit key {key_id} is current from this event on; keep every earlier key "
               "to verify the trail.")


COMMANDS = (audit_verify_command, audit_checkpoint_command, audit_rotate_key_command)
