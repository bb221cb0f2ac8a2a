"""An order's readiness facts as a JSON-ready record, so they can be stored and read back.

The readiness list shows dozens of orders; working out each one's facts reads seven
tables. The facts that come from the order's sample, batch, counts, doses, release and
results are stored with the order's summary instead (``culture.summary_models.OrderStatus``),
and the order's own fields are taken from the order when the record is read back.
Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from labtrack.clinic.rules.readiness import DoseFacts, OrderFacts
from labtrack.culture.rules.growth import CountPoint

RECORD_VERSION = 1


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _read_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def is_current(record: dict | None) -> bool:
    """Whether ``record`` can be read back: a record of this version."""
    return isinstance(record, dict) and record.get("version") == RECORD_VERSION


def facts_record(facts: OrderFacts) -> dict:
    """What of ``facts`` does not come from the order itself, as JSON-ready values."""
    return {
        "version": RECORD_VERSION,
        "sample_status": facts.sample_status,
        "batch_state": facts.batch_state,
        "held_from": facts.held_from,
        "seeded_at": _time(facts.seeded_at),
        "counts": [[_time(c.at), c.viable_cells, c.passage, c.dead_cells] for c in facts.counts],
        "harvested_cells": facts.harvested_cells,
        "released_at": _time(facts.released_at),
        "exceptional_release": facts.exceptional_release,
        "doses": [[d.code, d.disc_level, d.viable_cells, _time(d.expires_at),
                   _time(d.administered_at)] for d in facts.doses],
        "pending_tests": list(facts.pending_tests),
        "failed_after_release": list(facts.failed_after_release),
    }


def facts_from_record(record: dict, order_facts: OrderFacts) -> OrderFacts:
    """``order_facts`` (the order's own fields) completed with a stored record."""
    if not is_current(record):
        raise ValueError(f"not a readiness record of version {RECORD_VERSION}")
    return replace(
        order_facts,
        sample_status=record["sample_status"],
        batch_state=record["batch_state"],
        held_from=record["held_from"],
        seeded_at=_read_time(record["seeded_at"]),
        counts=tuple(CountPoint(_read_time(at), viable, passage, dead)
                     for at, viable, passage, dead in record["counts"]),
        harvested_cells=record["harvested_cells"],
        released_at=_read_time(record["released_at"]),
        exceptional_release=record["exceptional_release"],
        doses=tuple(DoseFacts(code, level, cells, _read_time(expires), _read_time(given))
                    for code, level, cells, expires, given in record["doses"]),
        pending_tests=tuple(record["pending_tests"]),
        failed_after_release=tuple(record["failed_after_release"]),
    )
