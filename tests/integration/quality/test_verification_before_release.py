"""Verification before release: every critical step verified by a second person, or QA
cannot release, and the checklist names each step still to verify."""

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from labtrack.culture import harvest
from labtrack.culture.harvest import FormulationData, HarvestData
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.quality.models import Release
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import PASSWORD, csrf_token_from, login


def _text(response) -> str:
    return response.get_data(as_text=True)


def _unverified_batch():
    """Counted, harvested, formulated, every QC result passing: but no step verified."""
    batch = builders.formulated_batch()
    return builders.qc_results(batch)


def _release_form(client, batch, qa):
    url = f"/quality/batches/{batch.batch_number}/release"
    page = client.get(url)
    version = re.search(r'name="version"[^>]*value="(\d+)"', _text(page))
    data = {"csrf_token": csrf_token_from(page), "sign_username": qa.username,
            "sign_password": PASSWORD, "sign_confirm": "y",
            "version": version.group(1) if version else str(batch.version)}
    return url, data


def test_qa_cannot_release_a_batch_whose_critical_steps_were_not_verified(app, client):
    batch = _unverified_batch()
    qa = builders.user("qa")
    login(client, qa.username)

    html = _text(client.get(f"/quality/batches/{batch.batch_number}"))

    for step in ("Mononuclear-cell isolation", "Seeding", "Harvest", "Formulation"):
        assert re.search(rf"{step} performed at [0-9-]+ [0-9:]+ \w+ has not been verified "
                         "by a second person", html), step
    assert "Release…" not in html
    url, data = _release_form(client, batch, qa)
    client.post(url, data=data, follow_redirects=True)
    assert db.session.scalar(select(func.count()).select_from(Release)) == 0
    assert batch.state == "awaiting_release"


def test_once_a_second_person_verified_each_critical_step_qa_may_release(app, client):
    batch = _unverified_batch()
    builders.verify_critical_steps(batch)
    qa = builders.user("qa")
    login(client, qa.username)

    html = _text(client.get(f"/quality/batches/{batch.batch_number}"))
    assert "Every critical step was verified by a second person." in html
    url, data = _release_form(client, batch, qa)
    response = client.post(url, data=data, follow_redirects=True)

    assert "released for clinical use" in _text(response)
    assert db.session.scalar(select(Release)).decision == "released"


def test_a_passage_is_named_by_its_number_and_observations_need_no_verification(app,
                                                                                signed_in):
    technician = builders.user("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=12)
    builders.step(batch, "observation", technician, confluence_percent=75,
                  contamination_signs=False, performed_at=utcnow() - timedelta(days=3))
    builders.step(batch, "passage", technician, flasks=12, cells=9_000_000, split_ratio="1:3",
                  performed_at=utcnow() - timedelta(days=3))
    builders.count(batch, 30_000_000, technician=technician,
                   counted_at=utcnow() - timedelta(days=1))
    harvest.harvest(technician, batch, HarvestData(
        harvested_at=utcnow() - timedelta(hours=1), viable_cells=50_000_000,
        dead_cells=2_000_000), lab_zone())
    harvest.formulate(technician, batch, FormulationData(
        formulated_at=utcnow() - timedelta(minutes=30), volume_ml=Decimal("2.00"),
        container="1 mL syringe"), lab_zone(), app.config["DOSE_SHELF_LIFE_HOURS"])
    builders.qc_results(batch)
    client, _ = signed_in("qa")

    html = _text(client.get(f"/quality/batches/{batch.batch_number}"))

    assert re.search(r"Passage 1 performed at .* has not been verified", html)
    assert "Observation performed at" not in html


def test_the_critical_steps_are_the_labs_setting(app, signed_in):
    batch = _unverified_batch()
    app.config["CULTURE_CRITICAL_STEPS"] = "harvest"
    client, _ = signed_in("qa")

    html = _text(client.get(f"/quality/batches/{batch.batch_number}"))

    assert re.search(r"Harvest performed at .* has not been verified", html)
    assert "Seeding performed at" not in html
    assert "Formulation performed at" not in html
