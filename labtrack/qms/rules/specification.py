"""Release specifications: the tests, their limits, and judging QC results against them.

A specification is a tuple of ``SpecTest``; the lab edits and versions it (stored by the
models), so ``DEFAULT_SPECIFICATION`` is only the typical starting point. Viable cells per
dose is not in it: it is judged per dose against the order's cells per disc and tolerance
by the release rules (``labtrack.quality.rules.release``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

Number = int | float | Decimal


class ResultKind(StrEnum):
    """How a result is expressed."""

    NUMERIC = "numeric"
    QUALITATIVE = "qualitative"


class Verdict(StrEnum):
    """The outcome of one result against its limit."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    PENDING = "pending"


@dataclass(frozen=True)
class SpecTest:
    """One line of a specification.

    Numeric limits are optional on either side; ``accepted_values`` are compared
    case-insensitively after trimming. A test that is not ``mandatory`` is informational:
    it is judged but never blocks release.
    """

    code: str
    name: str
    kind: ResultKind | str
    unit: str = ""
    method: str = ""
    lower: Number | None = None
    lower_inclusive: bool = True
    upper: Number | None = None
    upper_inclusive: bool = True
    accepted_values: frozenset[str] = frozenset()
    mandatory: bool = True
    may_be_pending_at_release: bool = False


@dataclass(frozen=True)
class EvaluatedResult:
    """A result judged against its test: what the release checklist reads."""

    code: str
    name: str
    verdict: Verdict
    mandatory: bool
    may_be_pending: bool
    limit: str = ""
    result: Number | str | None = None
    stored_verdict: Verdict | None = None  # as recorded at entry; differs if data changed


@dataclass(frozen=True)
class SpecProblem:
    """Why a specification cannot be saved; ``params`` hold the test code and details."""

    code: str
    message: str
    params: dict


class InvalidResult(ValueError):
    """A result of the wrong type for its test (e.g. text for a numeric test)."""

    def __init__(self, code: str, message: str, params: dict) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


def normalise_text(text: str) -> str:
    """Lower case with surrounding and repeated inner whitespace removed."""
    return " ".join(text.split()).casefold()


def evaluate(test: SpecTest, result: Number | str | None) -> Verdict:
    """Judge one result; ``None`` or blank text means not yet available (pending)."""
    if result is None or (isinstance(result, str) and not result.strip()):
        return Verdict.PENDING
    if test.kind == ResultKind.NUMERIC:
        return Verdict.PASS if _within_limits(test, _as_number(test, result)) else Verdict.FAIL
    if not isinstance(result, str):
        raise InvalidResult(
            "result.not_text",
            f"The result of {test.name} must be text",
            {"test": test.code, "result": str(result)},
        )
    accepted = {normalise_text(value) for value in test.accepted_values}
    return Verdict.PASS if normalise_text(result) in accepted else Verdict.FAIL


def _as_number(test: SpecTest, result) -> Number:
    valid = isinstance(result, int | float | Decimal) and not isinstance(result, bool)
    if not valid or not math.isfinite(result):
        raise InvalidResult(
            "result.not_a_number",
            f"The result of {test.name} must be a number",
            {"test": test.code, "result": str(result)},
        )
    return result


def _within_limits(test: SpecTest, value: Number) -> bool:
    return _meets_lower(test, value) and _meets_upper(test, value)


def _meets_lower(test: SpecTest, value: Number) -> bool:
    if test.lower is None:
        return True
    return value >= test.lower if test.lower_inclusive else value > test.lower


def _meets_upper(test: SpecTest, value: Number) -> bool:
    if test.upper is None:
        return True
    return value <= test.upper if test.upper_inclusive else value < test.upper


def format_number(value: Number) -> str:
    """Plain decimal notation without exponent or trailing zeros (20000000, 0.5)."""
    return format(Decimal(str(value)).normalize(), "f")


def describe_limit(test: SpecTest, number: Callable[[Number], str] = format_number,
                   words: tuple[str, str, str] = ("or", "and", "no limit")) -> str:
    """The limit as people write it: "≥ 70 %", "< 0.5 EU/mL", "no growth"; ``number`` and
    ``words`` (or, and, no limit) write it in another language ("< 0,5 EU/mL")."""
    either, both, unlimited = words
    if test.kind != ResultKind.NUMERIC:
        return f" {either} ".join(sorted(test.accepted_values))
    parts = []
    if test.lower is not None:
        parts.append(f"{'≥' if test.lower_inclusive else '>'} {number(test.lower)}")
    if test.upper is not None:
        parts.append(f"{'≤' if test.upper_inclusive else '<'} {number(test.upper)}")
    text = f" {both} ".join(parts) or unlimited
    return f"{text} {test.unit}".rstrip()


def evaluate_all(
    specification: Iterable[SpecTest], results: Mapping[str, Number | str | None]
) -> list[EvaluatedResult]:
    """Judge the results (by test code) against every test; a missing code is pending."""
    return [
        EvaluatedResult(
            code=test.code,
            name=test.name,
            verdict=evaluate(test, results.get(test.code)),
            mandatory=test.mandatory,
            may_be_pending=test.may_be_pending_at_release,
            limit=describe_limit(test),
            result=results.get(test.code),
        )
        for test in specification
    ]


def _numeric(code, name, method, unit, *, lower=None, upper=None, upper_inclusive=True):
    return SpecTest(
        code, name, ResultKind.NUMERIC, unit, method,
        lower=lower, upper=upper, upper_inclusive=upper_inclusive,
    )  # fmt: skip


