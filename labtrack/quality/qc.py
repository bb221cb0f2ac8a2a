"""QC results judged against the batch's specification version, and new specification versions.

Who enters QC results: lab technicians and QA (in a small cell-therapy unit the QC
analysts are lab or QA staff; the analyst who ran the test, possibly in another
department, is named on the result). Whoever enters a result for a batch counts as batch
staff for the four-eyes rule, so they cannot also release it.

After release only results for tests the specification allows to be pending (e.g. final
sterility) may still be entered, once; a failing one opens a critical out-of-specification
deviation and alerts the treating clinician.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.accounts import notices
from labtrack.accounts.models import Signature, User
from labtrack.accounts.rules.signatures import Meaning
from labtrack.audit import capture as audit
from labtrack.clock import CLOCK_SKEW
from labtrack.culture import batches
from labtrack.culture.models import Batch
from labtrack.culture.rules.states import BatchState
from labtrack.database import not_superseded, utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms import deviations
from labtrack.qms import specifications as versions
from labtrack.qms.models import Specification, SpecificationTest
from labtrack.qms.rules.specification import (
    EvaluatedResult,
    InvalidResult,
    ResultKind,
    SpecTest,
    Verdict,
    describe_limit,
    evaluate,
    is_possible,
    possible_range,
    validate_specification,
)
from labtrack.quality.models import QcResult
from labtrack.quality.terms import spec_problem_message
from labtrack.web.i18n import document_language
from labtrack.web.policy import Area, require_area
from labtrack.web.templating import exact_number

AFTER_RELEASE_STATES = (BatchState.RELEASED.value, BatchState.COMPLETED.value)

MAX_TEXT = 200
MAX_SUMMARY = 2000


@dataclass(frozen=True)
class ResultData:
    """A QC result as entered: the value is text (a number for numeric tests)."""

    test_code: str
    value: str
    method: str
    analyst: str
    tested_at: datetime
    instrument: str | None = None


@dataclass(frozen=True)
class ResultLine:
    """One test of the batch's specification with its current result, for display."""

    test: SpecificationTest
    limit: str
    result: QcResult | None
    verdict: Verdict  # judged again now, against the batch's specification version
    stored: Verdict | None = None  # the verdict recorded when the result was entered

    @property
    def amended(self) -> bool:
        return self.result is not None and self.result.supersedes_id is not None

    @property
    def disagrees(self) -> bool:
        """The recorded verdict is not what the result gives now (the data changed)."""
        return self.stored is not None and self.stored != self.verdict


# --- reading ---------------------------------------------------------------------------


def specification_tests(batch: Batch) -> list[SpecificationTest]:
    """The tests of the specification version the batch is judged against, in order."""
    return list(db.session.scalars(
        select(SpecificationTest).where(SpecificationTest.specification_id
                                        == batch.specification_id)
        .order_by(SpecificationTest.position)))


def current_results(batch: Batch) -> list[QcResult]:
    """The batch's results in force (not superseded), oldest first."""
    return list(db.session.scalars(
        select(QcResult).where(QcResult.batch_id == batch.id, not_superseded(QcResult))
        .order_by(QcResult.tested_at, QcResult.id)))


def all_results(batch: Batch) -> list[QcResult]:
    """Every result of the batch, superseded ones included, oldest first."""
    return list(db.session.scalars(select(QcResult).where(QcResult.batch_id == batch.id)
                                   .order_by(QcResult.id)))


def result_value(result: QcResult | None) -> Decimal | str | None:
    return None if result is None else (
        result.numeric_value if result.numeric_value is not None else result.text_value)


def result_lines(tests: Iterable[SpecificationTest],
                 results: Iterable[QcResult]) -> list[ResultLine]:
    """Each test with its current result, judged again now (pending when there is none),
    and the verdict recorded at entry."""
    by_code = {result.test_code: result for result in results}
    lines = []
    for test in tests:
        rule, result = versions.as_domain(test), by_code.get(test.code)
        stored = Verdict(result.verdict) if result else None
        lines.append(ResultLine(test, describe_limit(rule), result,
                                _judge_again(rule, result), stored))
    return lines


def _judge_again(rule: SpecTest, result: QcResult | None) -> Verdict:
    """The result against its test as it stands in the database now."""
    if result is None:
        return Verdict.PENDING
    try:
        return evaluate(rule, result_value(result))
    except InvalidResult:  # a number where text belongs, or the reverse: not a pass
        return Verdict.FAIL


def evaluated(lines: Iterable[ResultLine]) -> tuple[EvaluatedResult, ...]:
    """The lines as the release checklist reads them."""
    return tuple(EvaluatedResult(
        code=line.test.code, name=line.test.name, verdict=line.verdict,
        mandatory=line.test.mandatory, may_be_pending=line.test.may_be_pending,
        limit=line.limit, result=result_value(line.result), stored_verdict=line.stored)
        for line in lines)


# --- recording -------------------------------------------------------------------------


