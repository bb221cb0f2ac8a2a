"""Beckman Coulter Vi-CELL XR: the exported results table, concentrations in 10⁶ cells/mL."""

from __future__ import annotations

from decimal import Decimal

from labtrack.culture.rules.counter_files.reading import CounterFormat, CounterReadout, Reading
from labtrack.culture.rules.counter_files.table import (
    Row,
    dead_from,
    find_header,
    required,
    table_at,
    warning_of,
)

MILLION = Decimal(1_000_000)
SAMPLE_ID = ("sample id", "sample")
MEASURED_AT = ("sample date/time",)
TOTAL = ("total cells/ml (x10^6)",)
VIABLE = ("viable cells/ml (x10^6)",)
VIABILITY = ("viability (%)",)
DIAMETER = ("avg. diam. (microns)",)
DILUTION = ("dilution factor",)
OPERATOR = ("operator", "user", "analysis by")
INSTRUMENT = ("instrument serial number", "instrument s/n", "serial number", "instrument")
STATUS = ("status",)
SIGNATURE = frozenset({MEASURED_AT[0], TOTAL[0], VIABLE[0]})


def matches(text: str) -> tuple[int, str] | None:
    return find_header(text, SIGNATURE)


def parse(text: str, header: tuple[int, str]) -> CounterReadout:
    table = table_at(text, *header)
    return CounterReadout(CounterFormat.VICELL_XR,
                          tuple(_reading(Row(table, line, cells)) for line, cells in table.rows))


def _reading(row: Row) -> Reading:
    live = required(row, row.number(VIABLE), "Viable cells/ml (x10^6)") * MILLION
    total = required(row, row.number(TOTAL), "Total cells/ml (x10^6)") * MILLION
    status = row.text(STATUS)
    return Reading(
        line=row.line, sample_id=row.text(SAMPLE_ID), measured_at=row.moment(MEASURED_AT),
        live_per_ml=live, dead_per_ml=dead_from(row, live, None, total),
        viability_percent=row.number(VIABILITY), operator=row.text(OPERATOR),
        instrument_serial=row.text(INSTRUMENT), diameter_um=row.number(DIAMETER),
        dilution=row.number(DILUTION), status=status, warning=warning_of(status))
