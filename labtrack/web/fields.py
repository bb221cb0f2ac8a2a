"""Form fields shared by every area: a date and time typed on the lab's wall clock, and
numbers typed with the screen language's decimal comma.

A ``datetime-local`` input carries no zone, so the value is read in the lab's zone by
:func:`labtrack.clock.lab_local_to_utc`. A time the clocks skipped (spring forward) is
refused; a time they showed twice (autumn back) is refused until the user picks which
of the two it was, from a choice the field shows under the input. Nothing is shifted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import DateTimeLocalField
from wtforms import DecimalField as _WtformsDecimalField
from wtforms.utils import unset_value
from wtforms.validators import InputRequired
from wtforms.widgets import DateTimeLocalInput

from labtrack.clock import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    format_offset,
    lab_local_to_utc,
    parse_offset,
    utcnow,
)
from labtrack.web.i18n import gettext as _

LOCAL_MINUTES = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["LAB_TIMEZONE"])


class LabTimeInput(DateTimeLocalInput):
    """The input, then, for a time shown twice by the clocks, a choice of the two.

    A value refused as ambiguous shows the choice with nothing chosen. A form filled in
    with "now" during the repeated hour shows it too, with the hour in force now chosen,
    so the technician sees which 02:30 will be saved and can change it.
    """

    def __call__(self, field, **kwargs):
        html = super().__call__(field, **kwargs)
        offsets, chosen = field.fold_choice()
        if not offsets:
            return html
        choices = []
        for fold, offset in enumerate(offsets):
            label = fold_choice_label(field.data, field.zone, fold)
            checked = Markup(" checked") if offset == chosen else Markup("")
            choices.append(Markup(
                '<label><input type="radio" name="{name}" value="{value}" required{checked}> '
                "{label}</label>").format(name=field.offset_name, value=format_offset(offset),
                                          checked=checked, label=label))
        legend = escape(_("Which %(time)s do you mean?", time=f"{field.data:%H:%M}"))
        return html + Markup('<fieldset class="fold-choice" data-testid="{id}-fold">'
                             "<legend>{legend}</legend>{choices}</fieldset>").format(
            id=field.id, legend=legend, choices=Markup("").join(choices))


def fold_choice_label(value, zone: ZoneInfo, fold: int) -> str:
    wall = value.replace(tzinfo=zone, fold=fold)
    when = _("before the clocks went back") if fold == 0 else _("after the clocks went back")
    return _("%(time)s %(abbreviation)s (UTC%(offset)s), %(when)s", time=f"{value:%H:%M}",
             abbreviation=wall.tzname(), offset=format_offset(wall.utcoffset()), when=when)


class LabTimeField(DateTimeLocalField):
    """A date and time typed in the lab's zone; after validation ``.utc`` is the instant."""

    widget = LabTimeInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", LOCAL_MINUTES)
        super().__init__(label, validators, **kwargs)
        self.utc = None
        self.fold_offsets = ()
        self.chosen_offset = None

    @property
    def offset_name(self) -> str:
        return f"{self.name}-offset"

    @property
    def zone(self) -> ZoneInfo:
        return _zone()

    def fold_choice(self) -> tuple[tuple, timedelta | None]:
        """The two offsets to choose from, and the one chosen, when the value is ambiguous."""
        if self.fold_offsets:
            return self.fold_offsets, self.chosen_offset
        if not isinstance(self.data, datetime) or self.data.tzinfo is not None:
            return (), None
        try:
            lab_local_to_utc(self.data, self.zone)
        except AmbiguousLocalTime as fold:
            now = utcnow().astimezone(self.zone).utcoffset()
            return fold.offsets, self.chosen_offset or now
        except (NonexistentLocalTime, OverflowError):
            pass
        return (), None

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.chosen_offset = parse_offset(formdata.get(self.offset_name))

    def post_validate(self, form, validation_stopped):
        self.utc, self.fold_offsets = None, ()
        if validation_stopped or self.errors or self.data is None:
            return
        zone = self.zone
        try:
            self.utc = lab_local_to_utc(self.data, zone, self.chosen_offset)
        except NonexistentLocalTime as gap:
            self.errors.append(_(
                "%(time)s did not exist in %(zone)s: the clocks went forward from "
                "UTC%(before)s to UTC%(after)s that night. Enter the time the clock showed.",
                time=f"{self.data:%Y-%m-%d %H:%M}", zone=zone.key,
                before=format_offset(gap.offsets[0]), after=format_offset(gap.offsets[1])))
        except AmbiguousLocalTime as fold:
            self.fold_offsets = fold.offsets
            self.errors.append(_(
                "%(time)s happened twice in %(zone)s: the clocks went back one hour that "
                "night. Choose below which of the two you mean, then submit again.",
                time=f"{self.data:%Y-%m-%d %H:%M}", zone=zone.key))
        except OverflowError:
            self.errors.append(_("This date and time cannot be stored: check the year."))


LOCAL_TIME_HELP = _l("Local time in the lab.")


def lab_time_field(label, required=True, description=LOCAL_TIME_HELP, validators=None):
    """The usual lab time field: required unless said, described as local time."""
    first = [InputRequired()] if required else []
    return LabTimeField(label, validators=first + list(validators or ()),
                        description=description)


def writes_decimal_comma() -> bool:
    """Whether the screen language writes decimals with a comma (Spanish)."""
    locale = get_locale()
    return locale is not None and get_decimal_symbol(locale) == ","


def decimal_point(text: str) -> str:
    """A number typed with the decimal comma ("2,5") read as Python reads it ("2.5"),
    where the screen language writes decimals with a comma (Spanish). A point is always a
    decimal point; a number with both, or with two commas, is left as typed and refused
    by the field ("1.234,5" could be a typing slip: nothing is guessed)."""
    text = text.strip()
    if writes_decimal_comma() and text.count(",") == 1 and "." not in text:
        return text.replace(",", ".")
    return text


class DecimalField(_WtformsDecimalField):
    """WTForms' DecimalField that also takes the decimal comma (``decimal_point``). Every
    LabTrack form's number fields are these (a test checks it). A value the form fills in
    (a count being corrected) is written as the screen language writes it ("2,64")."""

    def _value(self):
        text = super()._value()
        if self.raw_data or not writes_decimal_comma():
            return text  # what the user typed is shown back as typed
        return text.replace(".", ",")

    def process_formdata(self, valuelist):
        super().process_formdata([decimal_point(value) for value in valuelist])
