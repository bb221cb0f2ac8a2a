"""Importing a cell counter's export file: a preview of every row, then the counts.

The preview and the confirmation both read the file as staged on the server and work
every value out again; the rows become counts through ``counts.record_counts``, the use
case family a typed count goes through, so they meet the same checks and the treating
clinician gets the same at-risk notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from labtrack import clock
from labtrack.accounts.models import User
from labtrack.culture import counter_uploads, counts, plausibility
from labtrack.culture import steps as culture
from labtrack.culture.counter_uploads import Upload
from labtrack.culture.counts import CountData
from labtrack.culture.models import Batch, CellCount, CounterFile
from labtrack.culture.rules import counter_import as rules
from labtrack.culture.rules.counter_files import FileRefused, Reading, read_counter_file
from labtrack.culture.rules.counter_import import ViabilityLimits
from labtrack.culture.rules.counting import CountMethod, CountTotals
from labtrack.culture.terms import counter_file_refusal, import_warning_label
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms.models import SpecificationTest
from labtrack.web.policy import Area, require_area
from labtrack.web.templating import lab_zone

SOURCE = "counter_file"
VOLUME_MESSAGES = {
    "missing": lambda: _("Give the suspension volume counted (mL)."),
    "range": lambda: _("The suspension volume must be above 0 and at most 10 000 mL."),
}


@dataclass
class PreviewRow:
    """One reading with the batch it names, its totals and what the technician must see."""

    reading: Reading
    batch: Batch | None
    volume_ml: Decimal | None
    totals: CountTotals | None = None
    warnings: list[str] = field(default_factory=list)
    problem: str | None = None  # why this row cannot become a count
    asks_volume: bool = False  # the row names the batch being imported: its volume counts
    count_data: CountData | None = None

    @property
    def importable(self) -> bool:
        return self.problem is None and self.count_data is not None


@dataclass
class Preview:
    upload: Upload
    file_format: str
    rows: list[PreviewRow]

    @property
    def importable(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.importable]

    @property
    def complete(self) -> bool:
        """Every row naming a batch imported here has its volume, and one row or more can
        be imported."""
        return bool(self.importable) and not any(
            row.asks_volume and row.totals is None for row in self.rows)


@dataclass(frozen=True)
class ImportResult:
    file: CounterFile
    counts: list[CellCount]
    batch_numbers: list[str]  # the batches that received counts, sorted


def read_upload(upload: Upload):
    """The file's readings, or a ServiceError with the reason it cannot be read."""
    try:
        return read_counter_file(upload.content)
    except FileRefused as refused:
        raise ServiceError(counter_file_refusal(refused), field="file") from None


class AlreadyImported(ServiceError):
    """The same file (by its SHA-256) was imported before."""


def _refuse_imported(sha256: str) -> None:
    stored = counter_uploads.imported_file(sha256)
    if stored is not None:
        when = clock.local(stored.created_at, lab_zone()).strftime("%Y-%m-%d %H:%M")
        raise AlreadyImported(_("This file was already imported on %(when)s (SHA-256 "
                                "%(hash)s); the same file cannot be imported twice.",
                                when=when, hash=stored.sha256), field="file")


def stage(acting: User, upload: Upload) -> str:
    """Check the file can be read and was not imported before, then keep it aside."""
    require_area(acting.role, Area.BENCH, _("Only a lab technician may import cell counts."))
    _refuse_imported(upload.sha256)
    read_upload(upload)
    return counter_uploads.stage(acting, upload)


def preview(acting: User, upload: Upload, volumes: dict[int, Decimal | None],
            batch: Batch | None = None) -> Preview:
    """Every row of the file, as it would be imported with these volumes; stores nothing.

    ``volumes`` are the suspension volumes typed per row (by the row's line); a volume
    the file gives is used instead. With ``batch``, only rows naming that batch import.
    """
    require_area(acting.role, Area.BENCH, _("Only a lab technician may import cell counts."))
    _refuse_imported(upload.sha256)
    readout = read_upload(upload)
    matched = counter_uploads.batches_for([r.sample_id for r in readout.readings])
    limits = _limits({b.specification_id for b in matched.values()})
    rows = [_row(acting, reading, matched.get(rules.sample_key(reading.sample_id)),
                 reading.volume_ml or volumes.get(reading.line), batch, limits)
            for reading in readout.readings]
    return Preview(upload, readout.format.value, rows)


