"""ChemoMetec NucleoCounter NC-202: the NC-View CSV export, one row per count, cells/mL."""

from __future__ import annotations

from labtrack.culture.rules.counter_files.reading import CounterFormat, CounterReadout, Reading
from labtrack.culture.rules.counter_files.table import (
    Row,
    dead_from,
    find_header,
    required,
    table_at,
    warning_of,
)

SAMPLE_ID = ("sample id",)
OPERATOR = ("operator", "user")
INSTRUMENT = ("instrument",)
STATUS = ("status",)
TOTAL = ("total (cells/ml)",)
LIVE = ("live (cells/ml)",)
DEAD = ("dead (cells/ml)",)
VIABILITY = ("viability (%)",)
DIAMETER = ("diameter (um)",)
DILUTION = ("dilution factor",)
TIME = ("date time", "date/time", "date", "time", "timestamp", "measured")
SIGNATURE = frozenset({SAMPLE_ID[0], LIVE[0], TOTAL[0]})


def matches(text: str) -> tuple[int, str] | None:
    return find_header(text, SIGNATURE)


def parse(text: str, header: tuple[int, str]) -> CounterReadout:
    table = table_at(text, *header)
    return CounterReadout(CounterFormat.NC_202,
                          tuple(_reading(Row(table, line, cells)) for line, cells in table.rows))


def _reading(row: Row) -> Reading:
    live = required(row, row.number(LIVE), "LIVE (cells/ml)")
    status = row.text(STATUS)
    return Reading(
        line=row.line, sample_id=row.text(SAMPLE_ID), measured_at=row.moment(TIME),
        live_per_ml=live, dead_per_ml=dead_from(row, live, row.number(DEAD), row.number(TOTAL)),
        viability_percent=row.number(VIABILITY), operator=row.text(OPERATOR),
        instrument_serial=row.text(INSTRUMENT), diameter_um=row.number(DIAMETER),
        dilution=row.number(DILUTION), status=status, warning=warning_of(status))

