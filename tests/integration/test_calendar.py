"""The date-sensitive behaviour at the instants that break date code, on both databases.

Each test moves the one clock (``time_machine``) to an instant: either side of both
Europe/Madrid clock changes, 31 December at 23:30 UTC (already next year in the lab),
29 February 2028, and late evening UTC when the lab's date is already tomorrow. At each,
the demo is seeded and must be realistic and current, and the worklist, readiness and
projection, dose expiry, the DIN's nominal year, the culture day and the bench forms'
time checks must all follow the lab's calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import current_app
from sqlalchemy import select

from labtrack import clock
from labtrack.clinic import readiness
from labtrack.clinic.readiness import ReadinessSettings
from labtrack.clinic.rules.readiness import Status
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.demo.lab import CULTURES
from labtrack.extensions import db
from labtrack.identity.rules.isbt128 import parse_din
from labtrack.orders.models import TreatmentOrder
from labtrack.web.templating import lab_zone
from tests import builders
from tests.integration.bench_forms import local, post_count, post_step, rows, text
from tests.integration.demo.test_demo import assert_growth_realistic, worklist_at

INSTANTS = {
    "before-spring-forward": "2026-03-29T00:30:00Z",  # 01:30 CET; at 02:00 the clocks skip
    "after-spring-forward": "2026-03-29T01:30:00Z",  # 03:30 CEST
    "before-autumn-back": "2026-10-25T00:30:00Z",  # 02:30 CEST, the first 02:30
    "after-autumn-back": "2026-10-25T01:30:00Z",  # 02:30 CET, the second 02:30
    "new-year-in-the-lab-only": "2026-12-31T23:30:00Z",  # 2027-01-01 00:30 in Madrid
    "leap-day": "2028-02-29T12:00:00Z",
    "late-evening-utc": "2026-12-06T23:15:00Z",  # 7 December 00:15 in Madrid
    "evening-the-demo-failed": "2026-12-06T20:30:00Z",
}


@pytest.fixture(params=list(INSTANTS), ids=list(INSTANTS))
def instant(request):
    """The clock at one instant (ticking on from there) for the whole test."""
    moment = datetime.fromisoformat(INSTANTS[request.param])
    with time_machine.travel(moment, tick=True):
        yield moment


def test_the_demo_is_realistic_and_current_at(instant, runner, app):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    zone, now = lab_zone(), clock.utcnow()
    lab_year = clock.lab_year(zone, now)
    assert_growth_realistic()

    worklist = worklist_at(app, now)
    in_culture = [plan.age for plan in CULTURES if plan.contamination_day is None]
    assert sorted(work.day for work in worklist.page.items) == sorted(in_culture)
    for work in worklist.page.items:
        assert work.day == clock.culture_day(work.batch.seeded_at, now, zone)

    for batch in db.session.scalars(select(Batch)):
        assert batch.batch_number.startswith(f"MSC{lab_year % 100:02d}-")
        assert parse_din(batch.sample.din).year == f"{lab_year % 100:02d}"
        latest = db.session.scalar(select(CellCount.counted_at)
                                   .where(CellCount.batch_id == batch.id)
                                   .order_by(CellCount.counted_at.desc()).limit(1))
        assert latest is None or latest <= now

    shelf_life = timedelta(hours=current_app.config["DOSE_SHELF_LIFE_HOURS"])
    doses = db.session.scalars(select(Dose)).all()
    assert doses
    given = set(db.session.scalars(select(Administration.dose_id)))
    for dose in doses:
        assert dose.formulated_at <= now
        assert dose.id in given or now < dose.expires_at  # only a dose given may have expired
        assert dose.expires_at - dose.formulated_at == shelf_life

    settings = ReadinessSettings.from_config(current_app.config)
    today = clock.lab_today(zone, now)
    for order in db.session.scalars(select(TreatmentOrder)):
        assessed = readiness.order_readiness(order, settings, now).readiness
        assert assessed.status is not Status.EXPIRED
        if assessed.status is Status.IN_CULTURE and assessed.ready is not None:
            assert assessed.ready.projected >= today


def _post_count_as_typed(client, batch, typed: datetime, viable: str):
    """Type ``typed`` on the lab's wall clock; where the clocks showed it twice, answer the
    form's question with the offset in force now, as the technician at the bench would."""
    fields = {"counted_at": f"{typed:%Y-%m-%dT%H:%M}", "viable_cells": viable,
              "dead_cells": "0.2"}
    try:
        clock.lab_local_to_utc(typed, lab_zone())
    except clock.AmbiguousLocalTime:
        asked = post_count(client, batch, **fields)
        assert asked.status_code in (400, 422) and "happened twice" in text(asked), text(asked)
        offset = clock.utcnow().astimezone(lab_zone()).utcoffset()
        fields["counted_at-offset"] = clock.format_offset(offset)
    return post_count(client, batch, **fields)


