"""Printing labels: PDF or ZPL, and the print log that says who printed which label when.

A label printed again for the same record (the same sample's tube or flasks, the same
dose) is a reprint: the log marks it and the label itself says REPRINT, so a second
label in circulation is always recognisable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import exists, select

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.label_layout import DoseLabelData, LabelData, Stock
from labtrack.identity.label_pdf import LAYOUTS, label_pdf, layout_of
from labtrack.identity.label_zpl import RESOLUTIONS, label_zpl
from labtrack.identity.models import LabelPrint


class LabelKind(StrEnum):
    TUBE = "tube"
    FLASK = "flask"
    DOSE = "dose"


class LabelFormat(StrEnum):
    PDF = "pdf"
    ZPL = "zpl"


MIME_TYPES = {LabelFormat.PDF: "application/pdf", LabelFormat.ZPL: "application/zpl"}


@dataclass(frozen=True)
class PrintRequest:
    """How to print: PDF (one label a page, or A4 sheets) or ZPL at a printer's dpi."""

    format: LabelFormat = LabelFormat.PDF
    layout: str = "single"
    dpi: int | None = None

    @classmethod
    def read(cls, format_name: str, layout: str | None, dpi: int | None) -> PrintRequest:
        """From a request's words; unknown ones are refused with a message."""
        try:
            chosen = LabelFormat(format_name)
        except ValueError:
            raise ServiceError(_("Labels are printed as PDF or ZPL.")) from None
        if chosen is LabelFormat.ZPL:
            if dpi not in RESOLUTIONS:
                raise ServiceError(_("Choose the label printer's resolution: 203 or 300 dpi."),
                                   field="dpi")
            return cls(chosen, "single", dpi)
        if (layout or "single") not in LAYOUTS:
            raise ServiceError(_("Unknown kind of label or layout."))
        return cls(chosen, layout or "single", None)


@dataclass(frozen=True)
class LabelJob:
    """Labels to print for one record, and what the log needs to know of them."""

    kind: LabelKind
    sample_id: int
    batch_id: int | None
    labels: Sequence[LabelData | DoseLabelData]
    dose_ids: Sequence[int | None]  # one per label (None for tube and flask labels)


def is_reprint(kind: LabelKind, sample_id: int, dose_id: int | None = None) -> bool:
    """True when this label was printed before (any format)."""
    query = select(LabelPrint.id).where(LabelPrint.label == kind.value,
                                        LabelPrint.sample_id == sample_id)
    if dose_id is not None:
        query = query.where(LabelPrint.dose_id == dose_id)
    return db.session.scalar(select(exists(query))) or False


def print_job(acting: User, job: LabelJob, request: PrintRequest, title: str,
              stock: Stock | None = None) -> bytes:
    """Render the labels, marked REPRINT where they were printed before, and log them.

    Flushes; the caller commits.
    """
    reprints = [is_reprint(job.kind, job.sample_id, dose_id) for dose_id in job.dose_ids]
    labels = [replace(label, reprint=again) for label, again in zip(job.labels, reprints,
                                                                     strict=True)]
    if request.format is LabelFormat.ZPL:
        output = label_zpl([layout_of(label, stock) for label in labels], request.dpi).encode()
    else:
        output = label_pdf(labels, request.layout, title=title, stock=stock)
    audit.attribute_to(db.session, acting)
    for dose_id, group in _grouped(job, reprints):
        again, copies = group
        db.session.add(LabelPrint(printed_by_id=acting.id, label=job.kind.value,
                                  sample_id=job.sample_id, batch_id=job.batch_id,
                                  dose_id=dose_id, copies=copies, format=request.format.value,
                                  dpi=request.dpi, reprint=again))
    db.session.flush()
    return output


def _grouped(job: LabelJob, reprints: list[bool]) -> list[tuple[int | None, tuple[bool, int]]]:
    """One log row per dose, or one for all the tube's or flasks' labels."""
    if job.kind is LabelKind.DOSE:
        return [(dose_id, (again, 1)) for dose_id, again in zip(job.dose_ids, reprints,
                                                                strict=True)]
    return [(None, (any(reprints), len(job.labels)))]


def prints_of(batch_id: int) -> list[LabelPrint]:
    """Every label printed for a batch (its sample's too), newest first."""
    return list(db.session.scalars(
        select(LabelPrint).where(LabelPrint.batch_id == batch_id)
        .order_by(LabelPrint.printed_at.desc(), LabelPrint.id.desc())))

