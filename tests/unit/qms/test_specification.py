"""Specification tests: limits and their boundaries, qualitative matching, validation."""

from dataclasses import replace
from decimal import Decimal

import pytest

from labtrack.qms.rules.specification import (
    DEFAULT_SPECIFICATION,
    InvalidResult,
    ResultKind,
    SpecTest,
    Verdict,
    describe_limit,
    evaluate,
    evaluate_all,
    format_number,
    validate_specification,
    validate_test,
)

PASS, FAIL, PENDING = Verdict.PASS, Verdict.FAIL, Verdict.PENDING
VIABILITY = SpecTest("viability", "Viability", ResultKind.NUMERIC, "%", lower=70)
CD45 = SpecTest("cd45", "CD45", ResultKind.NUMERIC, "%", upper=2)
ENDOTOXIN = SpecTest("endotoxin", "Endotoxin", ResultKind.NUMERIC, "EU/mL",
                     upper=0.5, upper_inclusive=False)  # fmt: skip
ABOVE_10 = SpecTest("x", "X", ResultKind.NUMERIC, "U", lower=10, lower_inclusive=False)
BETWEEN = SpecTest("ph", "pH", ResultKind.NUMERIC, "pH", lower=7, upper=7.6)
STERILITY = SpecTest("sterility", "Sterility", ResultKind.QUALITATIVE,
                     accepted_values=frozenset({"No growth"}))  # fmt: skip


def by_code(code: str) -> SpecTest:
    return next(test for test in DEFAULT_SPECIFICATION if test.code == code)


@pytest.mark.parametrize(
    ("test", "value", "verdict"),
    [
        (VIABILITY, 70, PASS),
        (VIABILITY, 70.0, PASS),
        (VIABILITY, Decimal("70.00"), PASS),
        (VIABILITY, 69.99, FAIL),
        (VIABILITY, 100, PASS),
        (CD45, 2, PASS),
        (CD45, 2.01, FAIL),
        (CD45, 0, PASS),
        (ENDOTOXIN, 0.5, FAIL),
        (ENDOTOXIN, Decimal("0.5"), FAIL),
        (ENDOTOXIN, 0.49, PASS),
        (ABOVE_10, 10, FAIL),
        (ABOVE_10, 10.001, PASS),
        (BETWEEN, 7, PASS),
        (BETWEEN, 7.6, PASS),
        (BETWEEN, 6.99, FAIL),
        (BETWEEN, 7.61, FAIL),
    ],
)
def test_numeric_boundaries_respect_inclusive_and_exclusive_limits(test, value, verdict):
    assert evaluate(test, value) is verdict


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("No growth", PASS),
        ("no growth", PASS),
        ("  NO   GROWTH \n", PASS),
        ("growth", FAIL),
        ("no growth detected", FAIL),
        ("", PENDING),
        ("   ", PENDING),
        (None, PENDING),
    ],
)
def test_qualitative_results_match_ignoring_case_and_spacing(value, verdict):
    assert evaluate(STERILITY, value) is verdict


def test_a_missing_numeric_result_is_pending():
    assert evaluate(VIABILITY, None) is PENDING


@pytest.mark.parametrize(
    ("test", "value", "code"),
    [
        (VIABILITY, "72", "result.not_a_number"),
        (VIABILITY, True, "result.not_a_number"),
        (VIABILITY, float("nan"), "result.not_a_number"),
        (VIABILITY, float("inf"), "result.not_a_number"),
        (STERILITY, 0, "result.not_text"),
    ],
)
def test_results_of_the_wrong_type_are_refused(test, value, code):
    with pytest.raises(InvalidResult) as caught:
        evaluate(test, value)
    assert caught.value.code == code
    assert caught.value.params["test"] == test.code


@pytest.mark.parametrize(
    ("test", "text"),
    [
        (VIABILITY, "≥ 70 %"),
        (CD45, "≤ 2 %"),
        (ENDOTOXIN, "< 0.5 EU/mL"),
        (ABOVE_10, "> 10 U"),
        (BETWEEN, "≥ 7 and ≤ 7.6 pH"),
        (STERILITY, "No growth"),
        (SpecTest("a", "A", ResultKind.QUALITATIVE, accepted_values=frozenset({"b", "a"})),
         "a or b"),
        (SpecTest("n", "N", ResultKind.NUMERIC, "cells", lower=20_000_000), "≥ 20000000 cells"),
    ],
)  # fmt: skip
def test_limits_are_described_as_people_write_them(test, text):
    assert describe_limit(test) == text


