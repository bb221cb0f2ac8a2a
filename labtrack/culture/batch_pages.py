"""Finding a batch for a page: 404 when there is none, and where each reader sees it."""

from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user

from labtrack.culture import batches
from labtrack.culture.models import Batch
from labtrack.web.policy import Area, may_use


def batch_or_404(batch_number: str) -> Batch:
    return batches.find_batch(batch_number) or abort(404)


def batch_page_url(batch: Batch) -> str:
    """Where a batch is shown to the current user: QA's review page, else the batch page."""
    if may_use(current_user.role, Area.QUALITY):
        return url_for("quality.batch", batch_number=batch.batch_number)
    return url_for("batches.detail", batch_number=batch.batch_number)