def _require_qc(acting: User) -> None:
    require_area(acting.role, (Area.BENCH, Area.QUALITY),
                 _("Only lab or QA staff may enter QC results."))
    audit.attribute_to(db.session, acting)


def _test_for(batch: Batch, code: str) -> SpecificationTest:
    test = db.session.scalar(select(SpecificationTest).where(
        SpecificationTest.specification_id == batch.specification_id,
        SpecificationTest.code == (code or "").strip()))
    if test is None:
        raise ServiceError(_("This test is not in the batch's specification."), field="test_code")
    return test


def _parse_value(test: SpecificationTest, text: str) -> tuple[Decimal | None, str | None]:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Enter the result."), field="value")
    if test.kind != ResultKind.NUMERIC:
        if len(text) > MAX_TEXT:
            raise ServiceError(_("The result is at most 200 characters."), field="value")
        return None, text
    try:
        number = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise ServiceError(_("Enter a number, e.g. 98.5."), field="value")
    if not is_possible(number, test.unit):
        low, high = possible_range(test.unit)
        if high is None:
            raise ServiceError(_("%(test)s cannot be below %(low)s %(unit)s: check the value.",
                                 test=test.name, low=exact_number(low), unit=test.unit),
                               field="value")
        raise ServiceError(_("%(test)s is between %(low)s and %(high)s %(unit)s: %(value)s "
                             "cannot be a result.", test=test.name, low=exact_number(low),
                             high=exact_number(high), unit=test.unit,
                             value=exact_number(number)), field="value")
    return number.quantize(Decimal("0.0001")), None


def _check_data(batch: Batch, data: ResultData, method: str) -> None:
    if not method or len(method) > 100:
        raise ServiceError(_("This field is required."), field="method")
    analyst = (data.analyst or "").strip()
    if not analyst or len(analyst) > MAX_TEXT:
        raise ServiceError(_("This field is required."), field="analyst")
    if len((data.instrument or "").strip()) > 100:
        raise ServiceError(_("At most 100 characters."), field="instrument")
    if data.tested_at is None:
        raise ServiceError(_("Enter the date and time of the test."), field="tested_at")
    if data.tested_at > utcnow() + CLOCK_SKEW:
        raise ServiceError(_("The test date cannot be in the future."), field="tested_at")
    if data.tested_at < batch.started_at - CLOCK_SKEW:
        raise ServiceError(_("The test date cannot be before the batch started."),
                           field="tested_at")


def _new_result(acting: User, batch: Batch, test: SpecificationTest, data: ResultData,
                after_release: bool) -> QcResult:
    method = method_of(test, data)
    _check_data(batch, data, method)
    number, text = _parse_value(test, data.value)
    verdict = evaluate(versions.as_domain(test), number if number is not None else text)
    return QcResult(
        batch_id=batch.id, test_code=test.code, numeric_value=number, text_value=text,
        verdict=verdict.value, method=method,
        instrument=(data.instrument or "").strip() or None, analyst=data.analyst.strip(),
        tested_at=data.tested_at, entered_by_id=acting.id, after_release=after_release)


def _current_for(batch: Batch, code: str) -> QcResult | None:
    return next((r for r in current_results(batch) if r.test_code == code), None)


def record_result(acting: User, batch: Batch, data: ResultData) -> QcResult:
    """Record a QC result, judged against the batch's specification version. Commits."""
    _require_qc(acting)
    test = _test_for(batch, data.test_code)
    after_release = _check_enterable(batch, test)
    result = _new_result(acting, batch, test, data, after_release)
    _store(acting, batch, [(test, result)], after_release)
    db.session.commit()
    return result


def method_of(test: SpecificationTest, data: ResultData) -> str:
    """The specification's method for the test, unless one is named on purpose (a correction
    of the method); the results grid names none, so each result takes its test's."""
    return ((data.method or "").strip() or test.method or "").strip()


def _check_enterable(batch: Batch, test: SpecificationTest) -> bool:
    """Refuse a result the batch cannot take now; True when the batch is released."""
    after_release = batch.state in AFTER_RELEASE_STATES
    if after_release and not test.may_be_pending:
        raise batches.BatchLocked(_("Batch %(number)s is released: only results that were "
                                    "allowed to be pending at release may still be entered.",
                                    number=batch.batch_number))
    if not after_release:
        batches.ensure_editable(batch)
    if _current_for(batch, test.code) is not None:
        raise ServiceError(_("%(test)s already has a result; amend it instead.",
                             test=test.name), field="test_code")
    return after_release


def _store(acting: User, batch: Batch, results: list[tuple[SpecificationTest, QcResult]],
           after_release: bool) -> None:
    db.session.add_all(result for _test, result in results)
    db.session.flush()
    for test, result in results:
        if after_release and result.verdict == Verdict.FAIL:
            _raise_out_of_specification(acting, batch, test, result)


