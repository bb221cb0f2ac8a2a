"""Bench forms: record a culture step, log or correct a cell count.

Times are entered in the lab's local time (``datetime-local``) and converted to UTC.
Cell numbers are entered in millions (× 10⁶). Impossible values are refused by the
services, which say why on the field concerned; the form only parses.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from labtrack.culture.counts import CountData
from labtrack.culture.steps import StepData
from labtrack.culture.terms import COUNT_METHOD_LABELS
from labtrack.web.fields import DecimalField, lab_time_field

MILLION = Decimal(1_000_000)
MAX_MILLIONS = 100_000  # 10¹¹ cells: far beyond any culture, well inside the column
SCAN_BOX = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters",
            "rows": 2}
# The fields each kind of step records, in the order they are shown.
KIND_FIELDS = {
    "isolation": ("cells",),
    "seeding": ("flasks", "surface_cm2", "seeding_density", "cells"),
    "non_adherent_removal": (),
    "medium_change": (),
    "observation": ("confluence_percent", "morphology", "contamination_signs"),
    "passage": ("confluence_percent", "split_ratio", "flasks", "surface_cm2", "seeding_density",
                "cells"),
    "harvest": ("flasks", "cells"),
}
CELLS_LABELS = {
    "isolation": _l("Mononuclear cells isolated (× 10⁶)"),
    "seeding": _l("Cells seeded (× 10⁶)"),
    "passage": _l("Cells seeded after the passage (× 10⁶)"),
    "harvest": _l("Cells harvested (× 10⁶)"),
}
CONFLUENCE_LABELS = {
    "observation": _l("Confluence (%)"),
    "passage": _l("Confluence before the passage (%)"),
}


def finite(form, field):
    """Stop at NaN or infinity (Decimal parses them; comparisons would fail)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Enter a number."))


def _millions(label, required=False):
    first = InputRequired() if required else Optional()
    return DecimalField(label, places=None, validators=[
        first, finite, NumberRange(max=MAX_MILLIONS)], render_kw={"step": "any",
                                                                  "inputmode": "decimal"})


def _decimal(label, maximum, description=None):
    return DecimalField(label, places=None, description=description,
                        validators=[Optional(), finite, NumberRange(max=maximum)],
                        render_kw={"step": "any", "inputmode": "decimal"})


def _integer(label, maximum, description=None):
    return IntegerField(label, description=description,
                        validators=[Optional(), NumberRange(max=maximum)],
                        render_kw={"inputmode": "numeric"})


def cells(millions: Decimal | None) -> int | None:
    """Cells from millions: Decimal('2.5') → 2500000."""
    return None if millions is None else int((millions * MILLION).to_integral_value())


def millions(count: int) -> Decimal:
    """Millions from cells, for prefilling a form: 2500000 → Decimal('2.5')."""
    return Decimal(count) / MILLION


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