def _limits(specification_ids: set[int]) -> dict[int, ViabilityLimits]:
    rows = db.session.execute(
        select(SpecificationTest.specification_id, SpecificationTest.lower,
               SpecificationTest.upper)
        .where(SpecificationTest.code == "viability",
               SpecificationTest.specification_id.in_(specification_ids))) \
        if specification_ids else []
    return {spec: ViabilityLimits(lower, upper) for spec, lower, upper in rows}


def _row(acting: User, reading: Reading, found: Batch | None, volume: Decimal | None,
         only: Batch | None, limits: dict[int, ViabilityLimits]) -> PreviewRow:
    row = PreviewRow(reading, found, volume)
    computed = rules.viability_of(reading)
    spec = limits.get(found.specification_id) if found else None
    row.warnings = [import_warning_label(w)
                    for w in rules.warnings_for(reading, spec or ViabilityLimits(), computed)]
    if not reading.sample_id.strip():
        row.problem = _("No sample id: LabTrack cannot tell which batch this count is of.")
    elif found is None:
        row.problem = _("Unknown sample id %(id)s: no batch has this number or DIN.",
                        id=reading.sample_id[:40])
    elif only is not None and found.id != only.id:
        row.problem = _("This count is of batch %(other)s, not %(batch)s: import it from "
                        "the bench-wide import page.", other=found.batch_number,
                        batch=only.batch_number)
    else:
        _count(acting, row)
    return row


def import_confirmation() -> str:
    """The reason kept with an imported row past a soft plausibility limit: the technician
    saw its warning on the preview and confirmed the import."""
    return _("Confirmed on the counter file's import preview, which showed this warning.")


def _count(acting: User, row: PreviewRow) -> None:
    row.asks_volume = True
    problem = rules.volume_problem(row.volume_ml)
    if problem:
        row.problem = VOLUME_MESSAGES[problem]()
        return
    reading = row.reading
    row.totals = rules.totals(reading, row.volume_ml)
    if rules.implausible(row.totals):
        row.problem = _("These totals are beyond any culture: check the volume and the file.")
        return
    try:
        counted_at = _counted_at(reading)
    except (clock.LocalTimeError, OverflowError):
        row.problem = _("The count's time falls in a change of the clocks and cannot be "
                        "placed without doubt.")
        return
    row.count_data = CountData(
        counted_at=counted_at, method=CountMethod.AUTOMATED,
        viable_cells=row.totals.viable_cells, dead_cells=row.totals.dead_cells,
        viability_percent=None, dilution=reading.dilution, volume_ml=row.volume_ml,
        source=SOURCE, instrument_serial=reading.instrument_serial[:60] or None,
        operator=reading.operator[:100] or None, plausibility_reason=import_confirmation())
    row.problem = counts.refusal(acting, row.batch, row.count_data)
    if row.problem is None:  # the same soft limits as a typed count, shown on the preview
        row.warnings += plausibility.soft_warnings(
            row.batch, row.totals.viable_cells, counted_at, culture.current_passage(row.batch))


def _counted_at(reading: Reading):
    moment = reading.measured_at
    if moment is None:
        return utcnow()
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    if reading.utc_offset is not None:  # the file says which offset its clock showed
        return (moment - reading.utc_offset).replace(tzinfo=UTC)
    return clock.lab_local_to_utc(moment, lab_zone())


def confirm(acting: User, upload: Upload, volumes: dict[int, Decimal | None],
            batch: Batch | None = None) -> ImportResult:
    """Store the file once and log a count for each row that can be imported; commits."""
    found = preview(acting, upload, volumes, batch)
    if not found.complete:
        raise ServiceError(_("Nothing was imported: give the suspension volume of every "
                             "count that names a batch, and check the rows that cannot be "
                             "imported."))
    try:
        stored = counter_uploads.store_file(acting, upload, found.file_format)
        entries = [(row.batch, replace(row.count_data, counter_file_id=stored.id))
                   for row in found.importable]
        logged = counts.record_counts(acting, entries)
    except IntegrityError:  # the same file confirmed twice at once: the other one won
        db.session.rollback()
        _refuse_imported(upload.sha256)
        raise
    counter_uploads.discard(acting, upload.sha256)
    numbers = sorted({row.batch.batch_number for row in found.importable})
    return ImportResult(stored, logged, numbers)
