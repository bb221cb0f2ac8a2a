"""ChemoMetec NucleoCounter NC-200: NucleoView's result export, one ``key;value`` a line.

A file holds one result; a key seen again starts the next result, so an export of
several results is read as several counts.
"""

from __future__ import annotations

from decimal import Decimal

from labtrack.culture.rules.counter_files import text as read
from labtrack.culture.rules.counter_files.reading import (
    CounterFormat,
    CounterReadout,
    FileRefused,
    Reading,
)
from labtrack.culture.rules.counter_files.table import warning_of

KEYS = {
    "sample_id": ("sample id", "sample name", "sample"),
    "measured_at": ("date time", "date and time", "date/time"),
    "utc_offset": ("time zone offset", "timezone offset"),
    "operator": ("operator", "user"),
    "instrument_serial": ("instrument s/n", "instrument serial number", "instrument"),
    "dilution": ("multiplication factor", "dilution factor"),
    "viability_percent": ("viability (%)", "viability"),
    "live": ("live (cells/ml)", "live cells (cells/ml)", "live cells/ml",
             "live cell concentration (cells/ml)", "viable cells (cells/ml)"),
    "dead": ("dead (cells/ml)", "dead cells (cells/ml)", "dead cells/ml",
             "dead cell concentration (cells/ml)"),
    "total": ("total (cells/ml)", "total cells (cells/ml)", "total cells/ml",
              "total cell concentration (cells/ml)"),
    "diameter_um": ("estimated cell diameter [um]", "estimated cell diameter (um)"),
    "status": ("status", "result status"),
}
FIELD_OF = {key: name for name, keys in KEYS.items() for key in keys}
SIGNATURE = frozenset({"instrument s/n", "multiplication factor", "time zone offset",
                       "estimated cell diameter [um]"})
NUMBERS = ("dilution", "viability_percent", "live", "dead", "total", "diameter_um")


def _pairs(text: str) -> list[tuple[int, str, str]]:
    """(line, field, value) of each ``key;value`` line whose key LabTrack reads."""
    found = []
    for line, cells in read.rows(text, ";"):
        field = FIELD_OF.get(read.header_key(cells[0])) if len(cells) >= 2 else None
        if field:
            found.append((line, field, cells[1]))
    return found


def matches(text: str) -> bool:
    keys = set()
    for raw in text.splitlines()[:80]:
        key, separator, _value = raw.partition(";")
        if separator:
            keys.add(read.header_key(key))
    return len(keys & SIGNATURE) >= 2


def parse(text: str) -> CounterReadout:
    results: list[dict] = []
    for line, field, value in _pairs(text):
        if not results or field in results[-1]:
            results.append({"line": line})
        results[-1][field] = (line, value)
    if not results:
        raise FileRefused("no_rows", "The file has a header but no counts.")
    return CounterReadout(CounterFormat.NC_200, tuple(
        _reading(result, last=index == len(results) - 1) for index, result in enumerate(results)))


def _reading(result: dict, last: bool) -> Reading:
    values = {name: read.number(value, line, name) for name, (line, value) in
              ((name, result[name]) for name in NUMBERS if name in result)}
    live, dead, total = values.get("live"), values.get("dead"), values.get("total")
    if live is None or (dead is None and total is None):
        missing = "live cells" if live is None else "dead cells"
        if last:
            raise FileRefused("truncated", "The file stops before the count's %(column)s "
                              "(line %(line)s on): it was cut short.", column=missing,
                              line=result["line"])
        raise FileRefused("missing_value", "The count from line %(line)s has no value for "
                          "%(column)s.", line=result["line"], column=missing)
    if dead is None:
        if total < live:
            raise FileRefused("live_above_total", "Line %(line)s gives more live cells than "
                              "cells in total.", line=result["line"])
        dead = total - live
    status = _text(result, "status")
    line, when = result.get("measured_at", (result["line"], ""))
    return Reading(
        line=result["line"], sample_id=_text(result, "sample_id"),
        measured_at=read.moment(when, line, "Date time"), live_per_ml=live,
        dead_per_ml=Decimal(dead), viability_percent=values.get("viability_percent"),
        operator=_text(result, "operator"), instrument_serial=_text(result, "instrument_serial"),
        diameter_um=values.get("diameter_um"), dilution=values.get("dilution"),
        status=status, warning=warning_of(status),
        utc_offset=read.utc_offset(_text(result, "utc_offset")))


def _text(result: dict, name: str) -> str:
    return result.get(name, (0, ""))[1].strip()
