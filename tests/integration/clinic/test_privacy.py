"""Privacy (issue 17, defect 10): no patient identifier in an address (access logs,
browser history) or a page title (tabs, bookmarks, screen sharing); the wristband and
the scan box are posted."""

import re

from tests import builders
from tests.helpers import csrf_token_from, login

RECORD = "HC100845"


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S).group(1)


def _identifiers(patient) -> list[str]:
    return [patient.record_number, patient.family_name, patient.given_name]


def test_no_patient_identifier_in_addresses_or_titles(app, client):
    clinician = builders.user("clinician")
    patient = builders.patient(clinician, record_number=RECORD, given_name="Carmen",
                               family_name="López García")
    order = builders.order(clinician, patient)
    login(client, clinician.username)
    form = client.get("/administer")
    assert 'method="post"' in form.get_data(as_text=True)
    scanned = client.post("/administer", data={"csrf_token": csrf_token_from(form),
                                               "wristband": RECORD})
    assert scanned.status_code == 302 and RECORD not in scanned.headers["Location"]
    pages = [scanned.headers["Location"], f"/patients/{patient.id}",
             f"/orders/{order.order_number}", "/patients", "/readiness"]
    for url in pages:
        assert RECORD not in url
        response = client.get(url)
        assert response.status_code == 200, url
        title = _title(response)
        assert not any(part in title for part in _identifiers(patient)), (url, title)


def test_a_scan_in_the_address_is_not_looked_up(app, client):
    clinician = builders.user("clinician")
    builders.patient(clinician, record_number=RECORD)
    login(client, clinician.username)
    response = client.get(f"/scan?code={RECORD}")
    assert response.status_code == 200 and RECORD not in response.get_data(as_text=True)
    assert client.get(f"/administer/{RECORD}").status_code == 404
