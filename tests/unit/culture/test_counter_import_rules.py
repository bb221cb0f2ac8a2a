"""From a counter's reading to a count: sample ids, totals from volume, warnings."""

from datetime import datetime
from decimal import Decimal

import pytest

from labtrack.culture.rules.counter_files import Reading
from labtrack.culture.rules.counter_import import (
    ViabilityLimits,
    implausible,
    sample_key,
    totals,
    viability_of,
    volume_problem,
    warnings_for,
)

SPEC = ViabilityLimits(lower=Decimal(70))


def reading(**fields) -> Reading:
    values = {"line": 2, "sample_id": "MSC26-0007", "measured_at": datetime(2026, 12, 7, 9, 30),
              "live_per_ml": Decimal(1_020_000), "dead_per_ml": Decimal(50_000),
              "viability_percent": Decimal("95.3"), **fields}
    return Reading(**values)


def codes(found) -> list[str]:
    return [warning.code for warning in found]


@pytest.mark.parametrize(("text", "key"), [
    ("MSC26-0007", "MSC26-0007"), (" msc26-0007 ", "MSC26-0007"),
    ("A9999 26 000123", "A999926000123"), ("=A999926000123", "A999926000123"), ("", "")])
def test_sample_ids_are_compared_without_spaces_or_case(text, key):
    assert sample_key(text) == key


def test_totals_are_the_concentration_times_the_volume():
    found = totals(reading(), Decimal("12.5"))
    assert (found.viable_cells, found.dead_cells) == (12_750_000, 625_000)
    assert found.viability_percent == Decimal("95.33")


@pytest.mark.parametrize(("volume", "problem"), [
    (None, "missing"), (Decimal(0), "range"), (Decimal(-1), "range"), (Decimal("NaN"), "range"),
    (Decimal("Infinity"), "range"), (Decimal(10_001), "range"), (Decimal("0.5"), None),
    (Decimal(10_000), None)])
def test_a_volume_above_zero_and_plausible(volume, problem):
    assert volume_problem(volume) == problem


def test_a_clean_reading_has_no_warning():
    assert warnings_for(reading(), SPEC, viability_of(reading())) == []


def test_each_warning():
    found = warnings_for(reading(warning="Foreign object detected", reanalysed=True,
                                 measured_at=None), SPEC, Decimal("95.3"))
    assert codes(found) == ["instrument", "reanalysed", "no_time"]
    assert found[0].detail == "Foreign object detected"


@pytest.mark.parametrize(("live", "dead", "warned"), [
    (700_000, 300_000, False), (699_000, 301_000, True), (0, 1_000, True)])
def test_viability_below_the_specification(live, dead, warned):
    read = reading(live_per_ml=Decimal(live), dead_per_ml=Decimal(dead), viability_percent=None)
    found = codes(warnings_for(read, SPEC, viability_of(read)))
    assert ("viability_out_of_range" in found) is warned


def test_viability_above_an_upper_limit_and_with_no_limits():
    read = reading()
    assert codes(warnings_for(read, ViabilityLimits(upper=Decimal(90)), viability_of(read))) \
        == ["viability_out_of_range"]
    assert warnings_for(read, ViabilityLimits(), viability_of(read)) == []


def test_a_viability_that_does_not_match_the_cells_is_a_warning():
    read = reading(viability_percent=Decimal(80))
    assert codes(warnings_for(read, SPEC, viability_of(read))) == ["viability_mismatch"]


def test_no_cells_at_all_has_no_viability():
    assert viability_of(reading(live_per_ml=Decimal(0), dead_per_ml=Decimal(0))) is None


def test_totals_beyond_any_culture_are_implausible():
    assert not implausible(totals(reading(), Decimal(10_000)))
    assert implausible(totals(reading(live_per_ml=Decimal(10) ** 12), Decimal(10_000)))
