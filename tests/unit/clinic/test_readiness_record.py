"""Readiness facts survive being stored as JSON and read back, whatever they hold."""

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labtrack.clinic.rules.readiness import DoseFacts, OrderFacts
from labtrack.clinic.rules.readiness_record import facts_from_record, facts_record
from labtrack.culture.rules.growth import CountPoint

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1),
                       timezones=st.just(UTC))
names = st.text(min_size=1, max_size=20)
counts = st.builds(CountPoint, moments, st.floats(0, 1e10, allow_nan=False), st.integers(0, 9),
                   st.none() | st.floats(0, 1e9, allow_nan=False))
doses = st.builds(DoseFacts, names, st.sampled_from(["L3-L4", "L4-L5", "L5-S1"]),
                  st.integers(0, 10**9), moments, st.none() | moments)
order_part = st.builds(OrderFacts, st.dates(date(2020, 1, 1), date(2040, 1, 1)),
                       st.lists(names, min_size=1, max_size=3).map(tuple),
                       st.integers(1, 10**8), st.integers(0, 10**7))


@given(order_part, st.fixed_dictionaries({
    "sample_status": st.none() | names, "batch_state": st.none() | names,
    "held_from": st.none() | names, "seeded_at": st.none() | moments,
    "counts": st.lists(counts, max_size=25).map(tuple),
    "harvested_cells": st.none() | st.integers(0, 10**10),
    "released_at": st.none() | moments, "exceptional_release": st.booleans(),
    "doses": st.lists(doses, max_size=3).map(tuple),
    "pending_tests": st.lists(names, max_size=3).map(tuple),
    "failed_after_release": st.lists(names, max_size=3).map(tuple)}))
def test_facts_read_back_from_their_stored_record_are_the_same(order, rest):
    facts = OrderFacts(order.planned_procedure_date, order.disc_levels, order.cells_per_disc,
                       order.qc_reserve_cells, **rest)
    stored = json.loads(json.dumps(facts_record(facts)))
    assert facts_from_record(stored, order) == facts


def test_times_are_stored_in_utc_and_read_back_aware():
    madrid = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Madrid"))
    facts = OrderFacts(date(2026, 4, 1), ("L4-L5",), 20_000_000, seeded_at=madrid)
    record = facts_record(facts)
    assert record["seeded_at"].endswith("+00:00")
    assert facts_from_record(record, facts).seeded_at == madrid


def test_a_record_of_another_version_is_refused():
    facts = OrderFacts(date(2026, 4, 1), ("L4-L5",), 20_000_000)
    with pytest.raises(ValueError, match="version"):
        facts_from_record({**facts_record(facts), "version": 99}, facts)
    with pytest.raises(ValueError, match="version"):
        facts_from_record(None, facts)
