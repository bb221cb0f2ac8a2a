"""In-app notices: sent by the use cases, counted in the header, listed and marked read."""

from datetime import timedelta

from sqlalchemy import select

from labtrack.accounts import notices
from labtrack.accounts import notices as inbox
from labtrack.accounts.models import Notice
from labtrack.extensions import db
from tests import builders
from tests.helpers import csrf_token_from, lab_today, login


def test_a_release_notice_shows_in_the_header_badge_and_list(app, client, make_user):
    clinician = make_user("clinician")
    batch = builders.releasable_batch(builders.order(clinician))
    builders.release(batch)
    login(client, clinician.username)
    page = client.get("/readiness").get_data(as_text=True)
    assert 'data-testid="unread-count"' in page
    listing = client.get("/notices").get_data(as_text=True)
    assert batch.batch_number in listing and "released for clinical use" in listing
    assert batch.order.order_number in listing  # a link to the order


def test_marking_read_clears_the_badge(app, client, make_user):
    clinician = make_user("clinician")
    first = notices.notify(clinician.id, "batch_released", "First", "info")
    notices.notify(clinician.id, "batch_rejected", "Second", "warning")
    db.session.commit()
    login(client, clinician.username)
    page = client.get("/notices")
    client.post(f"/notices/{first.id}/read", data={"csrf_token": csrf_token_from(page)})
    assert notices.unread_count(clinician.id) == 1
    unread = client.get("/notices?unread=1").get_data(as_text=True)
    assert "Second" in unread and "First" not in unread
    client.post("/notices/read-all", data={"csrf_token": csrf_token_from(page)})
    assert notices.unread_count(clinician.id) == 0
    assert 'data-testid="unread-count"' not in client.get("/notices").get_data(as_text=True)


def test_another_users_notice_cannot_be_marked(app, client, make_user):
    owner, other = make_user("clinician"), make_user("clinician")
    notice = notices.notify(owner.id, "at_risk", "Yours only", "warning")
    db.session.commit()
    login(client, other.username)
    page = client.get("/notices")
    assert "Yours only" not in page.get_data(as_text=True)
    response = client.post(f"/notices/{notice.id}/read",
                           data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 404
    assert client.post(f"/notices/{notice.id}/read").status_code == 400  # no CSRF token
    db.session.refresh(notice)
    assert notice.read_at is None


def test_reading_a_notice_needs_no_reason_and_leaves_no_audit_change(app):
    clinician = builders.user("clinician")
    notice = notices.notify(clinician.id, "batch_released", "Read me", "info")
    db.session.commit()
    inbox.mark_read(clinician, notice)
    assert db.session.scalar(select(Notice.read_at).where(Notice.id == notice.id)) is not None


def test_the_at_risk_notice_reaches_the_treating_clinician(app, client, make_user):
    from labtrack.clinic import at_risk
    from labtrack.database import utcnow

    clinician = make_user("clinician")
    order = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=3))
    batch = builders.seeded_batch(order)
    builders.count(batch, 3_000_000, counted_at=utcnow() - timedelta(days=4))
    builders.count(batch, 4_000_000, counted_at=utcnow() - timedelta(days=1))
    at_risk.check_at_risk(batch)
    db.session.commit()
    login(client, clinician.username)
    listing = client.get("/notices").get_data(as_text=True)
    assert 'data-kind="at_risk"' in listing and "is at risk" in listing


def test_the_order_page_shows_the_whole_timeline(app, client, make_user):
    clinician = make_user("clinician")
    order = builders.order(clinician)
    batch = builders.releasable_batch(order)
    builders.release(batch)
    from labtrack.clinic import administration
    from labtrack.culture import harvest

    dose = harvest.batch_doses(batch)[0]
    administration.record_administration(clinician, order.patient.record_number,
                                         dose.dose_code, dose.disc_level)
    login(client, clinician.username)
    page = client.get(f"/orders/{order.order_number}").get_data(as_text=True)
    for stage in ("order", "sample", "culture", "qc", "release", "doses", "administration"):
        assert f'data-stage="{stage}"' in page, stage
    assert "Released for clinical use" in page and dose.dose_code in page
