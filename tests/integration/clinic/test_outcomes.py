"""The cohort report on constructed data with a known answer: ten patients followed for a
year, nine of whom meet the responder rule, and one lost to follow-up."""

import csv
import io
from datetime import timedelta

import pytest

from labtrack.clinic import followup, outcomes
from labtrack.clinic.followup import FollowUpSettings, VisitData
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import lab_today, login

BASELINE_ODI = [3, 3, 2, 3, 2, 2, 2, 2, 2, 1]  # 22 of 50: 44 %
BETTER_ODI = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]  # 20 %: 24 points lower
SAME_ODI = [3, 3, 2, 3, 2, 2, 2, 2, 1, 1]  # 42 %: 2 points lower
INJECTED_DAYS_AGO = 380


@pytest.fixture
def cohort(app, clinician):
    """Ten patients with baseline and 12-month visits (nine responders), one lost."""
    settings = FollowUpSettings.from_config(app.config)

    def record(order, key, days_ago, pain, answers):
        data = VisitData(key, lab_today() - timedelta(days=days_ago), back_pain=pain,
                         odi_answers=answers)
        followup.record_visit(clinician, order, data, settings, lab_zone())

    orders = []
    for n in range(10):
        order = builders.treated_order(clinician, INJECTED_DAYS_AGO)
        record(order, "baseline", INJECTED_DAYS_AGO + 1, 7, BASELINE_ODI)
        if n < 9:  # pain 7 → 4 is 43 % lower, ODI 24 points lower
            record(order, "month_12", 10, 4, BETTER_ODI)
        else:  # pain 7 → 6 is 14 % lower, ODI 2 points lower: not a responder
            record(order, "month_12", 10, 6, SAME_ODI)
        orders.append(order)
    lost = builders.treated_order(clinician, 420)  # the 12-month window closed 25 days ago
    record(lost, "baseline", 421, 8, BASELINE_ODI)
    return orders + [lost]


def test_nine_of_ten_improved_and_the_csv_for_the_statistician(app, client, cohort):
    qa = builders.user("qa")
    report = outcomes.cohort_report(qa, FollowUpSettings.from_config(app.config), lab_zone(),
                                    app.config["SECRET_KEY"])
    summary = report.summary
    assert (summary.responders, summary.assessed) == (9, 10)
    assert (summary.treated, summary.followed, summary.lost) == (11, 10, 1)
    assert summary.pain.n == 10 and summary.pain.mean == pytest.approx(-2.8)  # (9×−3 −1)/10
    assert summary.odi.mean == pytest.approx((9 * -24 - 2) / 10)
    assert summary.pain.low < summary.pain.mean < summary.pain.high < 0
    assert all(row.cells_per_disc_millions and row.passages is not None for row in report.rows)

    login(client, qa.username)
    page = client.get("/outcomes").get_data(as_text=True)
    assert "Improved in 9 of 10" in page
    assert page.count('data-testid="cohort-row"') == 11
    assert page.count('class="scatter-chart"') >= 1
    for order in cohort:  # pseudonymised: no record number, name or order number
        assert order.patient.record_number not in page
        assert order.patient.family_name not in page and order.order_number not in page

    # The same cohort, built once (eleven treatments take a while): the CSV, a stricter rule.
    response = client.get("/outcomes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 11
    assert sum(row["responder"] == "yes" for row in rows) == 9
    assert sum(row["lost_to_follow_up"] == "yes" for row in rows) == 1
    assert all(row["pseudonym"].startswith("P-") for row in rows)
    assert cohort[0].patient.record_number not in response.get_data(as_text=True)

    strict = FollowUpSettings.from_config({**app.config, "OUTCOME_RULE_JOIN": "all",
                                           "OUTCOME_PAIN_DROP_PERCENT": 50})
    report = outcomes.cohort_report(builders.user("qa"), strict, lab_zone(),
                                    app.config["SECRET_KEY"])
    assert report.summary.responders == 0  # 43 % lower pain is short of 50 %


def test_technicians_do_not_read_the_cohort(client, app):
    login(client, builders.user("technician").username)
    assert client.get("/outcomes").status_code == 403
    assert client.get("/outcomes.csv").status_code == 403
