"""The at-risk notice: the treating clinician hears when a batch becomes at risk of missing
the procedure, or recovers.

After any count: registered with culture's count watchers when the application is built
(``app.py``), so every door a count comes in by (bench form, API, counter file) ends with
this check. As time passes: a batch whose projected ready date goes by without the target
becomes at risk with no new entry, so ``notify_at_risk`` checks every batch in culture as
of the app's clock (``labtrack notify-at-risk``, run by cron). Both send one notice per
change: the last at-risk or back-on-track notice of the batch says where it stood.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.accounts import notices
from labtrack.accounts.models import Notice
from labtrack.clinic.readiness import (
    AT_RISK_NOTICE,
    BACK_ON_TRACK_NOTICE,
    ReadinessSettings,
    batch_growth,
)
from labtrack.culture import counts
from labtrack.culture.models import Batch
from labtrack.culture.rules.states import BatchState
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.web.i18n import document_language


def check_at_risk(batch: Batch, settings: ReadinessSettings | None = None,
                  now: datetime | None = None) -> Notice | None:
    """After a count: tell the treating clinician when the batch becomes at risk, or recovers.

    Call it after ``counts.log_count`` (and amendments) in the same transaction; it only
    flushes. One notice per change: nothing is sent while the batch stays as it was.
    """
    if batch.state != BatchState.IN_CULTURE.value:
        return None
    settings = settings or ReadinessSettings.from_config(current_app.config)
    growth = batch_growth(batch, settings, now)
    last = db.session.scalar(
        select(Notice.kind).where(Notice.batch_id == batch.id,
                                  Notice.kind.in_((AT_RISK_NOTICE, BACK_ON_TRACK_NOTICE)))
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(1))
    if growth.at_risk == (last == AT_RISK_NOTICE):
        return None
    with document_language():  # a notice is written in the lab's document language
        return _at_risk_notice(batch, growth)


def _at_risk_notice(batch, growth) -> Notice:
    order = batch.order
    params = {"batch": batch.batch_number, "patient": order.patient.display_name,
              "planned": order.planned_procedure_date.isoformat()}
    if not growth.at_risk:
        return notices.notify(order.treating_clinician_id, BACK_ON_TRACK_NOTICE, _(
            "Batch %(batch)s for your patient %(patient)s is back on track for the procedure "
            "planned on %(planned)s.", **params), "info", batch_id=batch.id, order_id=order.id)
    if growth.ready is None:
        message = _("Batch %(batch)s for your patient %(patient)s is at risk: the culture is "
                    "not growing, so the doses may not be ready for the procedure planned on "
                    "%(planned)s.", **params)
    elif growth.ready_passed:
        message = _("Batch %(batch)s for your patient %(patient)s is at risk: the doses were "
                    "projected to be ready on %(ready)s, and no count since shows the target "
                    "reached. The procedure is planned on %(planned)s.",
                    ready=growth.ready.projected.isoformat(), **params)
    else:
        message = _("Batch %(batch)s for your patient %(patient)s is at risk: the doses are "
                    "projected to be ready on %(ready)s, after the procedure planned on "
                    "%(planned)s.", ready=growth.ready.projected.isoformat(), **params)
    return notices.notify(order.treating_clinician_id, AT_RISK_NOTICE, message, "warning",
                          batch_id=batch.id, order_id=order.id)


def notify_at_risk(settings: ReadinessSettings | None = None,
                   now: datetime | None = None) -> list[Notice]:
    """Check every batch in culture as of ``now`` (the app's clock): a batch that time alone
    has put at risk gets its notice, once. Commits batch by batch; returns the notices sent.

    Each batch's row is locked while it is checked (on PostgreSQL), so two runs at once, or
    a run and a count being recorded, send one notice between them.
    """
    settings = settings or ReadinessSettings.from_config(current_app.config)
    now = now or utcnow()
    sent = []
    ids = db.session.scalars(select(Batch.id).where(Batch.state == BatchState.IN_CULTURE.value)
                             .order_by(Batch.id)).all()
    for batch_id in ids:
        batch = db.session.scalar(select(Batch).where(Batch.id == batch_id).with_for_update())
        notice = check_at_risk(batch, settings, now)
        db.session.commit()
        if notice is not None:
            sent.append(notice)
    return sent


# Every count use case, whatever door it came in by, ends with this check (culture/counts.py).
counts.watch_counts(check_at_risk)
