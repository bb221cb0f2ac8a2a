"""Beckman Coulter Vi-CELL BLU: CSV export (often UTF-16), concentrations in 10⁶ cells/mL."""

from __future__ import annotations

from decimal import Decimal

from labtrack.culture.rules.counter_files.reading import CounterFormat, CounterReadout, Reading
from labtrack.culture.rules.counter_files.table import (
    Row,
    dead_from,
    find_header,
    preamble,
    required,
    table_at,
    warning_of,
)

MILLION = Decimal(1_000_000)
SAMPLE_ID = ("sample id",)
TOTAL = ("total (x10^6) cells/ml",)
VIABLE = ("viable (x10^6) cells/ml",)
VIABILITY = ("viability (%)",)
DIAMETER = ("average diameter (um)",)
ANALYSED_AT = ("analysis date/time",)
REANALYSED_AT = ("reanalysis date/time",)
ANALYSED_BY = ("analysis by",)
DILUTION = ("dilution", "dilution factor")
INSTRUMENT = ("instrument serial number", "instrument s/n", "serial number", "instrument")
STATUS = ("status", "sample status")
SIGNATURE = frozenset({SAMPLE_ID[0], TOTAL[0], VIABLE[0]})


def matches(text: str) -> tuple[int, str] | None:
    return find_header(text, SIGNATURE)


def parse(text: str, header: tuple[int, str]) -> CounterReadout:
    table = table_at(text, *header)
    above = preamble(text, *header)
    serial = next((above[name] for name in INSTRUMENT if above.get(name)), "")
    return CounterReadout(CounterFormat.VICELL_BLU, tuple(
        _reading(Row(table, line, cells), serial) for line, cells in table.rows))


def _reading(row: Row, serial: str) -> Reading:
    live = required(row, row.number(VIABLE), "Viable (x10^6) cells/mL") * MILLION
    total = required(row, row.number(TOTAL), "Total (x10^6) cells/mL") * MILLION
    status = row.text(STATUS)
    return Reading(
        line=row.line, sample_id=row.text(SAMPLE_ID), measured_at=row.moment(ANALYSED_AT),
        live_per_ml=live, dead_per_ml=dead_from(row, live, None, total),
        viability_percent=row.number(VIABILITY), operator=row.text(ANALYSED_BY),
        instrument_serial=row.text(INSTRUMENT) or serial, diameter_um=row.number(DIAMETER),
        dilution=row.number(DILUTION), status=status, warning=warning_of(status),
        reanalysed=row.moment(REANALYSED_AT) is not None)
