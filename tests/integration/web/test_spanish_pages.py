"""Each role, with Spanish chosen on its account page, opens every page it can reach from
its home page (following the links, on the demo lab's data) and finds no English
catalogue entry left untranslated in the HTML: not in the text, not in a title, a
placeholder, an aria-label or a button; and no number written the English way, with a
decimal point ("23.86" where Spanish writes "23,86"), outside what the records hold.

Depends on the Spanish catalogue: skipped only while labtrack/translations/es is absent.
"""

from __future__ import annotations

import contextlib
import json
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import String, Text, func, select
from werkzeug.exceptions import HTTPException

from labtrack.culture.models import Batch
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from tests.helpers import csrf_token_from, login
from tests.i18n import PLACEHOLDER, extracted, require_catalogue

MAX_PER_ENDPOINT = 3  # three batches' pages say what every batch's page says
MAX_PAGES = 200
SKIPPED_PREFIXES = ("/static/", "/api/", "/logout")
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class PageText(HTMLParser):
    """The strings a person reads on a page, and the page's links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        self.texts += [attributes[name] for name in SHOWN_ATTRIBUTES if attributes.get(name)]
        if tag in ("input", "button") and attributes.get("type") in ("submit", "button"):
            self.texts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def _pattern(english: str) -> re.Pattern:
    parts = PLACEHOLDER.split(re.sub(r"\s+", " ", english).strip())
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 1:  # a captured placeholder name (or None for %%)
            regex += ".+?" if part else "%"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def untranslated_entries() -> list[tuple[str, re.Pattern]]:
    """The English of every catalogue entry whose Spanish differs from it."""
    catalog = require_catalogue()
    spanish = {}
    for message in catalog:
        if message.id:
            ids = [message.id] if isinstance(message.id, str) else list(message.id[:2])
            forms = [message.string] if isinstance(message.string, str) else list(
                message.string)
            for english in ids:
                spanish[english] = forms
    entries = []
    for key in extracted():
        for english in ([key] if isinstance(key, str) else [part for part in key
                                                             if isinstance(part, str)]):
            if english in spanish and english in spanish[english]:
                continue  # the same word in Spanish (DIN, ISBT 128, No, CD90 …)
            if len(" ".join(english.split())) < 2:
                continue
            entries.append((english, _pattern(english)))
    return entries


def english_on(html: str, entries, stored: frozenset[str] = frozenset()) -> set[str]:
    """The English entries a page shows, outside what the records themselves hold (an audit
    trail shows each stored value, reason and field name as it was written)."""
    page = PageText()
    page.feed(html)
    texts = {" ".join(text.split()) for text in page.texts} - stored
    texts.discard("")
    exact = {english for english, _pattern in entries if not PLACEHOLDER.search(english)}
    found = texts & exact  # an English message itself: named alone, not as a pattern's match
    return found | {english for english, pattern in entries for text in texts - exact
                    if pattern.fullmatch(text)}


# A number written with a decimal point (23.86), which Spanish writes with a comma (23,86).
POINT_DECIMAL = re.compile(r"(?<![\w.,/:-])\d+\.\d+(?![\w.,/-])")


def point_decimals_on(html: str, stored: frozenset[str] = frozenset()) -> set[str]:
    """The texts a page shows that write a number with a decimal point ("23.86"), outside
    what the records themselves hold (a reagent named "Trypsin-EDTA 0.05 %")."""
    page = PageText()
    page.feed(html)
    texts = {" ".join(text.split()) for text in page.texts} - stored
    held = [text for text in stored if POINT_DECIMAL.search(text)]
    found = set()
    for text in texts:
        shown = text
        for value in held:
            shown = shown.replace(value, "")
        if POINT_DECIMAL.search(shown):
            found.add(text)
    return found


def links_of(html: str) -> list[str]:
    page = PageText()
    page.feed(html)
    return page.links


def choose_spanish(client) -> None:
    page = client.get("/account")
    response = client.post("/account", data={"locale": "es",
                                             "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(leaf for item in value.values() for leaf in _leaves(item))]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [str(value)] if value is not None else []


def stored_texts() -> frozenset[str]:
    """Every text the database holds (JSON's keys and values too), and every column name."""
    found = set()
    for table in db.metadata.sorted_tables:
        found.update(column.name for column in table.columns)
        texts = [column for column in table.columns
                 if isinstance(column.type, String | Text)]
        for row in db.session.execute(select(*texts)) if texts else ():
            for value in row:
                if not value:
                    continue
                found.add(value)
                if value[:1] in "{[":
                    with contextlib.suppress(ValueError):
                        found.update(_leaves(json.loads(value)))
    return frozenset(" ".join(text.split()) for text in found)


def crawl(app, client, entries) -> dict[str, set[str]]:
    """Every page reachable from home (a few per endpoint): the English found on each."""
    adapter = app.url_map.bind("localhost")
    stored = stored_texts()
    queue, seen, per_endpoint, found = ["/"], set(), {}, {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            endpoint, _args = adapter.match(urlsplit(url).path, method="GET")
        except HTTPException:
            continue
        if per_endpoint.get(endpoint, 0) >= MAX_PER_ENDPOINT:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        response = client.get(url, follow_redirects=True)
        assert response.status_code < 500, url
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        assert '<html lang="es">' in html, url
        left = english_on(html, entries, stored) | point_decimals_on(html, stored)
        if left:
            found[url] = left
        for link in links_of(html):
            target = urldefrag(link)[0]
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(SKIPPED_PREFIXES) or target in seen:
                continue
            queue.append(target)
    return found


@pytest.fixture
def demo_lab(app):
    """The demo lab, seeded as ``labtrack seed-demo`` does with Spanish documents (the
    test is marked ``demo_lab("es")``: the seeded database is cloned for it)."""
    app.config["DOCUMENT_LOCALE"] = "es"  # the lab's documents and notices, as in Spain
    assert db.session.scalar(select(func.count()).select_from(Batch)), "mark demo_lab(\"es\")"
    return app


@pytest.mark.demo_lab("es")
@pytest.mark.parametrize("role", ["technician", "qa", "clinician", "admin"])
def test_every_page_a_role_opens_in_spanish_has_no_english_left(demo_lab, client, role):
    entries = untranslated_entries()
    account = next(account for account in DEMO_ACCOUNTS if account.role.value == role)
    assert login(client, account.username, account.password).status_code == 302
    choose_spanish(client)
    found = crawl(demo_lab, client, entries)
    listing = "\n".join(f"{url}: {sorted(left)}" for url, left in sorted(found.items()))
    assert not found, f"English left on the {role}'s Spanish pages:\n{listing}"


def test_the_page_checker_finds_english_in_text_attributes_and_buttons():
    entries = [(english, _pattern(english)) for english in (
        "Receive sample", "Batch %(batch)s was released.", "Save language", "Scan",
        "Document %(id)s")]
    html = ('<html lang="es"><body><h1>Recibir muestra</h1><p>Batch MSC26-0001 was '
            'released.</p><input type="submit" value="Save language">'
            '<a href="/x" title="Scan">Escanear</a><script>var s = "Scan";</script>'
            '<p>Receive sample now</p><p>Documents are kept.</p></body></html>')
    assert english_on(html, entries) == {"Batch %(batch)s was released.", "Save language",
                                         "Scan"}


def test_the_page_checker_finds_decimal_points_outside_what_records_hold():
    html = ('<html lang="es"><body><p>23.86 × 10⁶</p><p>23,86 × 10⁶</p>'
            '<p>Lote de reactivo Trypsin-EDTA 0.05 % 2543210</p><p>2026-03-02 10:15</p>'
            '<p>127.0.0.1</p><section data-testid="timeline"><p>60.0 mL</p></section>'
            '<p>Día 6.3</p></body></html>')
    assert point_decimals_on(html, frozenset({"Trypsin-EDTA 0.05 %"})) == {
        "23.86 × 10⁶", "60.0 mL", "Día 6.3"}
