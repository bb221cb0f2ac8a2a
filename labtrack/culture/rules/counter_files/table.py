"""Counter exports laid out as a table: a header row (maybe after a preamble), one row a count."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from labtrack.culture.rules.counter_files import text as read
from labtrack.culture.rules.counter_files.reading import FileRefused

HEADER_SEARCH_LINES = 30  # preambles (instrument, software version…) are a few lines long
STATUS_OK = frozenset({"", "ok", "passed", "valid", "completed", "complete", "success"})


@dataclass(frozen=True)
class Table:
    """The rows under a header, each cell found by the column's accepted names."""

    columns: dict[str, int]  # header key → position
    names: dict[str, str]  # header key → the column's name as written
    rows: list[tuple[int, list[str]]]  # (line, cells)

    def position(self, names: tuple[str, ...]) -> int | None:
        return next((self.columns[name] for name in names if name in self.columns), None)

    def has(self, names: tuple[str, ...]) -> bool:
        return self.position(names) is not None


@dataclass(frozen=True)
class Row:
    """One data row and the table it belongs to, with typed readers for its cells."""

    table: Table
    line: int
    cells: list[str]

    def text(self, names: tuple[str, ...]) -> str:
        position = self.table.position(names)
        return self.cells[position] if position is not None else ""

    def number(self, names: tuple[str, ...]) -> Decimal | None:
        return read.number(self.text(names), self.line, self._name(names))

    def moment(self, names: tuple[str, ...]) -> datetime | None:
        return read.moment(self.text(names), self.line, self._name(names))

    def _name(self, names: tuple[str, ...]) -> str:
        position = self.table.position(names)
        return next((written for key, written in self.table.names.items()
                     if self.table.columns[key] == position), names[0])


def _split(line: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=read.sniff_delimiter(line)), [])
    except csv.Error:
        return []


def find_header(text: str, signature: frozenset[str]) -> tuple[int, str] | None:
    """(index, delimiter) of the first line among the first few that holds every column
    in ``signature``, else None."""
    for index, line in enumerate(text.splitlines()[:HEADER_SEARCH_LINES]):
        if signature <= {read.header_key(cell) for cell in _split(line)}:
            return index, read.sniff_delimiter(line)
    return None


def table_at(text: str, index: int, delimiter: str) -> Table:
    """The table whose header is line ``index``; a row shorter than it means a cut file."""
    lines = text.splitlines(keepends=True)
    found = read.rows("".join(lines[index:]), delimiter)
    (_, header), body = found[0], found[1:]
    keys = [read.header_key(name) for name in header]
    columns = {key: position for position, key in reversed(list(enumerate(keys))) if key}
    rows = [(line + index, cells) for line, cells in body]
    for position, (line, cells) in enumerate(rows):
        if len(cells) < len(header):
            if position == len(rows) - 1:
                raise FileRefused("truncated", "The file stops in the middle of line "
                                  "%(line)s: it was cut short.", line=line)
            raise FileRefused("short_row", "Line %(line)s has fewer columns than the "
                              "header.", line=line)
    if not rows:
        raise FileRefused("no_rows", "The file has a header but no counts.")
    return Table(columns, {read.header_key(name): name for name in header}, rows)


def preamble(text: str, index: int, delimiter: str) -> dict[str, str]:
    """``key<delimiter>value`` lines above the header (instrument, serial number…)."""
    found = {}
    for line in text.splitlines()[:index]:
        key, separator, value = line.partition(delimiter)
        if separator:
            found[read.header_key(key)] = value.strip().strip('"').strip()
    return found


def warning_of(status: str) -> str:
    """The instrument's warning: its status text, unless the status says all was well."""
    return "" if read.header_key(status) in STATUS_OK else status


def dead_from(row: Row, live: Decimal, dead: Decimal | None,
              total: Decimal | None) -> Decimal:
    """Dead cells per mL as written, else the total less the live cells."""
    if dead is not None:
        return dead
    if total is None:
        raise FileRefused("missing_value", "Line %(line)s gives neither the dead cells nor "
                          "the total.", line=row.line)
    if total < live:
        raise FileRefused("live_above_total", "Line %(line)s gives more live cells than "
                          "cells in total.", line=row.line)
    return total - live


def required(row: Row, value: Decimal | None, column: str) -> Decimal:
    if value is None:
        raise FileRefused("missing_value", "Line %(line)s has no value for %(column)s.",
                          line=row.line, column=column)
    return value
