"""The access matrix: every route, for every role and an anonymous visitor.

Built from the app's URL map: a route missing from ROUTE_ROLES fails the test, so a new
page cannot ship without a decision about who may use it. Record-specific routes are
called with ids that do not exist: the role guard answers before the record lookup, so
an allowed role sees 404 (or 200) and a refused one 403.
"""

import pytest

from tests.helpers import csrf_token_from, login
from tests.integration.web.test_csrf_everywhere import _url_for_rule

EVERYONE = ("technician", "qa", "clinician", "admin")
BENCH = ("technician",)
STAFF = ("technician", "qa")
QA = ("qa",)
CLINIC = ("clinician",)
ADMIN = ("admin",)
ROUTE_ROLES = {
    "admin.change_role": ADMIN, "admin.create_user": ADMIN, "admin.reset_password": ADMIN,
    "admin.set_active": ADMIN, "admin.user": ADMIN, "admin.users": ADMIN,
    "audit.events": ("qa", "admin"), "audit.export": ("qa", "admin"),
    "audit.history": ("qa", "admin"), "audit.export_pdf": ("qa", "admin"),
    "audit.history_pdf": ("qa", "admin"),
    "auth.account": EVERYONE, "auth.change_password": EVERYONE, "auth.logout": EVERYONE,
    "auth.end_my_session": EVERYONE, "auth.my_sessions": EVERYONE,
    "batches.change_state": STAFF, "batches.detail": ("technician", "qa", "clinician"),
    "batches.index": ("technician", "qa", "clinician"),
    "clinic.administer": CLINIC, "clinic.administer_patient": CLINIC,
    "clinic.check_dose": CLINIC, "clinic.record": CLINIC,
    "counter_import.preview": BENCH, "counter_import.upload": BENCH,
    "counter_import.upload_for_batch": BENCH,
    "culture.amend_count": BENCH, "culture.log_count": BENCH, "culture.record_step": BENCH,
    "culture.verify_step": STAFF, "culture.void_count": BENCH,
    "deviations.close": QA, "deviations.detail": STAFF, "deviations.index": STAFF,
    "deviations.investigate": STAFF, "deviations.new": STAFF,
    "harvest.correct_harvest": BENCH, "harvest.correct_formulation": BENCH,
    "harvest.formulate": BENCH,
    "harvest.harvest_batch": BENCH,
    "inventory.decide_lot": QA, "inventory.equipment": STAFF,
    "inventory.equipment_item": STAFF, "inventory.lot": STAFF, "inventory.lots": STAFF,
    "inventory.new_equipment": STAFF, "inventory.new_lot": STAFF,
    "inventory.record_calibration": STAFF, "inventory.set_in_service": STAFF,
    "main.home": EVERYONE, "main.readiness": CLINIC, "main.review": QA, "main.today": BENCH,
    "notices.index": EVERYONE, "notices.mark_all_read": EVERYONE, "notices.mark_read": EVERYONE,
    "orders.authorisation": CLINIC, "orders.detail": ("technician", "qa", "clinician"),
    "orders.index": CLINIC, "orders.new": CLINIC, "orders.new_patient": CLINIC,
    "orders.patient": CLINIC, "orders.patients": CLINIC,
    "orders.correct_order": CLINIC, "orders.cancel_order": CLINIC,
    "orders.correct_patient": CLINIC,
    "qc.amend": STAFF, "qc.results": STAFF,
    "quality.batch": QA, "quality.decide": QA, "quality.labels": STAFF, "quality.record": QA,
    "samples.awaiting": BENCH, "samples.detail": STAFF, "samples.index": STAFF,
    "samples.labels": BENCH, "samples.receive": BENCH,
    "scan.lookup": EVERYONE,
    "specifications.detail": QA, "specifications.index": QA, "specifications.new": QA,
    "tokens.manage": ADMIN, "tokens.mine": EVERYONE, "tokens.revoke": EVERYONE,
    # after the injection (issue 21): records by need-to-know, recording by the clinician
    "followup.patient_followup": ("technician", "qa", "clinician"),
    "followup.record_visit": CLINIC, "followup.correct_visit": CLINIC,
    "adverse_events.report": CLINIC, "adverse_events.correct": CLINIC,
    "adverse_events.detail": ("technician", "qa", "clinician"),
    "adverse_events.report_pdf": ("technician", "qa", "clinician"),
    "outcomes.cohort": ("qa", "clinician"), "outcomes.cohort_csv": ("qa", "clinician"),
}
PUBLIC = {"auth.login", "main.healthz", "static", "api.openapi"}
TOKEN_ONLY = "api."  # the JSON API answers 401 to anyone without a token


def _routes(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint not in PUBLIC and not rule.endpoint.startswith(TOKEN_ONLY)]


def test_every_route_has_an_access_rule(app):
    missing = {rule.endpoint for rule in _routes(app)} - set(ROUTE_ROLES)
    assert not missing, f"routes without an access rule: {sorted(missing)}"
    stale = set(ROUTE_ROLES) - {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not stale, f"rules for routes that no longer exist: {sorted(stale)}"


def _call(client, rule, token):
    url = _url_for_rule(rule)
    if "GET" in rule.methods:
        return client.get(url)
    return client.post(url, data={"csrf_token": token})


@pytest.mark.parametrize("role", EVERYONE)
def test_each_role_reaches_exactly_its_routes(app, client, make_user, role):
    user = make_user(role)
    login(client, user.username)
    token = csrf_token_from(client.get("/account/password"))
    wrong = []
    for rule in _routes(app):
        if rule.endpoint in ("auth.logout", "auth.end_my_session"):
            continue  # signing out would end the session the other checks use
        status = _call(client, rule, token).status_code
        allowed = role in ROUTE_ROLES[rule.endpoint]
        if (status == 403) == allowed:
            wrong.append((rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), status))
    assert not wrong, wrong


def test_anonymous_visitors_are_sent_to_sign_in_or_get_401_from_the_api(app, client):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or "GET" not in rule.methods:
            continue
        response = client.get(_url_for_rule(rule))
        if rule.endpoint.startswith(TOKEN_ONLY):
            assert response.status_code == 401 and response.is_json, rule.rule
        else:
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/login"), rule.rule
    assert client.get("/login").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
