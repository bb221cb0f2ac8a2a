"""Numbers on the pages people read, in the language they chose on their account page:
Spanish writes "23,86 × 10⁶" and "99,5", English "23.86 × 10⁶" and "99.5" (issue 19)."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest

from tests import builders
from tests.helpers import csrf_token_from, login

SPANISH, ENGLISH = "es", "en"
CELLS_PER_DISC = 23_860_000  # 23.86 × 10⁶


def choose(client, locale: str) -> None:
    page = client.get("/account")
    response = client.post("/account", data={"locale": locale,
                                             "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302


def shown(html: str, testid: str) -> list[str]:
    """The text of each element marked ``data-testid=testid``, as the reader sees it."""
    found = re.findall(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", inner)).split()) for _tag, inner in found]


def page_as(client, locale: str, url: str) -> str:
    choose(client, locale)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("locale", "cells", "target"), [
    (SPANISH, "23,86 × 10⁶ ± 20 %", "(23,86 × 10⁶ × 2"),
    (ENGLISH, "23.86 × 10⁶ ± 20 %", "(23.86 × 10⁶ × 2"),
])
def test_the_order_page_writes_cells_in_the_chosen_language(signed_in, locale, cells, target):
    client, clinician = signed_in("clinician")
    order = builders.order(clinician, cells_per_disc=CELLS_PER_DISC)
    html = page_as(client, locale, f"/orders/{order.order_number}")
    assert shown(html, "cells-per-disc") == [cells]
    assert target in shown(html, "target-cells")[0]


@pytest.mark.parametrize(("locale", "viable", "surface"), [
    (SPANISH, "23,86", "1234,5 cm²"),  # four digits kept whole (docs/GLOSSARY.md)
    (ENGLISH, "23.86", "1,234.5 cm²"),
])
def test_the_batch_page_writes_counts_and_steps_in_the_chosen_language(
        signed_in, locale, viable, surface):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, surface_cm2=Decimal("1234.5"))
    builders.count(batch, 23_860_000, technician=technician)
    html = page_as(client, locale, f"/batches/{batch.batch_number}")
    assert shown(html, "viable") == [viable]
    assert surface in unescape(html)


@pytest.mark.parametrize(("locale", "result", "limit", "volume", "harvested"), [
    (SPANISH, "99,5", "< 0,5 EU/mL", "2,00 mL", "47,72 × 10⁶"),
    (ENGLISH, "99.5", "< 0.5 EU/mL", "2.00 mL", "47.72 × 10⁶"),
])
def test_the_qc_review_page_writes_results_limits_and_doses_in_the_chosen_language(
        client, make_user, locale, result, limit, volume, harvested):
    batch = builders.releasable_batch(viable=2 * CELLS_PER_DISC, cd90="99.5")
    qa = make_user("qa")
    assert login(client, qa.username).status_code == 302
    html = page_as(client, locale, f"/quality/batches/{batch.batch_number}")
    limits = dict(re.findall(  # each test's code and its Limit column
        r'data-testid="qc-line" data-code="(\w+)".*?</td>\s*<td>(.*?)</td>', html, re.S))
    assert unescape(limits["endotoxin"]) == limit
    assert result in shown(html, "qc-line")[[*limits].index("cd90")]
    assert all(volume in dose for dose in shown(html, "dose"))
    assert harvested in unescape(html)


@pytest.mark.parametrize(("locale", "date_written"), [
    (SPANISH, re.compile(r"\d{1,2} [a-z]{3,4}\.? \d{4}")),  # 7 dic 2026
    (ENGLISH, re.compile(r"\d{4}-\d{2}-\d{2}")),
])
def test_the_follow_up_page_writes_dates_in_the_chosen_language(signed_in, locale,
                                                                 date_written):
    client, clinician = signed_in("clinician")
    order = builders.treated_order(clinician, days_ago=100)
    html = page_as(client, locale, f"/orders/{order.order_number}/follow-up")
    table = html[html.index("<table"):html.index("</table>")]
    assert date_written.search(table), table[:500]
    if locale == SPANISH:
        assert not re.search(r"\d{4}-\d{2}-\d{2}", table), "ISO dates left in Spanish"