class StepForm(FlaskForm):
    """One culture step; only the fields of its kind are shown and read."""

    performed_at = lab_time_field(_l("Performed at"))
    confluence_percent = IntegerField(
        _l("Confluence (%)"), render_kw={"inputmode": "numeric"}, validators=[
            Optional(), NumberRange(min=0, max=100, message=_l(
                "Confluence must be between 0 and 100 %%."))])
    morphology = StringField(_l("Morphology"), validators=[Optional(), Length(max=200)],
                             description=_l("E.g. spindle-shaped, fibroblast-like."))
    contamination_signs = RadioField(
        _l("Signs of contamination?"), validators=[Optional()],
        choices=[SelectChoice("no", _l("No")), SelectChoice("yes", _l("Yes"))],
        description=_l("Turbid or discoloured medium, floating particles, unusual cells."))
    split_ratio = StringField(_l("Split ratio"), validators=[Optional(), Length(max=20)],
                              description=_l("E.g. 1:3."))
    flasks = _integer(_l("Flasks"), 500)
    surface_cm2 = _decimal(_l("Total surface (cm²)"), 1_000_000)
    seeding_density = _integer(_l("Seeding density (cells/cm²)"), 10_000_000)
    cells = _millions(_l("Cells (× 10⁶)"))
    lot_ids = SelectMultipleField(_l("Reagent lots used"), coerce=int, validators=[Optional()],
                                  description=_l("Released lots in date. Hold Ctrl to choose "
                                                 "several."))
    lot_codes = TextAreaField(_l("…or scan lot numbers"), validators=[Length(max=1000)],
                              render_kw=SCAN_BOX,
                              description=_l("One per line; add a quantity after a semicolon, "
                                             "e.g. 2468135;50 mL."))
    equipment_ids = SelectMultipleField(_l("Equipment used"), coerce=int,
                                        validators=[Optional()])
    equipment_codes = TextAreaField(_l("…or scan equipment identifiers"),
                                    validators=[Length(max=1000)], render_kw=SCAN_BOX,
                                    description=_l("One per line."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    deviation_acknowledged = BooleanField(
        _l("This step is outside its protocol window: open a deviation"))
    deviation = TextAreaField(_l("Deviation: what happened and why"),
                              validators=[Length(max=2000)])

    def for_kind(self, kind: str) -> StepForm:
        """Label the fields for ``kind`` (the cells field means different things)."""
        self.cells.label.text = CELLS_LABELS.get(kind, self.cells.label.text)
        self.confluence_percent.label.text = CONFLUENCE_LABELS.get(
            kind, self.confluence_percent.label.text)
        return self

    def kind_fields(self, kind: str) -> list:
        return [self[name] for name in KIND_FIELDS[kind]]

    def validate_deviation(self, field):
        if self.deviation_acknowledged.data and not (field.data or "").strip():
            raise StopValidation(_l("Describe the deviation."))

    def step_data(self, kind: str, lots: list[tuple[int, str | None]],
                  equipment_ids: list[int]) -> StepData:
        """The step as the service takes it, with only the fields of its kind."""
        shown = KIND_FIELDS[kind]
        values = {name: self[name].data for name in shown
                  if name not in ("cells", "contamination_signs", "morphology", "split_ratio")}
        if "cells" in shown:
            values["cells"] = cells(self.cells.data)
        if "contamination_signs" in shown and self.contamination_signs.data:
            values["contamination_signs"] = self.contamination_signs.data == "yes"
        for name in ("morphology", "split_ratio"):
            if name in shown:
                values[name] = _text(self[name].data)
        return StepData(kind=kind, performed_at=self.performed_at.utc,
                        notes=_text(self.notes.data), lots=lots, equipment_ids=equipment_ids,
                        **values)

    @property
    def deviation_text(self) -> str | None:
        """The deviation's description, only when the box is ticked."""
        return _text(self.deviation.data) if self.deviation_acknowledged.data else None


class PlausibilityFields:
    """The confirmation of a value past a soft plausibility limit, shown with the warning."""

    plausibility_confirmed = BooleanField(
        _l("I have checked this value: it is right, record it as entered"))
    plausibility_reason = TextAreaField(
        _l("Why the value is right"), validators=[Length(max=1000)],
        description=_l("Kept with the value, in the audit trail and the release record."))

    def validate_plausibility_reason(self, field):
        if self.plausibility_confirmed.data and not (field.data or "").strip():
            raise StopValidation(_l("Give the reason the value is right."))

    @property
    def confirmation_reason(self) -> str | None:
        """The reason, only when the box is ticked."""
        return _text(self.plausibility_reason.data) if self.plausibility_confirmed.data else None


class CountForm(PlausibilityFields, FlaskForm):
    """A cell count: totals, or chamber counts with dilution and volume."""

    counted_at = lab_time_field(_l("Counted at"))
    method = RadioField(_l("Method"), validators=[InputRequired(_l("Choose the method."))],
                        choices=[SelectChoice(code, label)
                                 for code, label in COUNT_METHOD_LABELS.items()])
    mode = RadioField(_l("What you enter"), default="totals",
                      validators=[InputRequired()],
                      choices=[SelectChoice("totals", _l("Total viable and dead cells")),
                               SelectChoice("chamber", _l("Live and dead counts per square, "
                                                         "with dilution and volume"))])
    viable_cells = _millions(_l("Viable cells (× 10⁶)"))
    dead_cells = _millions(_l("Dead cells (× 10⁶)"))
    total_cells = _millions(_l("…or total cells (× 10⁶)"))
    viability_percent = _decimal(_l("Viability (%)"), 1000, _l(
        "Optional: LabTrack computes it and checks it against what you enter."))
    live_counted = _decimal(_l("Live cells per large square (mean)"), 1_000_000)
    dead_counted = _decimal(_l("Dead cells per large square (mean)"), 1_000_000)
    dilution = _decimal(_l("Dilution factor"), 100_000, _l("E.g. 2 for 1:1 in trypan blue."))
    volume_ml = _decimal(_l("Suspension volume (mL)"), 100_000)
    passage_number = _integer(_l("Passage"), 50, _l("Leave empty for the current passage."))

    TOTALS = ("viable_cells", "dead_cells", "total_cells")
    CHAMBER = ("live_counted", "dead_counted", "dilution", "volume_ml")

    def count_data(self) -> CountData:
        """The count as the service takes it, in the chosen entry mode."""
        common = {"counted_at": self.counted_at.utc,
                  "method": self.method.data, "passage_number": self.passage_number.data,
                  "viability_percent": self.viability_percent.data,
                  "plausibility_reason": self.confirmation_reason}
        if self.mode.data == "chamber":
            return CountData(**common, **{name: self[name].data for name in self.CHAMBER})
        return CountData(**common, **{name: cells(self[name].data) for name in self.TOTALS})


class AmendCountForm(CountForm):
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[InputRequired(), Length(max=1000)],
                           description=_l("Kept with the count and in the audit trail."))


class VoidCountForm(FlaskForm):
    reason = TextAreaField(_l("Why is this count withdrawn?"),
                           validators=[InputRequired(), Length(max=1000)])
    confirm = BooleanField(_l("I confirm the count was entered in error and must not be used."),
                           validators=[InputRequired(_l("Tick the box to confirm."))])