def test_the_bench_forms_check_times_against_the_lab_clock_at(instant, app, signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=5)
    before = rows(CellCount)

    now = clock.utcnow()
    typed = clock.lab_now_minute(lab_zone(), now)
    accepted = _post_count_as_typed(client, batch, typed, "3.2")
    assert accepted.status_code == 302, text(accepted)
    stored = db.session.scalar(select(CellCount).where(CellCount.batch_id == batch.id)
                               .order_by(CellCount.id.desc()).limit(1))
    assert abs(stored.counted_at - now) < timedelta(minutes=2)
    assert clock.culture_day(batch.seeded_at, stored.counted_at, lab_zone()) == 5

    refused = _post_count_as_typed(client, batch, typed + timedelta(minutes=20), "3.3")
    assert refused.status_code in (400, 422) and "future" in text(refused), text(refused)
    assert rows(CellCount) == before + 1

    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)  # observe: day 1
    steps = rows(CultureStep)
    observed = post_step(client, batch, "observation", confluence_percent="40",
                         contamination_signs="no")
    assert observed.status_code == 302, text(observed)
    step = db.session.scalar(select(CultureStep).order_by(CultureStep.id.desc()).limit(1))
    assert abs(step.performed_at - clock.utcnow()) < timedelta(minutes=2)
    ahead = post_step(client, batch, "observation", confluence_percent="41",
                      contamination_signs="no", performed_at=local(timedelta(minutes=20)))
    assert ahead.status_code == 400 and "future" in text(ahead), text(ahead)
    assert rows(CultureStep) == steps + 1


def test_the_din_year_and_numbers_follow_the_lab_date_not_utc(app):
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=True):
        order = builders.order()
        outcome = builders.receive(order)
    assert outcome.batch.batch_number.startswith("MSC27-")
    assert parse_din(outcome.sample.din).year == "27"
    assert order.order_number.startswith("ORD27-")


def test_the_culture_day_counts_lab_calendar_days_across_a_clock_change():
    zone = clock.ZoneInfo("Europe/Madrid")
    seeded = datetime(2026, 3, 28, 17, 0, tzinfo=zone)
    assert clock.culture_day(seeded, datetime(2026, 3, 29, 8, 0, tzinfo=zone), zone) == 1
    assert clock.culture_day(seeded, datetime(2026, 3, 28, 23, 30, tzinfo=UTC), zone) == 1
    assert clock.culture_day(seeded, datetime(2026, 3, 28, 22, 30, tzinfo=UTC), zone) == 0


def test_a_time_the_clocks_skipped_is_refused_and_one_shown_twice_is_asked(app, signed_in):
    with time_machine.travel(datetime(2026, 10, 26, 10, 0, tzinfo=UTC), tick=True):
        client, technician = signed_in("technician")
        batch = builders.seeded_batch(technician=technician, seeded_days_ago=220)
        before = rows(CellCount)

        skipped = post_count(client, batch, counted_at="2026-03-29T02:30", viable_cells="3",
                             dead_cells="0.1")
        assert skipped.status_code == 400
        assert "2026-03-29 02:30 did not exist in Europe/Madrid" in text(skipped)
        assert "counted_at-offset" not in text(skipped)
        assert rows(CellCount) == before

        twice = post_count(client, batch, counted_at="2026-10-25T02:30", viable_cells="3",
                           dead_cells="0.1")
        assert twice.status_code == 400
        page = text(twice)
        assert "2026-10-25 02:30 happened twice in Europe/Madrid" in page
        assert 'name="counted_at-offset" value="+02:00"' in page
        assert 'name="counted_at-offset" value="+01:00"' in page
        assert "02:30 CEST (UTC+02:00), before the clocks went back" in page
        assert "02:30 CET (UTC+01:00), after the clocks went back" in page
        assert rows(CellCount) == before

        for offset, utc_hour in (("+01:00", 1), ("+02:00", 0)):
            chosen = post_count(client, batch, counted_at="2026-10-25T02:30", viable_cells="3",
                                dead_cells="0.1", **{"counted_at-offset": offset})
            assert chosen.status_code == 302, text(chosen)
            stored = db.session.scalar(select(CellCount).order_by(CellCount.id.desc()).limit(1))
            assert stored.counted_at == datetime(2026, 10, 25, utc_hour, 30, tzinfo=UTC)
        assert rows(CellCount) == before + 2


def test_an_offset_that_is_neither_of_the_two_is_asked_again(app, signed_in):
    with time_machine.travel(datetime(2026, 10, 26, 10, 0, tzinfo=UTC), tick=True):
        client, technician = signed_in("technician")
        batch = builders.seeded_batch(technician=technician, seeded_days_ago=30)
        response = post_count(client, batch, counted_at="2026-10-25T02:30", viable_cells="3",
                              dead_cells="0.1", **{"counted_at-offset": "+05:00"})
        assert response.status_code == 400 and "happened twice" in text(response)
