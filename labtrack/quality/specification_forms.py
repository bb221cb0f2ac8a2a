"""The new-specification-version form: one row per test, prefilled from the version in force."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from labtrack.accounts.signature_form import SignatureForm
from labtrack.qms.rules.specification import ResultKind, SpecTest, format_number
from labtrack.web.fields import DecimalField

BLANK_ROWS = 2
MAX_TESTS = 40
LIMIT_BOUND = Decimal("1e9")


class TestRowForm(Form):
    """One test of the specification (a sub-form: the outer form carries the CSRF token)."""

    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("numeric", _l("Numeric")),
                                            SelectChoice("qualitative", _l("Qualitative"))],
                       validate_choice=False)  # the specification's own rules judge it
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    method = StringField(_l("Method"), validators=[Optional(), Length(max=100)])
    lower = DecimalField(_l("Lower limit"), places=None, validators=[Optional()])
    lower_inclusive = BooleanField(_l("≥ (inclusive)"), default=True)
    upper = DecimalField(_l("Upper limit"), places=None, validators=[Optional()])
    upper_inclusive = BooleanField(_l("≤ (inclusive)"), default=True)
    accepted_values = StringField(_l("Accepted results (separate with ;)"),
                                  validators=[Optional(), Length(max=400)])
    mandatory = BooleanField(_l("Mandatory"), default=True)
    may_be_pending = BooleanField(_l("May be pending at release"))

    def validate_lower(self, field):
        _check_limit(field)

    def validate_upper(self, field):
        _check_limit(field)

    def is_blank(self) -> bool:
        return not (self.code.data or "").strip() and not (self.name.data or "").strip()

    def as_test(self) -> SpecTest:
        accepted = frozenset(v.strip() for v in (self.accepted_values.data or "").split(";")
                             if v.strip())
        return SpecTest(
            code=(self.code.data or "").strip(), name=(self.name.data or "").strip(),
            kind=self.kind.data or "", unit=(self.unit.data or "").strip(),
            method=(self.method.data or "").strip(), lower=self.lower.data,
            lower_inclusive=bool(self.lower_inclusive.data), upper=self.upper.data,
            upper_inclusive=bool(self.upper_inclusive.data), accepted_values=accepted,
            mandatory=bool(self.mandatory.data),
            may_be_pending_at_release=bool(self.may_be_pending.data))


def _check_limit(field) -> None:
    if field.data is not None and (not field.data.is_finite() or abs(field.data) >= LIMIT_BOUND):
        raise ValidationError(_l("Enter a number below one billion."))


class SpecificationForm(SignatureForm):
    tests = FieldList(FormField(TestRowForm), min_entries=1, max_entries=MAX_TESTS)
    change_summary = TextAreaField(_l("What changed and why"),
                                   validators=[DataRequired(), Length(max=2000)])

    def specification(self) -> list[SpecTest]:
        """The filled-in rows as domain tests (blank rows are ignored)."""
        return [row.form.as_test() for row in self.tests if not row.form.is_blank()]


def row_data(test: SpecTest) -> dict:
    """A test of a specification as the values of one row."""
    return {"code": test.code, "name": test.name, "kind": str(test.kind), "unit": test.unit,
            "method": test.method, "lower": _plain(test.lower),
            "lower_inclusive": test.lower_inclusive, "upper": _plain(test.upper),
            "upper_inclusive": test.upper_inclusive,
            "accepted_values": "; ".join(sorted(test.accepted_values)),
            "mandatory": test.mandatory, "may_be_pending": test.may_be_pending_at_release}


def _plain(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(format_number(value))


def blank_rows() -> list[dict]:
    return [{"kind": ResultKind.NUMERIC.value, "mandatory": True, "lower_inclusive": True,
             "upper_inclusive": True} for _ in range(BLANK_ROWS)]
