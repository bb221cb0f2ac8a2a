"""Reading the text of a counter file: its encoding, its rows, its numbers and times."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from labtrack.culture.rules.counter_files.reading import FileRefused

MAX_BYTES = 2_000_000  # the largest export seen is a few kB; a bigger file is not one
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# Spaces a counter (or a spreadsheet) writes between thousands: plain, no-break (U+00A0),
# narrow no-break (U+202F) and thin (U+2009).
GROUP_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009](?=\d{3}(?:\D|$))")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
MAX_VALUE = Decimal(10) ** 12  # cells/mL: a thousandfold above any counter's range
EMPTY = frozenset({"", "-", "--", "n/a", "na", "nan"})
MICRO_SIGNS = str.maketrans({"\u03bc": "u", "\u00b5": "u"})  # μ (Greek mu) and µ (micro)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 or UTF-16 by their byte-order mark, else UTF-8, else the
    Windows code page older counter PCs write. A file with NUL bytes and no UTF-16 mark
    is not text."""
    if not data.strip():
        raise FileRefused("empty", "The file is empty.")
    if len(data) > MAX_BYTES:
        raise FileRefused("too_large", "The file is larger than a counter export can be.")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise FileRefused("encoding", "The file's text is damaged.") from None
    if b"\x00" in data:
        raise FileRefused("not_text", "This is not a text file.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def header_key(text: str) -> str:
    """A column name or key as compared: trimmed, one space, case- and micro-sign-blind."""
    return " ".join(text.translate(MICRO_SIGNS).split()).casefold()


def rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank row; a quote left open means a cut file."""
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    found = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                found.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error:
        raise FileRefused("truncated", "The file ends in the middle of a row (line %(line)s): "
                                       "it was cut short.", line=reader.line_num) from None
    return found


def sniff_delimiter(line: str) -> str:
    """The separator of a header line: the one of comma, semicolon and tab it uses most."""
    return max((",", ";", "\t"), key=line.count)


def number(text: str, line: int, column: str) -> Decimal | None:
    """A number as counters write it: ``274 000``, ``1.07E+06``, ``95.2``, ``95,2``.

    Empty cells give None. A lone comma before three digits (``274,000``) could be a
    thousands separator or a decimal comma, a thousandfold apart, so it is refused.
    """
    value = text.strip()
    if value.casefold() in EMPTY:
        return None
    value = GROUP_SPACES.sub("", value)
    if "," in value:
        if "." in value or re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", value):
            raise FileRefused("ambiguous_number", "Line %(line)s, %(column)s: the number "
                              "%(value)s could be read two ways.", line=line, column=column,
                              value=text[:30])
        value = value.replace(",", ".")
    if not NUMBER.fullmatch(value):
        raise FileRefused("bad_number", "Line %(line)s, %(column)s: %(value)s is not a number.",
                          line=line, column=column, value=text[:30])
    try:
        parsed = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise FileRefused("bad_number", "Line %(line)s, %(column)s: %(value)s is not a "
                          "number.", line=line, column=column, value=text[:30]) from None
    if parsed > MAX_VALUE:
        raise FileRefused("implausible", "Line %(line)s, %(column)s: %(value)s is beyond "
                          "what a counter measures.", line=line, column=column, value=text[:30])
    if parsed < 0:
        raise FileRefused("negative", "Line %(line)s, %(column)s: %(value)s is negative.",
                          line=line, column=column, value=text[:30])
    return parsed


TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")
SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                     r"\s*([AaPp][Mm])?")


def moment(text: str, line: int, column: str) -> datetime | None:
    """A wall-clock time as written: ISO, ``07.12.2026 09:30`` or a slashed date whose
    day and month cannot be mistaken for each other (US ``12/21/2026 9:30 AM`` or
    European ``21/12/2026 09:30``). ``07/12/2026`` is refused: July or December?"""
    value = " ".join(text.split())
    if not value or value.casefold() in EMPTY:
        return None
    try:
        return datetime.fromisoformat(value)  # may carry its offset: then it is aware
    except ValueError:
        pass
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return _slashed(value, line, column, text)


def _slashed(value: str, line: int, column: str, text: str) -> datetime:
    found = SLASHED.fullmatch(value)
    refusal = FileRefused("bad_time", "Line %(line)s, %(column)s: %(value)s is not a date "
                          "and time LabTrack can read without doubt.", line=line,
                          column=column, value=text[:30])
    if not found:
        raise refusal
    first, second, year, hour, minute, second_s, half = found.groups()
    first, second = int(first), int(second)
    if half:  # AM/PM: the American order, month first
        month, day = first, second
    elif first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first:
        month, day = first, second
    elif first == second:
        day = month = first
    else:
        raise refusal
    hour = int(hour)
    if half:
        if not 1 <= hour <= 12:
            raise refusal
        hour = hour % 12 + (12 if half.casefold() == "pm" else 0)
    try:
        return datetime(int(year), month, day, hour, int(minute), int(second_s or 0))
    except ValueError:
        raise refusal from None


def utc_offset(text: str) -> timedelta | None:
    """A time zone offset as NucleoView writes it: ``+01:00``, ``UTC+1``, ``60`` (minutes)."""
    value = text.strip().upper().removeprefix("UTC").removeprefix("GMT").strip()
    if not value:
        return None
    found = re.fullmatch(r"([+-])?(\d{1,2})(?::?(\d{2}))?", value)
    if found and (found.group(1) or found.group(3) or int(found.group(2)) <= 14):
        sign = -1 if found.group(1) == "-" else 1
        offset = timedelta(hours=int(found.group(2)), minutes=int(found.group(3) or 0))
    elif re.fullmatch(r"[+-]?\d{2,3}", value):
        sign, offset = (-1 if value.startswith("-") else 1), timedelta(
            minutes=abs(int(value)))
    else:
        return None
    return sign * offset if offset <= timedelta(hours=14) else None
