"""API: follow-up visits and adverse events, checked against the OpenAPI document, under
the need-to-know of the pages."""

from datetime import timedelta

import pytest

from labtrack.clinic import adverse_events, followup
from labtrack.clinic.adverse_events import EventData
from labtrack.clinic.followup import DiscData, FollowUpSettings, VisitData
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import lab_today
from tests.integration.api.test_api import Api, token_for


@pytest.fixture
def api(client):
    return Api(client)


def test_visits_and_events_of_an_order(app, api):
    clinician = builders.user("clinician")
    order = builders.treated_order(clinician, 95)
    settings = FollowUpSettings.from_config(app.config)
    first = followup.record_visit(clinician, order, VisitData(
        "month_3", lab_today() - timedelta(days=2), back_pain=5,
        odi_answers=[3, 2, 4, 1, 3, 2, 3, 4, None, 2],
        discs=[DiscData("L4-L5", 3)]), settings, lab_zone())
    followup.correct_visit(clinician, first, VisitData(
        "month_3", lab_today() - timedelta(days=2), back_pain=4,
        odi_answers=[3, 2, 4, 1, 3, 2, 3, 4, None, 2]), "Typed 5 for 4", settings, lab_zone())
    adverse_events.report_event(clinician, order, EventData(
        lab_today() - timedelta(days=80), "Discitis", "severe", "possible", "probable",
        "hospitalisation", "recovered", criteria=["hospitalisation"]), lab_zone())

    token = token_for("clinician", clinician)
    [visit] = api.get(f"/orders/{order.order_number}/follow-up-visits", token).get_json()["items"]
    assert (visit["back_pain"], visit["odi_percent"], visit["corrects"]) == (4, 53.3, first.id)
    assert visit["odi_answers"][8] is None and visit["correction_reason"] == "Typed 5 for 4"
    [event] = api.get(f"/orders/{order.order_number}/adverse-events", token).get_json()["items"]
    assert event["serious"] and event["seriousness_criteria"] == ["hospitalisation"]
    assert event["din"] and event["batch_number"] and event["dose_code"]

    qa = token_for("qa")
    assert api.get(f"/orders/{order.order_number}/adverse-events", qa).status_code == 200
    other = token_for("clinician")
    for path in ("follow-up-visits", "adverse-events"):
        assert api.get(f"/orders/{order.order_number}/{path}", other).status_code == 403
        assert api.get(f"/orders/NO-SUCH/{path}", token).status_code == 404
    assert api.get(f"/orders/{order.order_number}/adverse-events", token_for("admin")
                   ).status_code == 403
