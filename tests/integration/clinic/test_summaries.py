"""The stored summaries behind Today and the readiness list stay true to the records."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select, update

from labtrack.clinic import readiness, summaries
from labtrack.clinic.readiness import ReadinessFilter, ReadinessSettings
from labtrack.clinic.rules.readiness import Status
from labtrack.culture import counts
from labtrack.culture import steps as culture
from labtrack.culture.models import Batch
from labtrack.culture.rules.protocol import culture_state, tasks_at, tasks_for
from labtrack.culture.summary_models import BatchWorklist, OrderStatus, SummaryState
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.conftest import build_app
from tests.helpers import lab_today, run_together
from tests.integration.clinic.test_readiness import administer_all, growing_batch, released_batch


def stored() -> dict:
    db.session.expire_all()
    worklist = {row.batch_id: (row.due_on, row.overdue_on, row.at_risk, row.culture)
                for row in db.session.scalars(select(BatchWorklist))}
    statuses = {row.order_id: (row.stage, row.released_until, row.batch_id, row.facts)
                for row in db.session.scalars(select(OrderStatus))}
    return {"worklist": worklist, "statuses": statuses}


def a_lab_at_every_stage():
    """Orders at every stage, each reached through the services as in use."""
    clinician, technician = builders.user("clinician"), builders.user("technician")
    builders.order(clinician)
    builders.receive(builders.order(clinician), volume_ml=5)  # sample rejected
    growing_batch(builders.order(clinician))
    late = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=3))
    growing_batch(late, cells=(3_000_000, 4_000_000))
    due = builders.seeded_batch(builders.order(clinician), technician, seeded_days_ago=5)
    builders.step(due, "medium_change", technician)
    builders.harvested_batch(builders.order(clinician))
    released_batch(builders.order(clinician))
    administer_all(released_batch(builders.order(clinician)), clinician)
    return clinician


def test_summaries_written_with_each_change_equal_summaries_worked_out_afresh(app):
    a_lab_at_every_stage()
    kept = stored()
    assert len(kept["statuses"]) == 8 and kept["worklist"]
    summaries.refresh_all()
    db.session.commit()
    assert stored() == kept


def a_passaged_culture():
    """A culture fed, looked at and passaged: every part of its state has a value."""
    technician = builders.user("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=12)
    for days_ago, kind, fields in (
            (10, "non_adherent_removal", {}), (7, "medium_change", {}),
            (6, "observation", {"confluence_percent": 60, "contamination_signs": False}),
            (5, "passage", {"flasks": 8, "cells": 10_000_000, "split_ratio": "1:2"}),
            (3, "medium_change", {}),
            (2, "observation", {"confluence_percent": 72, "contamination_signs": False})):
        builders.step(batch, kind, technician, performed_at=utcnow() - timedelta(days=days_ago),
                      **fields)
    return batch


def test_the_stored_culture_state_gives_the_tasks_the_steps_give_at_any_moment(app):
    a_lab_at_every_stage()
    a_passaged_culture()
    settings = summaries.SummarySettings.from_config(current_app.config)
    growing = db.session.scalars(select(Batch).where(Batch.state == "in_culture")).all()
    assert len(growing) >= 3
    for batch in growing:
        steps = culture.step_facts(culture.steps_of(batch))
        in_force = counts.current_counts(batch)
        last_count_at = in_force[-1].counted_at if in_force else None
        state = db.session.get(BatchWorklist, batch.id).culture
        assert state == culture_state(steps, last_count_at) and state.seeded_at is not None
        for days in range(-1, 25):
            moment = utcnow() + timedelta(days=days, hours=days % 5)
            assert (tasks_at(state, moment, settings.tz, settings.protocol)
                    == tasks_for(steps, moment, settings.tz, settings.protocol,
                                 last_count_at))


def test_the_list_filters_and_pages_on_the_stored_status(app):
    clinician = a_lab_at_every_stage()
    settings = ReadinessSettings.from_config(current_app.config)
    everyone = ReadinessFilter(clinician_id=clinician.id)
    pages = [readiness.readiness_page(everyone, settings, number, 3) for number in (1, 2, 3)]
    assert [page.total for page in pages] == [8, 8, 8]
    assert [len(page.items) for page in pages] == [3, 3, 2]
    listed = [row.order.id for page in pages for row in page.items]
    assert listed == [row.order.id for row in readiness.readiness_list(everyone, settings)]
    for status in Status:
        shown = readiness.readiness_list(
            ReadinessFilter(clinician_id=clinician.id, statuses=frozenset({status})), settings)
        assert all(row.readiness.status is status for row in shown), status
    assert len(readiness.readiness_list(
        ReadinessFilter(statuses=frozenset({Status.AT_RISK})), settings)) == 1


def test_the_list_read_from_stored_facts_equals_readiness_worked_out_from_the_records(app):
    clinician = a_lab_at_every_stage()
    pending = builders.releasable_batch(builders.order(clinician), skip=("sterility",))
    builders.release(pending)
    settings = ReadinessSettings.from_config(current_app.config)

    def listed_and_recomputed(now):
        page = readiness.readiness_page(ReadinessFilter(clinician_id=clinician.id), settings,
                                        1, 50, now)
        return ([(row.order.id, row.batch, row.readiness) for row in page.items],
                [(row.order.id, row.batch, row.readiness) for row in (
                    readiness.order_readiness(row.order, settings, now) for row in page.items)])

    for days in (0, 2, 30):
        listed, recomputed = listed_and_recomputed(utcnow() + timedelta(days=days))
        assert len(listed) == 9 and listed == recomputed
    builders.qc_result(pending, "sterility", "growth")  # a late failure, after release
    listed, recomputed = listed_and_recomputed(utcnow())
    assert listed == recomputed
    assert any(row.failed_after_release == ("Sterility",) for _, _, row in listed)


def test_an_order_whose_stored_facts_cannot_be_read_is_assessed_from_its_records(app):
    clinician = a_lab_at_every_stage()
    settings = ReadinessSettings.from_config(current_app.config)
    everyone, now = ReadinessFilter(clinician_id=clinician.id), utcnow()

    def listed():
        return [row.readiness
                for row in readiness.readiness_page(everyone, settings, 1, 50, now).items]

    before = listed()
    db.session.execute(update(OrderStatus).values(facts=None))
    db.session.commit()
    after = listed()
    assert after == before and len(after) == 8


def test_released_orders_move_to_expired_as_their_doses_expire(app):
    order = builders.order()
    released_batch(order)
    settings = ReadinessSettings.from_config(current_app.config)
    expired = ReadinessFilter(statuses=frozenset({Status.EXPIRED}))
    assert readiness.readiness_list(expired, settings) == []
    later = readiness.readiness_list(expired, settings, now=utcnow() + timedelta(hours=25))
    assert [row.order.id for row in later] == [order.id]
    assert later[0].readiness.status is Status.EXPIRED


def test_changed_settings_have_every_summary_worked_out_again(app):
    order = builders.order(planned_procedure_date=lab_today() + timedelta(days=12))
    batch = growing_batch(order)
    summaries.ensure_fresh()
    key = db.session.scalar(select(SummaryState.settings_key))
    assert not db.session.get(BatchWorklist, batch.id).at_risk
    current_app.config["RELEASE_LEAD_DAYS"] = 12  # cells now needed today
    summaries.ensure_fresh()
    db.session.expire_all()
    assert db.session.scalar(select(SummaryState.settings_key)) != key
    assert db.session.get(BatchWorklist, batch.id).at_risk
    assert db.session.get(OrderStatus, order.id).stage == Status.AT_RISK.value


def test_today_pages_the_batches_with_work_due_overdue_first(signed_in, app):
    client, technician = signed_in("technician")
    current_app.config["PAGE_SIZE"] = 2
    fresh = [builders.seeded_batch(technician=technician, seeded_days_ago=2) for _ in range(2)]
    overdue = builders.seeded_batch(technician=technician, seeded_days_ago=9)
    first = client.get("/today").get_data(as_text=True)
    second = client.get("/today?page=2").get_data(as_text=True)
    assert first.index(overdue.batch_number) < first.index(fresh[0].batch_number)
    assert "Page 1 of 2 (3 in all)" in first
    assert sum(batch.batch_number in second for batch in fresh) == 1
    assert client.get("/today?page=99").status_code == 200
    assert client.get("/today?page=abc").status_code == 200


def worklist_row(page: str, batch_number: str) -> str:
    start = page.index(f'data-batch="{batch_number}"')
    return page[start:page.index("</tr>", start)]


def test_today_marks_at_risk_exactly_the_batches_their_summary_says(signed_in, app):
    client, technician = signed_in("technician")
    soon = builders.order(planned_procedure_date=lab_today() + timedelta(days=3))
    late = growing_batch(soon, cells=(3_000_000, 4_000_000))
    on_track = growing_batch(builders.order())
    for batch in (late, on_track):  # both have an observation due
        assert db.session.get(BatchWorklist, batch.id).due_on <= lab_today()
    page = client.get("/today").get_data(as_text=True)
    assert "At risk" in worklist_row(page, late.batch_number)
    assert "At risk" not in worklist_row(page, on_track.batch_number)


def test_refresh_summaries_command_fills_in_rows_loaded_without_the_application(app, runner):
    order = builders.order()
    db.session.execute(OrderStatus.__table__.delete())
    db.session.commit()
    assert db.session.get(OrderStatus, order.id) is None
    result = runner.invoke(args=["refresh-summaries"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(OrderStatus, order.id).stage == Status.AWAITING_SAMPLE.value


def test_stale_summaries_found_by_many_requests_at_once_are_worked_out_once(app, database_url,
                                                                           monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("waiting for the first refresh needs PostgreSQL's row locks")
    a_lab_at_every_stage()
    summaries.ensure_fresh()  # the state row exists, as after any first page view
    db.session.execute(update(SummaryState).values(settings_key="stale"))
    db.session.commit()
    refreshes = []
    real_refresh = summaries.refresh_all

    def counted_refresh(*args, **kwargs):
        refreshes.append(1)
        real_refresh(*args, **kwargs)

    monkeypatch.setattr(summaries, "refresh_all", counted_refresh)

    def look(_index: int, start) -> None:
        start.wait()
        summaries.ensure_fresh()

    errors = run_together([build_app(database_url) for _ in range(3)], look)
    assert errors == [] and len(refreshes) == 1
    db.session.expire_all()
    assert db.session.get(SummaryState, 1).settings_key != "stale"
