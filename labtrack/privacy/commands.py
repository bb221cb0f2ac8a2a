"""``labtrack patient-export``: one patient's records in one archive, for an access request."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from labtrack.audit.capture import Actor, set_actor
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.privacy.export import export_patient

CLI_ACTOR = Actor(None, "cli")


@click.command("patient-export")
@click.argument("record_number")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reason", required=True,
              help="The request this export answers, e.g. its reference (recorded).")
@with_appcontext
def patient_export_command(record_number: str, output: Path, reason: str) -> None:
    """Write every record about the patient with RECORD_NUMBER to OUTPUT (a ZIP file)."""
    if output.exists():
        raise click.ClickException(f"{output} already exists; choose a new file.")
    set_actor(db.session, CLI_ACTOR)
    try:
        exported = export_patient(record_number, reason, CLI_ACTOR)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    with output.open("xb") as file:
        file.write(exported.content)
    click.echo(f"Exported {exported.records} records, {exported.events} audit events and "
               f"{exported.documents} documents of patient {record_number.strip()} "
               f"to {output}.")
