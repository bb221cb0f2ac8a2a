"""Numbers as each screen language writes them: the helpers every page, message and
document goes through (issue 19)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from config import TestConfig
from labtrack.app import create_app
from labtrack.web.templating import cells, exact_number, number, percent, signed

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def app():
    return create_app(TestConfig())


@pytest.mark.parametrize(("locale", "expected"), [
    ("es", ["23,86 × 10⁶", "2,00", "94,5 %", "0,125", "+1,5", "-12,0",
            f"160{NBSP}000", "1537", "1500 × 10⁶", "—"]),
    ("en", ["23.86 × 10⁶", "2.00", "94.5 %", "0.125", "+1.5", "-12.0",
            "160,000", "1,537", "1,500 × 10⁶", "—"]),
])
def test_numbers_follow_the_screen_language(app, locale, expected):
    with app.test_request_context("/"), force_locale(locale):
        shown = [cells(23_860_000), number(Decimal("2"), 2), percent(94.5),
                 exact_number(Decimal("0.1250")), signed(1.5), signed(-12), number(160_000),
                 number(1537), cells(1_500_000_000), number(None)]
    assert shown == expected
