"""The screen language: the account's choice, else the browser's, else the lab's default;
``<html lang>`` follows it; the API stays English; number fields take the decimal comma.

These tests hold without the Spanish catalogue (they check which language is chosen, not
the words); tests/integration/web/test_spanish_pages.py checks the words.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.meta import DefaultMeta

from labtrack.accounts import users as accounts
from labtrack.accounts.models import User
from labtrack.audit.models import AuditEvent
from labtrack.extensions import db
from labtrack.web.fields import DecimalField
from tests import builders
from tests.helpers import csrf_token_from
from tests.integration.api.test_api import PREFIX, token_for

SPANISH_BROWSER = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.8"}


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def choose_language(client, locale: str, headers=None):
    page = client.get("/account", headers=headers or {})
    assert page.status_code == 200
    return client.post("/account", data={"locale": locale, "csrf_token": csrf_token_from(page)},
                       headers=headers or {})


def test_the_browser_language_is_used_when_the_account_chose_none(client):
    assert html_lang(client.get("/login", headers=SPANISH_BROWSER)) == "es"
    assert html_lang(client.get("/login", headers=ENGLISH_BROWSER)) == "en"
    assert html_lang(client.get("/login", headers={"Accept-Language": "de-DE,fr;q=0.8"})) == "en"


def test_the_labs_default_language_when_the_browser_asks_for_none_we_have(app, client):
    app.config["DEFAULT_LOCALE"] = "es"  # LABTRACK_DEFAULT_LOCALE; the lab's own is Spanish
    assert html_lang(client.get("/login", headers={"Accept-Language": "de-DE"})) == "es"
    assert html_lang(client.get("/login")) == "es"
    assert html_lang(client.get("/login", headers=ENGLISH_BROWSER)) == "en"


def test_the_accounts_choice_beats_the_browser_and_is_kept(client, signed_in):
    client, user = signed_in("technician")
    response = choose_language(client, "es", ENGLISH_BROWSER)
    assert response.status_code == 302 and response.location.endswith("/account")
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "es"
    for path in ("/", "/account", "/notices", "/account/password"):
        page = client.get(path, headers=ENGLISH_BROWSER, follow_redirects=True)
        assert page.status_code == 200, path
        assert html_lang(page) == "es", path
    choose_language(client, "", ENGLISH_BROWSER)  # back to "as my browser asks"
    db.session.expire_all()
    assert db.session.get(User, user.id).locale is None
    assert html_lang(client.get("/account", headers=ENGLISH_BROWSER)) == "en"
    assert html_lang(client.get("/account", headers=SPANISH_BROWSER)) == "es"


def test_the_choice_is_on_the_account_page_and_audited(client, signed_in):
    client, user = signed_in("clinician")
    page = client.get("/account")
    html = page.get_data(as_text=True)
    assert 'data-testid="account-link"' in html
    assert '<option value="es">Español</option>' in html
    assert '<option value="en">English</option>' in html
    choose_language(client, "es")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.record_type == "user_account",
                                 AuditEvent.record_id == str(user.id))).all()
    chosen = [event for event in events if '"es"' in event.changes]
    assert len(chosen) == 1 and '"locale"' in chosen[0].changes
    assert chosen[0].username == user.username


@pytest.mark.parametrize("value", ["fr", "xx-YY", "es' OR 1=1", "e" * 300])
def test_a_language_not_offered_is_refused_and_nothing_changes(client, signed_in, value):
    client, user = signed_in("qa")
    response = choose_language(client, value)
    assert response.status_code == 200  # the form again, with its message; never a 500
    assert "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale is None


def test_a_spanish_choice_does_not_carry_into_the_api(app, client):
    user = builders.user("clinician")
    accounts.set_own_language(user, "es", app.config["LANGUAGES"])
    token = token_for("clinician", user)
    response = client.get(f"{PREFIX}/orders/NO-SUCH", headers={
        "Authorization": f"Bearer {token}", **SPANISH_BROWSER})
    error = response.get_json()["error"]
    assert response.status_code == 404
    assert error["code"] == "not_found"
    assert error["message"] == "No order has the number NO-SUCH."
    unauthenticated = client.get(f"{PREFIX}/orders", headers=SPANISH_BROWSER).get_json()
    assert unauthenticated["error"]["code"] == "unauthorized"
    assert unauthenticated["error"]["message"].startswith("Send a personal API token")


def _typed(text: str) -> tuple[Decimal | None, list]:
    field = DecimalField(places=None).bind(form=None, name="volume", _meta=DefaultMeta())
    field.process(MultiDict({"volume": text}))
    return field.data, field.process_errors


def test_a_number_field_reads_the_decimal_comma_in_spanish(app):
    with app.app_context(), app.test_request_context("/", headers=SPANISH_BROWSER):
        assert _typed("20,5") == (Decimal("20.5"), [])
        assert _typed(" 0,75 ") == (Decimal("0.75"), [])
        assert _typed("20.5") == (Decimal("20.5"), [])  # a point is still a decimal point
        value, errors = _typed("1.234,5")  # grouping and a comma: refused, never guessed
        assert value is None and errors
    with app.app_context(), app.test_request_context("/", headers=ENGLISH_BROWSER):
        value, errors = _typed("1,234")  # in English a comma groups thousands: refused
        assert value is None and errors
        assert _typed("2.5") == (Decimal("2.5"), [])


def _filled_in(value: Decimal) -> str:
    field = DecimalField(places=None).bind(form=None, name="volume", _meta=DefaultMeta())
    field.process(None, data=value)
    return field._value()


def test_a_number_field_fills_in_a_value_as_the_language_writes_it(app):
    """A count being corrected comes back in the form as the reader writes it, and what a
    user typed comes back as typed."""
    with app.app_context(), app.test_request_context("/", headers=SPANISH_BROWSER):
        assert _filled_in(Decimal("2.64")) == "2,64"
        field = DecimalField(places=None).bind(form=None, name="volume", _meta=DefaultMeta())
        field.process(MultiDict({"volume": "2.64"}))
        assert field._value() == "2.64"
    with app.app_context(), app.test_request_context("/", headers=ENGLISH_BROWSER):
        assert _filled_in(Decimal("2.64")) == "2.64"
