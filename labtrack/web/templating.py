"""Display helpers: times in the lab's zone, navigation for the signed-in role."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import get_group_symbol
from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from labtrack import clock
from labtrack.clock import utcnow
from labtrack.web.i18n import request_translations
from labtrack.web.kept_forms import kept_values
from labtrack.web.policy import Area, may_use

# (area, endpoint, label); shown only to roles that may use the area.
NAVIGATION = (
    (Area.ADMIN, "admin.users", _l("Users")),
    (Area.AUDIT, "audit.events", _l("Audit trail")),
    (Area.CLINIC, "orders.index", _l("Orders")),
    (Area.CLINIC, "orders.patients", _l("Patients")),
    (Area.CLINIC, "clinic.administer", _l("Administer")),
    (Area.ADMIN, "tokens.manage", _l("API tokens")),
    (Area.BENCH, "samples.awaiting", _l("Receive sample")),
    (Area.BENCH, "samples.index", _l("Samples")),
    (Area.QUALITY, "samples.index", _l("Samples")),
    (Area.BENCH, "batches.index", _l("Batches")),
    (Area.BENCH, "counter_import.upload", _l("Import counts")),
    (Area.QUALITY, "batches.index", _l("Batches")),
    (Area.CLINIC, "batches.index", _l("Batches")),
    (Area.BENCH, "inventory.lots", _l("Reagents & equipment")),
    (Area.QUALITY, "inventory.lots", _l("Reagents & equipment")),
    (Area.QUALITY, "main.review", _l("Review")),
    (Area.CLINIC, "outcomes.cohort", _l("Outcomes")),
    (Area.QUALITY, "outcomes.cohort", _l("Outcomes")),
    (Area.QUALITY, "deviations.index", _l("Deviations")),
    (Area.BENCH, "deviations.index", _l("Deviations")),
    (Area.QUALITY, "specifications.index", _l("Specifications")),
)


def lab_zone() -> ZoneInfo:
    """The lab's time zone (setting ``LAB_TIMEZONE``)."""
    return clock.zone_of(current_app.config)


# Locales whose dates are written with month names (CLDR patterns, Babel's format
# functions); a locale not listed keeps ISO 8601 (2026-03-02 10:15), as English does.
DATE_PATTERNS = {"es": "d MMM y"}  # 2 mar 2026
# The strftime formats the templates ask for, as CLDR patterns after the date's.
TIME_PATTERNS = {"%Y-%m-%d %H:%M": " HH:mm", "%Y-%m-%d %H:%M:%S": " HH:mm:ss",
                 "%Y-%m-%d": "", "%H:%M": None}


def _locale_date_pattern() -> str | None:
    locale = get_locale()
    return DATE_PATTERNS.get(locale.language) if locale is not None else None


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the lab's zone, always with the zone named; in the
    screen language's date format (``2 mar 2026 10:15 CET`` in Spanish)."""
    if value is None:
        return "—"
    local = value.astimezone(lab_zone())
    date_pattern = _locale_date_pattern()
    if date_pattern is None or fmt not in TIME_PATTERNS:
        return f"{local.strftime(fmt)} {local.tzname()}"
    time_pattern = TIME_PATTERNS[fmt]
    pattern = "HH:mm" if time_pattern is None else date_pattern + time_pattern
    return f"{format_datetime(local.replace(tzinfo=None), pattern, rebase=False)} {local.tzname()}"


def local_date(value: datetime | date | None) -> str:
    """The date of a stored UTC time in the lab's zone (dates are shown as they are), in
    the screen language's format (ISO 8601 in English, ``2 mar 2026`` in Spanish)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(lab_zone()).date()
    pattern = _locale_date_pattern()
    return value.isoformat() if pattern is None else format_date(value, pattern)


def page_language() -> str:
    """The screen language as ``<html lang>`` writes it (BCP 47: ``es``, ``es-ES``)."""
    locale = get_locale()
    if locale is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return "-".join(part for part in (locale.language, locale.territory) if part)


# Thousands separators the glossary sets apart from CLDR's: Spanish prose groups digits with a
# space, "160 000" (docs/GLOSSARY.md; a no-break space, so a number never breaks), and
# leaves a four-digit number whole, "1537" (CLDR's minimum grouping digits for Spanish).
GROUP_SEPARATORS = {"es": "\u00a0"}
FOUR_DIGITS = re.compile(r"^([+-]?\d)\u00a0(\d{3})(?![\d\u00a0])")


def _decimal(value: Decimal, pattern: str) -> str:
    """``value`` by the CLDR ``pattern`` in the screen language, grouped as the lab writes."""
    text = format_decimal(value, pattern)
    locale = get_locale()
    separator = GROUP_SEPARATORS.get(locale.language) if locale is not None else None
    if not separator:
        return text
    return FOUR_DIGITS.sub(r"\1\2", text.replace(get_group_symbol(locale), separator))


def number(value, places: int | None = None) -> str:
    """A number in the screen language's format (``72,5`` in Spanish), to ``places``
    decimals when given, else as many as it has (up to three)."""
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * places if places else ("#,##0" if places == 0 else "#,##0.###")
    return _decimal(Decimal(str(value)), pattern)


def exact_number(value) -> str:
    """A measured value with every decimal it was recorded with, none added (a QC result,
    a limit), in the screen language's format: ``0,125``, ``20 000 000`` in Spanish."""
    if value is None:
        return "—"
    exact = Decimal(str(value)).normalize()
    places = max(0, -exact.as_tuple().exponent)
    return _decimal(exact, "#,##0." + "0" * places if places else "#,##0")


