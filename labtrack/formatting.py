"""Display helpers: times in the lab's zone, navigation for the signed-in role."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from labtrack.domain.roles import Area, Role, may_use
from labtrack.domain.signatures import Meaning
from labtrack.labels import MEANING_LABELS, ROLE_LABELS
from labtrack.models.base import utcnow

# (area, endpoint, label); shown only to roles that may use the area.
NAVIGATION = (
    (Area.ADMIN, "admin.users", _l("Users")),
    (Area.AUDIT, "audit.events", _l("Audit trail")),
)


def lab_zone() -> ZoneInfo:
    """The lab's time zone (setting ``LAB_TIMEZONE``)."""
    return ZoneInfo(current_app.config["LAB_TIMEZONE"])


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the lab's zone, always with the zone named."""
    if value is None:
        return "—"
    local = value.astimezone(lab_zone())
    return f"{local.strftime(fmt)} {local.tzname()}"


def role_label(role: str) -> str:
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


def meaning_label(meaning: str) -> str:
    try:
        return str(MEANING_LABELS[Meaning(meaning)])
    except ValueError:
        return meaning


def navigation_for_current_user() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [(endpoint, label) for area, endpoint, label in NAVIGATION
            if may_use(current_user.role, area) and endpoint in current_app.view_functions]


def page_url(page: int) -> str:
    """The current page's URL with its filters kept and another page number."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **request.view_args, **args)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(meaning_label, "meaning_label")
    app.add_template_global(navigation_for_current_user, "navigation")
    app.add_template_global(lambda: current_app.config["LAB_NAME"], "lab_name")
    app.add_template_global(utcnow, "now_utc")
    app.add_template_global(page_url, "page_url")