class ResultErrors(ServiceError):
    """Grid rows refused (none stored): ``rows`` maps test codes to {field: message}."""

    def __init__(self, rows: dict[str, dict[str, str]]) -> None:
        super().__init__(_("Nothing was saved: correct the results marked below, then save "
                           "them again."))
        self.rows = rows


def record_results(acting: User, batch: Batch, entries: list[ResultData]) -> list[QcResult]:
    """A batch's results from one grid, each checked; all stored or none (an analyst enters
    one report at once: a partial save leaves them unsure what was kept). Commits."""
    _require_qc(acting)
    if not entries:
        raise ServiceError(_("Enter at least one result."))
    accepted, refused, after_release = [], {}, False
    for data in entries:
        try:
            test = _test_for(batch, data.test_code)
            if test.code in {t.code for t, _r in accepted}:
                raise ServiceError(_("Enter each test once."), field="value")
            after_release = _check_enterable(batch, test)
            accepted.append((test, _new_result(acting, batch, test, data, after_release)))
        except ServiceError as error:
            refused.setdefault(data.test_code, {})[error.field or "value"] = error.message
    if refused:
        db.session.rollback()
        raise ResultErrors(refused)
    _store(acting, batch, accepted, after_release)
    db.session.commit()
    return [result for _test, result in accepted]


def _raise_out_of_specification(acting: User, batch: Batch, test: SpecificationTest,
                                result: QcResult) -> None:
    """A failing result after release: a critical deviation and an alert to the clinician."""
    shown = result_value(result)
    deviation = deviations.open_deviation(
        acting, batch, deviations.OUT_OF_SPECIFICATION, "critical",
        _("Out-of-specification result after release: %(test)s", test=test.name),
        _("%(test)s of batch %(batch)s is %(result)s (limit %(limit)s), entered after the "
          "batch was released.", test=test.name, batch=batch.batch_number, result=shown,
          limit=describe_limit(versions.as_domain(test))))
    with document_language():
        message = _("Batch %(batch)s for your patient %(patient)s: %(test)s is out of "
                    "specification (%(result)s) after release. Deviation %(deviation)s is "
                    "open; contact QA before any further use.", batch=batch.batch_number,
                    patient=batch.order.patient.display_name, test=test.name, result=shown,
                    deviation=deviation.number)
    notices.notify(batch.order.treating_clinician_id, "out_of_specification_after_release",
                   message, severity="critical", batch_id=batch.id, order_id=batch.order_id)


def amend_result(acting: User, original: QcResult, data: ResultData, why: str) -> QcResult:
    """Correct a result before release: a new result supersedes it, with the reason. Commits."""
    _require_qc(acting)
    batch = db.session.get(Batch, original.batch_id)
    batches.ensure_editable(batch)
    if not (why or "").strip():
        raise audit.ReasonRequired(_("A reason is required to correct a result."),
                                   field="reason")
    if _current_for(batch, original.test_code) is not original:
        raise ServiceError(_("This result was already corrected; amend the latest version."))
    test = _test_for(batch, original.test_code)
    with audit.reason(db.session, why):
        result = _new_result(acting, batch, test, data, after_release=False)
        result.supersedes_id, result.amendment_reason = original.id, why.strip()
        db.session.add(result)
        db.session.flush()
    db.session.commit()
    return result


# --- specification versions ------------------------------------------------------------


def specification_content(tests: Iterable[SpecTest], summary: str) -> dict:
    """What QA signs when approving a version: every test and its limits."""
    return {"change_summary": summary, "tests": [
        {"code": t.code, "name": t.name, "kind": str(t.kind), "unit": t.unit,
         "method": t.method, "limit": describe_limit(t), "mandatory": t.mandatory,
         "may_be_pending": t.may_be_pending_at_release} for t in tests]}


def new_specification_version(acting: User, tests: list[SpecTest], summary: str,
                              sign: Callable[[str, object, dict], Signature]) -> Specification:
    """QA approves a new specification version (signed, meaning approved). Commits.

    Batches already started keep the version they started with.
    """
    require_area(acting.role, Area.QUALITY, _("Only QA may change the release specification."))
    audit.attribute_to(db.session, acting)
    summary = (summary or "").strip()
    if not summary or len(summary) > MAX_SUMMARY:
        raise ServiceError(_("Say what changed and why."), field="change_summary")
    problems = validate_specification(tests)
    if problems:
        raise ServiceError(" ".join(spec_problem_message(p) for p in problems))
    versions.current_specification()  # version 1 exists before the first edit
    spec = versions.create_version(tests, summary, acting.id)
    signature = sign("specification", spec.id, specification_content(tests, summary))
    if signature.meaning != Meaning.APPROVED or signature.signer_id != acting.id:
        raise ServiceError(_("A new version needs your own signature meaning approved."))
    db.session.commit()
    return spec


def specification_versions() -> list[Specification]:
    """Every version, newest first."""
    return list(db.session.scalars(select(Specification)
                                   .order_by(Specification.version.desc())))


def find_version(version: int) -> Specification | None:
    return db.session.scalar(select(Specification).where(Specification.version == version))