@pytest.mark.parametrize(
    ("value", "text"), [(70, "70"), (70.0, "70"), (0.5, "0.5"), (Decimal("2.50"), "2.5"),
                        (2e7, "20000000")],
)  # fmt: skip
def test_numbers_are_shown_plainly(value, text):
    assert format_number(value) == text


def test_the_default_specification_is_the_typical_one():
    codes = [test.code for test in DEFAULT_SPECIFICATION]
    assert codes == ["viability", "cd73", "cd90", "cd105", "cd45", "cd34", "cd14", "cd19",
                     "hla_dr", "sterility", "mycoplasma", "endotoxin", "appearance"]  # fmt: skip
    assert validate_specification(DEFAULT_SPECIFICATION) == []
    assert all(test.mandatory for test in DEFAULT_SPECIFICATION)
    pending = [test.code for test in DEFAULT_SPECIFICATION if test.may_be_pending_at_release]
    assert pending == ["sterility"]


@pytest.mark.parametrize(
    ("code", "limit"),
    [
        ("viability", "≥ 70 %"),
        ("cd73", "≥ 95 %"),
        ("cd105", "≥ 95 %"),
        ("cd45", "≤ 2 %"),
        ("hla_dr", "≤ 2 %"),
        ("sterility", "no growth"),
        ("mycoplasma", "not detected"),
        ("endotoxin", "< 0.5 EU/mL"),
        ("appearance", "conforms"),
    ],
)
def test_default_limits(code, limit):
    assert describe_limit(by_code(code)) == limit


def test_evaluate_all_judges_each_test_and_marks_absent_results_pending():
    results = evaluate_all(DEFAULT_SPECIFICATION[:1] + (by_code("sterility"),), {"viability": 65})
    assert [(r.code, r.verdict, r.may_be_pending) for r in results] == [
        ("viability", FAIL, False),
        ("sterility", PENDING, True),
    ]
    assert results[0].limit == "≥ 70 %"
    assert results[0].result == 65


def problem_codes(test: SpecTest) -> list[str]:
    return [problem.code for problem in validate_test(test)]


@pytest.mark.parametrize(
    ("test", "code"),
    [
        (replace(VIABILITY, code=" "), "spec.missing_code"),
        (replace(VIABILITY, name=""), "spec.missing_name"),
        (replace(VIABILITY, unit=""), "spec.missing_unit"),
        (replace(VIABILITY, lower=None), "spec.missing_limit"),
        (replace(VIABILITY, upper=60), "spec.limits_inverted"),
        (replace(VIABILITY, upper=70, upper_inclusive=False), "spec.limits_empty"),
        (replace(VIABILITY, accepted_values=frozenset({"ok"})), "spec.accepted_values_on_numeric"),
        (replace(STERILITY, accepted_values=frozenset()), "spec.missing_accepted_values"),
        (replace(STERILITY, accepted_values=frozenset({" "})), "spec.missing_accepted_values"),
        (replace(STERILITY, lower=1), "spec.limits_on_qualitative"),
        (replace(STERILITY, kind="colour"), "spec.unknown_kind"),
    ],
)
def test_each_definition_problem_is_reported(test, code):
    assert problem_codes(test) == [code]


def test_equal_inclusive_limits_are_a_valid_exact_value():
    assert problem_codes(replace(VIABILITY, upper=70)) == []


def test_problems_name_the_test():
    (problem,) = validate_test(replace(VIABILITY, unit=""))
    assert problem.message == "Viability is numeric but has no unit"
    assert problem.params == {"test": "viability", "name": "Viability"}


def test_duplicate_codes_are_reported_once_per_repeat():
    problems = validate_specification([VIABILITY, CD45, replace(VIABILITY, code="Viability ")])
    assert [p.code for p in problems] == ["spec.duplicate_code"]


def test_an_empty_specification_is_refused():
    assert [p.code for p in validate_specification([])] == ["spec.empty"]


def test_a_valid_edit_has_no_problems():
    assert validate_specification([VIABILITY, CD45, ENDOTOXIN, STERILITY, BETWEEN]) == []
