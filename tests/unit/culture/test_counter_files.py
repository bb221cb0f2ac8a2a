"""The counter file parsers, on files written for these tests in each instrument's layout."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labtrack.culture.rules.counter_files import CounterFormat, FileRefused, read_counter_file
from labtrack.culture.rules.counter_files.text import moment, number
from tests import counter_files
from tests.counter_files import NC202_HEADER

WHEN = "2026-12-07 09:30:12"


def nc202_row(**fields):
    return {"sample": "MSC26-0007", "when": WHEN, "total": "1 070 000", "live": "1 020 000",
            "dead": "50 000", "viability": "95.3", **fields}


def refusal(content: bytes) -> FileRefused:
    with pytest.raises(FileRefused) as refused:
        read_counter_file(content)
    return refused.value


# --- NucleoCounter NC-202 ------------------------------------------------------------------

def test_an_nc202_export_gives_one_reading_per_row():
    readout = read_counter_file(counter_files.nc202(nc202_row(), nc202_row(sample="A9999")))
    assert readout.format is CounterFormat.NC_202
    first, second = readout.readings
    assert (first.line, first.sample_id, second.sample_id) == (2, "MSC26-0007", "A9999")
    assert (first.live_per_ml, first.dead_per_ml, first.viability_percent) == (
        Decimal(1_020_000), Decimal(50_000), Decimal("95.3"))
    assert (first.operator, first.instrument_serial, first.dilution) == (
        "lucia", "NC-202 9002012345", Decimal(1))
    assert first.measured_at == datetime(2026, 12, 7, 9, 30, 12) and first.warning == ""


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f", "\u2009"])
def test_thousands_written_with_any_kind_of_space(space):
    row = nc202_row(live=f"1{space}020{space}000", dead=f"50{space}000")
    reading = read_counter_file(counter_files.nc202(row)).readings[0]
    assert (reading.live_per_ml, reading.dead_per_ml) == (Decimal(1_020_000), Decimal(50_000))


def test_exponent_notation():
    row = nc202_row(total="1.07E+06", live="1.02e6", dead="5.0E+04")
    reading = read_counter_file(counter_files.nc202(row)).readings[0]
    assert (reading.live_per_ml, reading.dead_per_ml) == (Decimal(1_020_000), Decimal(50_000))


def test_the_dead_cells_follow_from_the_total_when_the_file_leaves_them_out():
    reading = read_counter_file(counter_files.nc202(nc202_row(dead=""))).readings[0]
    assert reading.dead_per_ml == Decimal(50_000)


def test_a_warning_status_is_the_readings_warning():
    row = nc202_row(status="Foreign object detected")
    reading = read_counter_file(counter_files.nc202(row)).readings[0]
    assert (reading.status, reading.warning) == ("Foreign object detected",
                                                 "Foreign object detected")


def test_the_header_is_found_by_its_columns_whatever_their_case_and_micro_sign():
    text = NC202_HEADER.replace("DIAMETER (µm)", "Diameter (μm)").lower()
    content = (text + "\n" + "a,MSC26-0007,,p,ana,NC1,OK," + WHEN
               + ",1000000,900000,100000,90,15,1,1,1\n").encode()
    reading = read_counter_file(content).readings[0]
    assert (reading.diameter_um, reading.live_per_ml) == (Decimal(15), Decimal(900_000))


def test_live_cells_above_the_total_are_refused():
    assert refusal(counter_files.nc202(nc202_row(dead="", total="1 000"))).code == \
        "live_above_total"


def test_a_row_without_live_cells_is_refused():
    assert refusal(counter_files.nc202(nc202_row(live=""))).code == "missing_value"


# --- encodings -----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_utf8_with_or_without_its_mark_and_utf16_either_way_round(encoding):
    content = counter_files.nc202(nc202_row()).decode("utf-8").encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        content = "\ufeff".encode(encoding) + content
    assert read_counter_file(content).readings[0].live_per_ml == Decimal(1_020_000)


def test_utf16_without_its_mark_is_not_taken_for_text():
    content = counter_files.nc202(nc202_row()).decode().encode("utf-16-le")
    assert refusal(content).code == "not_text"


def test_a_damaged_utf16_file_is_refused():
    assert refusal(b"\xff\xfe" + "Sample".encode("utf-16-le") + b"\x00\xd8").code == "encoding"


# --- Vi-CELL BLU and XR --------------------------------------------------------------------

def blu_row(**fields):
    return {"sample": "MSC26-0007", "when": WHEN, "total": "1.20", "viable": "1.14",
            "viability": "95.0", **fields}


@pytest.mark.parametrize("micro", ["\u00b5", "\u03bc"])
def test_a_vicell_blu_export_in_utf16_with_either_micro_sign(micro):
    readout = read_counter_file(counter_files.vicell_blu(blu_row(), micro=micro))
    assert readout.format is CounterFormat.VICELL_BLU
    reading = readout.readings[0]
    assert (reading.line, reading.live_per_ml, reading.dead_per_ml) == (
        4, Decimal(1_140_000), Decimal(60_000))
    assert (reading.diameter_um, reading.instrument_serial, reading.operator) == (
        Decimal("14.9"), "VCB-2041", "marta")
    assert reading.reanalysed is False


def test_a_reanalysed_row_is_marked():
    readout = read_counter_file(counter_files.vicell_blu(
        blu_row(), blu_row(reanalysed="2026-12-07 11:02:40")))
    assert [r.reanalysed for r in readout.readings] == [False, True]
    assert readout.readings[1].measured_at == datetime(2026, 12, 7, 9, 30, 12)


def test_a_vicell_xr_export_in_the_windows_code_page():
    readout = read_counter_file(counter_files.vicell_xr(
        {"sample": "MSC26-0007", "when": "07.12.2026 09:30", "total": "2,40",
         "viable": "2,16", "viability": "90,0"}))
    assert readout.format is CounterFormat.VICELL_XR
    reading = readout.readings[0]
    assert (reading.live_per_ml, reading.dead_per_ml, reading.viability_percent) == (
        Decimal(2_160_000), Decimal(240_000), Decimal("90.0"))
    assert reading.measured_at == datetime(2026, 12, 7, 9, 30) and reading.operator == "jorge"


# --- NucleoCounter NC-200 ------------------------------------------------------------------

def test_an_nc200_export_gives_its_values_and_the_clocks_offset():
    readout = read_counter_file(counter_files.nc200(
        "MSC26-0007", WHEN, "1 020 000", "50 000", "1 070 000", "95.3", offset="+01:00"))
    assert readout.format is CounterFormat.NC_200
    reading = readout.readings[0]
    assert (reading.live_per_ml, reading.dead_per_ml, reading.dilution) == (
        Decimal(1_020_000), Decimal(50_000), Decimal(2))
    assert (reading.utc_offset, reading.instrument_serial, reading.diameter_um) == (
        timedelta(hours=1), "NC200-77001", Decimal("15.8"))


def test_an_nc200_export_of_two_results_gives_two_readings():
    one = counter_files.nc200("A", WHEN, "1", "0", "1", "100")
    two = counter_files.nc200("B", WHEN, "2", "0", "2", "100")
    assert [r.sample_id for r in read_counter_file(one + two).readings] == ["A", "B"]


def test_an_nc200_export_cut_before_its_cells_is_refused():
    content = counter_files.nc200("A", WHEN, "1", "0", "1", "100")
    cut = content[:content.index(b"Live (cells/ml)")]
    assert refusal(cut).code == "truncated"


# --- cut files and files of another kind ---------------------------------------------------

def test_a_file_cut_in_the_middle_of_a_row_is_refused():
    content = counter_files.nc202(nc202_row(), nc202_row())
    refused = refusal(content[:-20])
    assert (refused.code, refused.params["line"]) == ("truncated", 3)


def test_a_file_cut_inside_a_quoted_value_is_refused():
    content = counter_files.nc202(nc202_row())
    assert refusal(content[:content.index(b"1 020 000") + 3]).code == "truncated"


def test_a_header_with_no_rows_is_refused():
    assert refusal((NC202_HEADER + "\r\n").encode()).code == "no_rows"


@pytest.mark.parametrize(("content", "code"), [
    (b"", "empty"), (b"  \r\n\r\n", "empty"), (b"%PDF-1.7\n\x00\x00\x01", "not_text"),
    (b"Name,Email\nAna,ana@example.org\n", "unknown_kind"),
    (b"<html><body>Counter</body></html>", "unknown_kind"),
    (b"x" * 2_000_001, "too_large"),
])
def test_files_of_another_kind_are_refused(content, code):
    assert refusal(content).code == code


# --- numbers and times ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("274 000", 274_000), ("1.07E+06", 1_070_000), ("95,2", Decimal("95.2")),
    ("  12 ", 12), ("", None), ("-", None), ("N/A", None), ("1 000.5", Decimal("1000.5"))])
def test_numbers_as_counters_write_them(text, value):
    assert number(text, 2, "LIVE") == (None if value is None else Decimal(value))


@pytest.mark.parametrize(("text", "code"), [
    ("274,000", "ambiguous_number"), ("1,234.5", "ambiguous_number"), ("12 3456", "bad_number"),
    ("abc", "bad_number"), ("1e", "bad_number"), ("-5", "negative"), ("Infinity", "bad_number"),
    ("1E+999999999", "implausible"), ("2 000 000 000 000", "implausible"),
    ("NaN", None)])
def test_numbers_that_cannot_be_read_without_doubt_are_refused(text, code):
    if code is None:  # written as "not a number": an empty cell
        assert number(text, 2, "LIVE") is None
        return
    with pytest.raises(FileRefused) as refused:
        number(text, 2, "LIVE")
    assert refused.value.code == code


@pytest.mark.parametrize(("text", "value"), [
    ("2026-12-07 09:30:12", datetime(2026, 12, 7, 9, 30, 12)),
    ("2026-12-07T09:30", datetime(2026, 12, 7, 9, 30)),
    ("07.12.2026 09:30:12", datetime(2026, 12, 7, 9, 30, 12)),
    ("12/21/2026 9:30:00 PM", datetime(2026, 12, 21, 21, 30)),
    ("12/21/2026 12:05 AM", datetime(2026, 12, 21, 0, 5)),
    ("21/12/2026 09:30", datetime(2026, 12, 21, 9, 30)),
    ("07/07/2026 09:30", datetime(2026, 7, 7, 9, 30))])
def test_times_as_counters_write_them(text, value):
    assert moment(text, 2, "DATE") == value


def test_a_time_with_its_offset_is_kept_aware():
    assert moment("2026-12-07T09:30:00+01:00", 2, "DATE").utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("text", ["07/12/2026 09:30", "2026-13-01 10:00", "yesterday",
                                  "31/02/2026 10:00", "12/21/2026 13:00 PM"])
def test_times_that_cannot_be_read_without_doubt_are_refused(text):
    with pytest.raises(FileRefused) as refused:
        moment(text, 2, "DATE")
    assert refused.value.code == "bad_time"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_any_bytes_are_read_or_refused_never_crash(content):
    try:
        read_counter_file(content)
    except FileRefused as refused:
        assert refused.code


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 400))
def test_a_file_cut_anywhere_is_read_or_refused(cut):
    content = counter_files.nc202(nc202_row(), nc202_row(status="Foreign object detected"))
    try:
        readings = read_counter_file(content[:len(content) - cut]).readings
    except FileRefused:
        return
    assert all(r.live_per_ml == Decimal(1_020_000) for r in readings)
