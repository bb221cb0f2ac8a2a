"""Administration at the procedure: the checks, the refusals on record, completion, the pages."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from labtrack.clinic import administration
from labtrack.clinic.administration import AdministrationRefused
from labtrack.culture import harvest
from labtrack.culture.dose_models import Administration
from labtrack.database import utcnow
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.identity.models import ChainOfIdentityEvent
from tests import builders
from tests.helpers import csrf_token_from, login


def doses_of(batch) -> dict:
    return {dose.disc_level: dose for dose in harvest.batch_doses(batch)}


def wristband(batch) -> str:
    return batch.order.patient.record_number


def events(kind=None) -> list[ChainOfIdentityEvent]:
    query = select(ChainOfIdentityEvent)
    if kind:
        query = query.where(ChainOfIdentityEvent.kind == kind)
    return list(db.session.scalars(query))


def administrations() -> int:
    return db.session.scalar(select(func.count()).select_from(Administration))


def test_each_dose_is_recorded_and_the_last_completes_the_batch(clinician, released):
    doses = doses_of(released)
    first = administration.record_administration(
        clinician, wristband(released).lower(), doses["L4-L5"].dose_code.lower(), "l4l5",
        notes="Fluoroscopy-guided, no complication")
    assert first.disc_level == "L4-L5" and first.administered_by_id == clinician.id
    assert first.wristband_scanned == wristband(released).lower()
    assert released.state == "released"
    administration.record_administration(clinician, wristband(released),
                                         doses["L5-S1"].dose_code, "L5-S1")
    db.session.refresh(released)
    assert released.state == "completed"
    assert events() == []


def test_a_dose_for_another_patient_is_refused_and_recorded(clinician, released):
    other = builders.order(clinician)
    dose = doses_of(released)["L4-L5"]
    with pytest.raises(AdministrationRefused, match="WRONG PATIENT") as refused:
        administration.record_administration(clinician, other.patient.record_number,
                                             dose.dose_code, "L4-L5")
    assert refused.value.code == "wrong_patient"
    [event] = events("administration_wrong_patient")
    assert event.dose_id == dose.id and event.batch_id == released.id
    assert other.patient.record_number in event.expected
    assert wristband(released) in event.presented and event.user_id == clinician.id
    assert administrations() == 0


def test_a_dose_for_another_disc_level_is_refused_and_recorded(clinician, released):
    dose = doses_of(released)["L5-S1"]
    with pytest.raises(AdministrationRefused, match="WRONG DISC LEVEL") as refused:
        administration.record_administration(clinician, wristband(released), dose.dose_code,
                                             "L4-L5")
    assert refused.value.code == "wrong_level"
    assert len(events("administration_wrong_level")) == 1
    assert administrations() == 0


def test_an_expired_dose_is_refused_and_recorded(clinician, released, monkeypatch):
    dose = doses_of(released)["L4-L5"]
    later = dose.expires_at + timedelta(minutes=1)
    monkeypatch.setattr(administration, "utcnow", lambda: later)
    with pytest.raises(AdministrationRefused, match="EXPIRED") as refused:
        administration.record_administration(clinician, wristband(released), dose.dose_code,
                                             "L4-L5")
    assert refused.value.code == "expired"
    assert len(events("administration_expired")) == 1
    assert administrations() == 0


def test_a_dose_not_yet_released_is_refused_and_recorded(clinician):
    batch = builders.releasable_batch(builders.order(clinician))
    dose = doses_of(batch)["L4-L5"]
    with pytest.raises(AdministrationRefused, match="NOT RELEASED") as refused:
        administration.record_administration(clinician, wristband(batch), dose.dose_code,
                                             "L4-L5")
    assert refused.value.code == "not_released"
    assert len(events("administration_not_released")) == 1
    assert administrations() == 0


def test_a_dose_cannot_be_given_twice(clinician, released):
    dose = doses_of(released)["L4-L5"]
    administration.record_administration(clinician, wristband(released), dose.dose_code,
                                         "L4-L5")
    with pytest.raises(AdministrationRefused, match="ALREADY GIVEN"):
        administration.record_administration(clinician, wristband(released), dose.dose_code,
                                             "L4-L5")
    assert administrations() == 1


def test_an_unknown_dose_code_is_refused_and_recorded(clinician, released):
    with pytest.raises(AdministrationRefused) as refused:
        administration.record_administration(clinician, wristband(released), "NOT-A-DOSE",
                                             "L4-L5")
    assert refused.value.code == "unknown_dose"
    assert events("administration_unknown_dose")[0].presented == "NOT-A-DOSE"


def test_an_unknown_wristband_or_level_is_refused_without_recording(clinician, released):
    dose = doses_of(released)["L4-L5"]
    with pytest.raises(ServiceError, match="wristband") as refused:
        administration.record_administration(clinician, "NOBODY", dose.dose_code, "L4-L5")
    assert refused.value.field == "wristband"
    with pytest.raises(ServiceError) as refused:
        administration.record_administration(clinician, wristband(released), dose.dose_code,
                                             "L9-L10")
    assert refused.value.field == "disc_level"
    assert events() == [] and administrations() == 0


def test_only_a_clinician_records_and_not_in_the_future(clinician, released):
    dose = doses_of(released)["L4-L5"]
    with pytest.raises(PermissionDenied):
        administration.record_administration(builders.user("technician"), wristband(released),
                                             dose.dose_code, "L4-L5")
    with pytest.raises(ServiceError, match="future"):
        administration.record_administration(clinician, wristband(released), dose.dose_code,
                                             "L4-L5", administered_at=utcnow() + timedelta(hours=1))
    with pytest.raises(ServiceError, match="before the release"):
        administration.record_administration(clinician, wristband(released), dose.dose_code,
                                             "L4-L5", administered_at=utcnow() - timedelta(days=2))


# --- the scanning pages ------------------------------------------------------------------


def scan_patient(client, batch):
    page = client.get("/administer")
    return client.post("/administer", data={"csrf_token": csrf_token_from(page),
                                            "wristband": wristband(batch)})


def patient_url(batch) -> str:
    """The patient's scan page: LabTrack's id for the patient, never the record number."""
    return f"/administer/{batch.order.patient_id}"


def scan_dose(client, batch, code, level):
    url = patient_url(batch)
    page = client.get(url)
    return client.post(f"{url}/check", data={
        "csrf_token": csrf_token_from(page), "wristband": wristband(batch),
        "disc_level": level, "dose_code": code})


def test_scanning_wristband_then_dose_records_the_administration(client, clinician, released):
    login(client, clinician.username)
    found = scan_patient(client, released)
    assert found.status_code == 302
    assert found.headers["Location"].endswith(patient_url(released))
    assert wristband(released) not in found.headers["Location"]
    page = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "autofocus" in page and 'name="dose_code"' in page
    dose = doses_of(released)["L4-L5"]
    checked = scan_dose(client, released, dose.dose_code, "L4-L5")
    assert checked.status_code == 200
    confirm = checked.get_data(as_text=True)
    assert 'data-testid="verified"' in confirm and dose.dose_code in confirm
    recorded = client.post(f"{patient_url(released)}/record", data={
        "csrf_token": csrf_token_from(checked), "wristband": wristband(released),
        "disc_level": "L4-L5", "dose_code": dose.dose_code, "notes": "Uneventful"})
    assert recorded.status_code == 302
    after = client.get(recorded.headers["Location"]).get_data(as_text=True)
    assert "recorded as administered into L4-L5" in after
    assert administrations() == 1


def test_a_wrong_dose_is_refused_loudly_and_the_field_is_cleared(client, clinician, released):
    login(client, clinician.username)
    dose = doses_of(released)["L5-S1"]
    refused = scan_dose(client, released, dose.dose_code, "L4-L5")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'data-testid="refusal"' in html and "WRONG DISC LEVEL" in html
    assert f'value="{dose.dose_code}"' not in html  # the scan field is empty for the next scan
    assert len(events("administration_wrong_level")) == 1


def test_an_unknown_wristband_is_shown_and_other_roles_are_kept_out(client, make_user):
    clinician = make_user("clinician")
    login(client, clinician.username)
    page = client.get("/administer")
    response = client.post("/administer", data={"csrf_token": csrf_token_from(page),
                                                "wristband": "NO-SUCH-PATIENT"})
    assert response.status_code == 404
    assert "No patient has this wristband" in response.get_data(as_text=True)
    assert client.get("/administer/NO-SUCH-PATIENT").status_code == 404
    assert client.get("/administer/999999").status_code == 404
    assert client.get("/administer/99999999999999999999").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/administer"))})
    login(client, make_user("technician").username)
    assert client.get("/administer").status_code == 403
