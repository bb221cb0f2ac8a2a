"""Follow-up visits: recording through the use case and the page, corrections with a
reason, the schedule on the clinician's home, need-to-know."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from labtrack.audit.models import AuditEvent
from labtrack.clinic import followup
from labtrack.clinic import views as clinic_views
from labtrack.clinic.followup import DiscData, FollowUpSettings, VisitData
from labtrack.clinic.models import FollowUpVisit
from labtrack.clinic.rules.followup import VisitState
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import csrf_token_from, lab_today, login

ODI = [3, 2, 4, 1, 3, 2, 3, 4, 0, 2]  # 24 of 50: 48 %


def settings(app):
    return FollowUpSettings.from_config(app.config)


def visit(app, clinician, order, key, days_ago, **fields):
    data = VisitData(visit_key=key, visit_date=lab_today() - timedelta(days=days_ago),
                     **{"back_pain": 7, "leg_pain": 4, "odi_answers": ODI, **fields})
    return followup.record_visit(clinician, order, data, settings(app), lab_zone())


def test_a_visit_is_scored_and_stored_with_mri_per_disc(app, clinician, treat):
    order = treat(days_ago=95)
    found = visit(app, clinician, order, "month_3", 1, odi_answers=[3, 2, 4, 1, 3, 2, 3, 4,
                                                                    None, 2],
                  pgic="much_improved", analgesics="occasional",
                  discs=[DiscData("L4-L5", 3, Decimal("9.5")), DiscData("L5-S1")])
    assert found.odi_percent == Decimal("53.3") and found.odi_answers == "32413234-2"
    assert [(d.disc_level, d.pfirrmann_grade) for d in found.discs] == [("L4-L5", 3)]
    assert found.recorded_by_id == clinician.id
    with pytest.raises(ServiceError, match="already recorded"):
        visit(app, clinician, order, "month_3", 1)


@pytest.mark.parametrize(("fields", "field"), [
    ({"back_pain": 11}, "back_pain"),
    ({"odi_answers": [3, None, None, 1, 3, 2, 3, 4, 0, 2]}, "odi"),
    ({"odi_answers": [6, 2, 4, 1, 3, 2, 3, 4, 0, 2]}, "odi"),
    ({"discs": [DiscData("L3-L4", 3)]}, "mri"),
    ({"discs": [DiscData("L4-L5", 6)]}, "mri"),
])
def test_a_visit_a_patient_cannot_have_is_refused(app, clinician, treat, fields, field):
    order = treat(days_ago=95)
    with pytest.raises(ServiceError) as refused:
        visit(app, clinician, order, "month_3", 1, **fields)
    assert refused.value.field == field
    db.session.rollback()
    assert followup.current_visits(order) == []


def test_visits_are_dated_against_the_injection(app, clinician, treat):
    order = treat(days_ago=10)
    with pytest.raises(ServiceError, match="after the injection"):
        visit(app, clinician, order, "week_1", 11)
    with pytest.raises(ServiceError, match="before the injection"):
        visit(app, clinician, order, "baseline", 3)
    with pytest.raises(ServiceError, match="future"):
        visit(app, clinician, order, "week_1", -1)
    assert visit(app, clinician, order, "baseline", 12).visit_key == "baseline"


def test_a_correction_supersedes_with_its_reason_and_keeps_the_first(app, clinician, treat):
    order = treat(days_ago=95)
    first = visit(app, clinician, order, "month_3", 1)
    data = VisitData("month_3", first.visit_date, back_pain=3, odi_answers=ODI)
    with pytest.raises(ServiceError):
        followup.correct_visit(clinician, first, data, " ", settings(app), lab_zone())
    second = followup.correct_visit(clinician, first, data, "Pain transcribed from the wrong "
                                    "form", settings(app), lab_zone())
    assert second.supersedes_id == first.id and second.back_pain == 3
    assert [v.id for v in followup.current_visits(order)] == [second.id]
    db.session.refresh(first)
    assert first.back_pain == 7  # never overwritten
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.record_type == "follow_up_visit", AuditEvent.record_id == str(second.id)))
    assert event.reason == "Pain transcribed from the wrong form"
    with pytest.raises(ServiceError, match="already corrected"):
        followup.correct_visit(clinician, first, data, "again", settings(app), lab_zone())


def test_only_the_treating_clinician_records(app, clinician, treat):
    order = treat(days_ago=95)
    for other in (builders.user("clinician"), builders.user("qa")):
        with pytest.raises(PermissionDenied):
            visit(app, other, order, "month_3", 1)


def test_the_home_lists_visits_due_and_overdue(app, client, clinician, treat):
    recent, older = treat(days_ago=92), treat(days_ago=200)
    visit(app, clinician, older, "week_1", 190)
    due = followup.due_visits(clinician.id, settings(app), lab_zone())
    found = {(d.order.order_number, d.window.key): d.state for d in due}
    assert found[recent.order_number, "month_3"] is VisitState.DUE
    assert found[recent.order_number, "week_1"] is VisitState.OVERDUE
    assert found[older.order_number, "month_6"] is VisitState.DUE
    assert (older.order_number, "week_1") not in found
    assert due[0].state is VisitState.OVERDUE
    login(client, clinician.username)
    page = client.get("/readiness").get_data(as_text=True)
    assert 'data-testid="visits-due"' in page and f'data-order="{recent.order_number}"' in page


def test_the_home_shows_the_most_pressing_visits_and_says_how_many_in_all(
        app, client, clinician, treat, monkeypatch):
    recent, older = treat(days_ago=92), treat(days_ago=200)
    everything = followup.due_visits(clinician.id, settings(app), lab_zone())
    monkeypatch.setattr(clinic_views, "DUE_VISITS_SHOWN", 2)
    login(client, clinician.username)
    page = client.get("/readiness").get_data(as_text=True)
    shown = re.findall(r'data-testid="visit-due" data-order="([^"]+)" data-visit="([^"]+)" '
                       r'data-state="overdue"', page)
    assert shown == [(d.order.order_number, d.window.key) for d in everything[:2]]
    assert page.count('data-testid="visit-due"') == 2
    assert f"The 2 most pressing of {len(everything)} visits due" in page
    assert len(everything) > 2 and {recent.order_number, older.order_number}


def test_recording_a_visit_through_the_page(app, client, clinician, treat):
    order = treat(days_ago=95)
    login(client, clinician.username)
    url = f"/orders/{order.order_number}/follow-up/visits/new?visit=month_3"
    form = client.get(url)
    assert form.status_code == 200
    fields = {"csrf_token": csrf_token_from(form), "visit_key": "month_3",
              "visit_date": lab_today().isoformat(), "back_pain": "3", "leg_pain": "1",
              "pgic": "much_improved", "analgesics": "none", "discs-0-disc_level": "L4-L5",
              "discs-0-pfirrmann_grade": "3", "discs-0-disc_height_mm": "9,5",
              "discs-1-disc_level": "L5-S1", "notes": "Walking 2 km"}
    fields.update({f"odi-{n}": str(score) for n, score in enumerate(ODI)})
    bad = client.post(url, data={**fields, "back_pain": "12"})
    assert bad.status_code == 422 and "Pain is rated 0 to 10" in bad.get_data(as_text=True)
    assert followup.current_visits(order) == []
    done = client.post(url, data=fields)
    assert done.status_code == 302
    [stored] = followup.current_visits(order)
    assert (stored.back_pain, stored.odi_percent) == (3, Decimal("48.0"))
    assert stored.discs[0].disc_height_mm == Decimal("9.5")
    page = client.get(f"/orders/{order.order_number}/follow-up").get_data(as_text=True)
    assert 'data-testid="outcome-chart"' in page and 'data-series="odi"' in page
    assert "48.0 %" in page


def test_another_clinician_cannot_open_the_follow_up(app, client, clinician, treat):
    order = treat(days_ago=95)
    other = builders.user("clinician")
    login(client, other.username)
    assert client.get(f"/orders/{order.order_number}/follow-up").status_code == 403
    assert client.get(f"/orders/{order.order_number}/follow-up/visits/new").status_code == 403
    first = visit(app, clinician, order, "month_3", 1)
    assert client.get(f"/follow-up/visits/{first.id}/correct").status_code == 403
    assert db.session.scalar(select(FollowUpVisit.id).where(
        FollowUpVisit.supersedes_id == first.id)) is None


def test_a_correction_cannot_make_a_second_entry_of_a_visit(app, clinician, treat):
    order = treat(days_ago=95)
    visit(app, clinician, order, "week_1", 88)
    month_3 = visit(app, clinician, order, "month_3", 1)
    moved = VisitData("week_1", month_3.visit_date, back_pain=3, odi_answers=ODI)
    with pytest.raises(ServiceError, match="already recorded"):
        followup.correct_visit(clinician, month_3, moved, "Wrong visit", settings(app),
                               lab_zone())


def test_the_correction_page_shows_each_disc_its_own_findings(app, client, clinician, treat):
    order = treat(days_ago=95)
    first = visit(app, clinician, order, "month_3", 1, discs=[DiscData("L5-S1", 4,
                                                                        Decimal("8.5"))])
    login(client, clinician.username)
    page = client.get(f"/follow-up/visits/{first.id}/correct").get_data(as_text=True)
    l4, l5 = page.split('data-testid="mri-L4-L5"')[1], page.split('data-testid="mri-L5-S1"')[1]
    assert 'value="8.5"' not in l4.split("data-testid=")[0]
    assert 'value="8.5"' in l5 and '<option selected value="4">' in l5


def test_a_lab_rating_pain_in_millimetres(app, clinician, treat):
    order = treat(days_ago=95)
    vas = FollowUpSettings.from_config({**app.config, "FOLLOWUP_PAIN_SCALE": "vas"})
    data = VisitData("month_3", lab_today(), back_pain=101, odi_answers=ODI)
    with pytest.raises(ServiceError, match="0 to 100"):
        followup.record_visit(clinician, order, data, vas, lab_zone())
    db.session.rollback()
    stored = followup.record_visit(clinician, order, VisitData(
        "month_3", lab_today(), back_pain=65, odi_answers=ODI), vas, lab_zone())
    assert (stored.pain_scale, stored.back_pain) == ("vas", 65)