def _qualitative(code, name, method, accepted, *, may_be_pending=False):
    return SpecTest(
        code, name, ResultKind.QUALITATIVE, "", method,
        accepted_values=frozenset({accepted}), may_be_pending_at_release=may_be_pending,
    )  # fmt: skip


_FLOW = "flow cytometry"
_IDENTITY = (("cd73", "CD73"), ("cd90", "CD90"), ("cd105", "CD105"))
_PURITY = (("cd45", "CD45"), ("cd34", "CD34"), ("cd14", "CD14 or CD11b"),
           ("cd19", "CD19 or CD79a"), ("hla_dr", "HLA-DR"))  # fmt: skip

# The typical specification from ISCT minimal criteria and Ph. Eur.; the lab versions its own.
DEFAULT_SPECIFICATION: tuple[SpecTest, ...] = (
    _numeric("viability", "Viability", "trypan blue / automated count", "%", lower=70),
    *(_numeric(code, f"{name} (identity)", _FLOW, "%", lower=95) for code, name in _IDENTITY),
    *(_numeric(code, f"{name} (purity)", _FLOW, "%", upper=2) for code, name in _PURITY),
    _qualitative("sterility", "Sterility", "BacT/ALERT culture (Ph. Eur. 2.6.27)", "no growth",
                 may_be_pending=True),
    _qualitative("mycoplasma", "Mycoplasma", "PCR (Ph. Eur. 2.6.7)", "not detected"),
    _numeric("endotoxin", "Endotoxin", "LAL (Ph. Eur. 2.6.14)", "EU/mL",
             upper=0.5, upper_inclusive=False),
    _qualitative("appearance", "Appearance", "visual: no clumps, no visible contamination",
                 "conforms"),
)  # fmt: skip


def validate_specification(tests: Iterable[SpecTest]) -> list[SpecProblem]:
    """Everything wrong with a specification edit; an empty list means it may be saved."""
    tests = list(tests)
    if not tests:
        return [SpecProblem("spec.empty", "A specification needs at least one test", {})]
    problems = _duplicate_codes(tests)
    for test in tests:
        problems.extend(validate_test(test))
    return problems


def _duplicate_codes(tests: list[SpecTest]) -> list[SpecProblem]:
    seen: set[str] = set()
    problems = []
    for test in tests:
        key = test.code.strip().casefold()
        if key and key in seen:
            problems.append(_problem("spec.duplicate_code", "appears more than once", test))
        seen.add(key)
    return problems


def validate_test(test: SpecTest) -> list[SpecProblem]:
    """Everything wrong with one test's definition."""
    problems = []
    if not test.code.strip():
        problems.append(_problem("spec.missing_code", "has no code", test))
    if not test.name.strip():
        problems.append(_problem("spec.missing_name", "has no name", test))
    if test.kind == ResultKind.NUMERIC:
        problems.extend(_numeric_problems(test))
    elif test.kind == ResultKind.QUALITATIVE:
        problems.extend(_qualitative_problems(test))
    else:
        problems.append(_problem("spec.unknown_kind", f"has an unknown kind '{test.kind}'", test))
    return problems


def _numeric_problems(test: SpecTest) -> list[SpecProblem]:
    problems = []
    if not test.unit.strip():
        problems.append(_problem("spec.missing_unit", "is numeric but has no unit", test))
    if test.lower is None and test.upper is None:
        problems.append(_problem("spec.missing_limit", "is numeric but has no limit", test))
    if test.accepted_values:
        what = "is numeric but lists accepted values"
        problems.append(_problem("spec.accepted_values_on_numeric", what, test))
    if test.lower is not None and test.upper is not None:
        problems.extend(_range_problems(test))
    return problems


def _range_problems(test: SpecTest) -> list[SpecProblem]:
    if test.lower > test.upper:
        return [_problem("spec.limits_inverted", "has a lower limit above its upper limit", test)]
    exclusive = not (test.lower_inclusive and test.upper_inclusive)
    if test.lower == test.upper and exclusive:
        return [_problem("spec.limits_empty", "has limits no result can meet", test)]
    return []


def _qualitative_problems(test: SpecTest) -> list[SpecProblem]:
    problems = []
    if not any(value.strip() for value in test.accepted_values):
        problems.append(
            _problem("spec.missing_accepted_values", "is qualitative but accepts no result", test)
        )
    if test.lower is not None or test.upper is not None:
        problems.append(
            _problem("spec.limits_on_qualitative", "is qualitative but has numeric limits", test)
        )
    return problems


def _problem(code: str, what: str, test: SpecTest) -> SpecProblem:
    label = test.name.strip() or test.code.strip() or "A test"
    return SpecProblem(code, f"{label} {what}", {"test": test.code, "name": test.name})


def possible_range(unit: str) -> tuple[Decimal, Decimal | None]:
    """The values a measured quantity can take at all, whatever the specification says:
    a percentage 0–100, anything else (EU/mL, cells, CFU) not below zero."""
    if unit.strip() == "%":
        return Decimal(0), Decimal(100)
    return Decimal(0), None


def is_possible(value: Decimal, unit: str) -> bool:
    """False for a value no test can give (viability 150 %, CD90 −3 %)."""
    low, high = possible_range(unit)
    return value >= low and (high is None or value <= high)