def signed(value, places: int = 1) -> str:
    """A change with its sign, in the screen language's format: ``+1,5``, ``-12,0``."""
    if value is None:
        return "—"
    digits = "#,##0." + "0" * places if places else "#,##0"
    return _decimal(Decimal(str(value)), f"+{digits};-{digits}")


def percent(value, places: int = 1) -> str:
    """A percentage as the lab writes it, number then a space and %: ``72,5 %``."""
    return "—" if value is None else f"{number(value, places)} %"


def lab_now() -> datetime:
    """The lab's local wall-clock time to the minute, naive (for datetime-local inputs)."""
    return clock.lab_now_minute(lab_zone())


def lab_today() -> date:
    """Today's date in the lab's time zone."""
    return clock.lab_today(lab_zone())


def cells_in_millions(value: int | None) -> str:
    """A cell count in millions without needless decimals, in the screen language's format:
    20000000 → '20', 20500000 → '20.5' (Spanish '20,5')."""
    if value is None:
        return "—"
    return _decimal(Decimal(value) / 1_000_000, "#,##0.##")


MILLION_CELLS = "× 10⁶"  # the unit every cell count is shown in, on screen and on paper


def cells(value: int | None) -> str:
    """A cell count with its unit, in the screen language's format: ``23,86 × 10⁶``."""
    return "—" if value is None else f"{cells_in_millions(value)} {MILLION_CELLS}"


def struck_through(value, struck: bool) -> Markup | str:
    """A value of a replaced or withdrawn record: struck through (``<del>``) but readable."""
    return Markup("<del>%s</del>") % value if struck else value


def batch_url(batch) -> str:
    """The batch's page."""
    return url_for("batches.detail", batch_number=batch.batch_number)


def navigation_for_current_user() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [(endpoint, label) for area, endpoint, label in NAVIGATION
            if may_use(current_user.role, area) and endpoint in current_app.view_functions]


def user_may_use(*areas: str) -> bool:
    """Whether the signed-in user may use one of ``areas``: the rule the routes check, so
    a template shows a link only to those who may follow it."""
    return current_user.is_authenticated and any(
        may_use(current_user.role, Area(area)) for area in areas)


def page_url(page: int) -> str:
    """The current page's URL with its filters kept and another page number."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **request.view_args, **args)


def template_gettext(message: str, **variables) -> Markup:
    """Templates' ``_``: the translated message, its ``%(name)s`` filled in, escaped.

    What Jinja's newstyle ``gettext`` does (translate, mark safe, ``%`` the escaped
    variables), in one call instead of four: a page calls it hundreds of times.
    """
    # The message is ours (or its translation), not user input: the variables are escaped.
    return Markup(request_translations().ugettext(message)) % variables  # noqa: S704


def _install_template_gettext(app: Flask) -> None:
    """Templates' ``_``/``gettext``/``ngettext`` through :func:`request_translations`."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = template_gettext


def register_template_helpers(app: Flask) -> None:
    _install_template_gettext(app)
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(cells_in_millions, "millions")
    app.add_template_filter(cells, "cells")
    app.add_template_filter(signed, "signed")
    app.add_template_filter(exact_number, "plain_number")
    app.add_template_filter(struck_through, "struck_through")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(number, "number")
    app.add_template_global(page_language, "get_locale")  # base.html's <html lang>
    app.add_template_filter(percent, "percent")
    app.add_template_global(batch_url, "batch_url")
    app.add_template_global(navigation_for_current_user, "navigation")
    app.add_template_global(user_may_use, "may_use")
    app.add_template_global(lambda: current_app.config["LAB_NAME"], "lab_name")
    app.add_template_global(utcnow, "now_utc")
    app.add_template_global(page_url, "page_url")
    app.add_template_global(kept_values, "kept_form_values")
