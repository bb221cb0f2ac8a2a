"""Counter files at the bench: the upload kept aside until confirmed, the batch a row names,
and the file stored once with its SHA-256.

Until the technician confirms, nothing is in the database: the upload waits in a
directory of its own (``COUNTER_UPLOAD_DIR``), named by the uploader and the file's
SHA-256, and the preview and the confirmation each read it again from there, so the
values imported are the file's, never what a browser sends back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from labtrack.accounts.models import User
from labtrack.culture.models import Batch, CounterFile
from labtrack.culture.rules.counter_import import sample_key
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.identity.models import Sample

SHA256 = re.compile(r"[0-9a-f]{64}")
STALE_AFTER = timedelta(days=1)
MAX_FILENAME = 255


@dataclass(frozen=True)
class Upload:
    """A file as uploaded: its name, its bytes and their SHA-256."""

    filename: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _directory() -> Path:
    directory = Path(current_app.config["COUNTER_UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _paths(user: User, sha256: str) -> tuple[Path, Path]:
    stem = _directory() / f"{int(user.id)}-{sha256}"
    return stem.with_suffix(".bin"), stem.with_suffix(".name")


def clean_filename(name: str | None) -> str:
    """The file's own name without any folder a browser may send, kept short."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return (base or "counter-export")[:MAX_FILENAME]


def stage(user: User, upload: Upload) -> str:
    """Keep the upload aside for ``user`` until they confirm it; returns its SHA-256.

    Uploads left unconfirmed for a day are forgotten (they were never records)."""
    _forget_stale()
    content, name = _paths(user, upload.sha256)
    content.write_bytes(upload.content)
    name.write_text(clean_filename(upload.filename), encoding="utf-8")
    return upload.sha256


def _forget_stale() -> None:
    oldest = (utcnow() - STALE_AFTER).timestamp()
    for path in _directory().glob("*-*.*"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
        except OSError:  # another worker removed it first
            continue


def staged(user: User, sha256: str) -> Upload | None:
    """The upload ``user`` staged under this SHA-256, if it is still there and intact."""
    if not SHA256.fullmatch(sha256 or ""):
        return None
    content, name = _paths(user, sha256)
    try:
        upload = Upload(name.read_text(encoding="utf-8"), content.read_bytes())
    except OSError:
        return None
    return upload if upload.sha256 == sha256 else None


def discard(user: User, sha256: str) -> None:
    """Forget a staged upload (after its import)."""
    if SHA256.fullmatch(sha256 or ""):
        for path in _paths(user, sha256):
            path.unlink(missing_ok=True)


def imported_file(sha256: str) -> CounterFile | None:
    """The stored file with this SHA-256: the same file cannot be imported twice."""
    return db.session.scalar(select(CounterFile).where(CounterFile.sha256 == sha256))


def batches_for(sample_ids: list[str]) -> dict[str, Batch]:
    """The batch each sample id names, by its batch number or its sample's DIN, keyed by
    :func:`sample_key`; ids naming no batch are left out."""
    keys = {sample_key(text) for text in sample_ids} - {""}
    if not keys:
        return {}
    rows = db.session.execute(
        select(Batch, Sample.din).join(Sample, Sample.id == Batch.sample_id)
        .where(or_(Batch.batch_number.in_(keys), Sample.din.in_(keys))))
    found = {}
    for batch, din in rows:
        found[sample_key(batch.batch_number)] = batch
        found[sample_key(din)] = batch
    return {key: found[key] for key in keys if key in found}


def store_file(acting: User, upload: Upload, file_format: str) -> CounterFile:
    """Store the file as it came, with its SHA-256; flushes, the caller commits."""
    stored = CounterFile(sha256=upload.sha256, filename=clean_filename(upload.filename),
                         file_format=file_format, size_bytes=len(upload.content),
                         content=upload.content, imported_by_id=acting.id)
    db.session.add(stored)
    db.session.flush()
    return stored
