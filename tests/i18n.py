"""The Spanish catalogue as the tests read it: the strings the code asks to translate
(extracted as ``make messages`` does), the committed ``es`` catalogue, its placeholders.

The catalogue directory is the app's (``LABTRACK_TRANSLATION_DIRECTORIES``, default
``labtrack/translations``), so a run can point both at a work-in-progress copy.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PROJECT = Path(__file__).resolve().parent.parent
TRANSLATIONS = PROJECT / "labtrack" / os.environ.get("LABTRACK_TRANSLATION_DIRECTORIES",
                                                    "translations")
CATALOGUE = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as in the Makefile
# %(name)s, %(num)d, %(value).1f … and the literal %%.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%")


def placeholders(text: str) -> Counter:
    """The named placeholders of a message (conversion included), and each ``%%``."""
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text or ""))


def _searched(path: str) -> bool:
    """The Makefile's ``--ignore-dirs ".* __pycache__"``: templates/_partials and _macros
    are searched (pybabel's default skips every directory starting with "_")."""
    name = os.path.basename(path)
    return not (name.startswith(".") or name == "__pycache__")


@cache
def extracted() -> dict[str | tuple[str, str], list[str]]:
    """Every message the code and templates ask to translate, with where it is asked for
    (``babel.cfg``'s mapping, the Makefile's keywords)."""
    with open(PROJECT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(PROJECT), method_map, options_map, keywords=KEYWORDS,
            directory_filter=_searched):
        key = message if isinstance(message, str) else tuple(message[:2])
        if context:
            key = (context, key)
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def require_catalogue() -> Catalog:
    """The committed Spanish catalogue; the test is skipped only while the file is absent
    (it is written on its own branch), and reads whatever is there otherwise."""
    if not CATALOGUE.exists():
        pytest.skip(f"CATALOGUE MISSING: {CATALOGUE.relative_to(PROJECT)} does not exist yet "
                    "(issue 19: the Spanish catalogue is written on its own branch); this test "
                    "must pass once it is merged")
    return spanish_catalogue()


@cache
def spanish_catalogue() -> Catalog:
    with open(CATALOGUE, "rb") as file:
        return read_po(file, locale="es")


def compile_catalogues() -> None:
    """Compile each catalogue's .mo where it is missing or older than its .po (``make``
    does it too; a bare ``pytest`` run must not test a stale catalogue)."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with open(po, "rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        partial = mo.with_name(f"{mo.name}.{os.getpid()}")  # parallel workers: atomic
        with open(partial, "wb") as target:
            write_mo(target, catalog)
        os.replace(partial, mo)


def spanish_messages() -> dict[str, str]:
    """English → Spanish of every translated, non-fuzzy singular entry."""
    return {message.id: message.string for message in require_catalogue()
            if message.id and isinstance(message.id, str) and message.string
            and not message.fuzzy}
