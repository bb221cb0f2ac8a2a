"""The Spanish catalogue covers every string the code and templates ask to translate.

The three catalogue tests read the committed ``labtrack/translations/es`` catalogue and
are skipped only while that file does not exist ("CATALOGUE MISSING" in the skip reason);
once it exists they fail on any string missing, untranslated or fuzzy, and on any
translation that drops or renames a placeholder. New strings come in with ``make
messages`` and are translated with the glossary (docs/GLOSSARY.md).
"""

from __future__ import annotations

import io

from babel.messages.pofile import read_po

from tests.i18n import PROJECT, extracted, placeholders, require_catalogue

MAX_LISTED = 40


def _listing(problems: list[str]) -> str:
    more = len(problems) - MAX_LISTED
    return "\n".join(problems[:MAX_LISTED]) + (f"\n… and {more} more" if more > 0 else "")


def _key(message) -> str | tuple[str, str]:
    key = message.id if isinstance(message.id, str) else tuple(message.id[:2])
    return (message.context, key) if message.context else key


def placeholder_problems(catalog) -> list[str]:
    """Translations whose placeholders differ from the English (a plural's singular form
    may leave out ``%(num)d``: "un frasco")."""
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, str):
            pairs = [(message.id, message.string)]
        else:
            singular, plural = message.id[:2]
            forms = list(message.string)
            pairs = [(singular if index == 0 and len(forms) > 1 else plural, form)
                     for index, form in enumerate(forms)]
        for english, spanish in pairs:
            wanted, given = placeholders(english), placeholders(spanish)
            if not isinstance(message.id, str) and english == message.id[0]:
                wanted.pop("%(num)d", None)
                given.pop("%(num)d", None)
            if wanted != given:
                problems.append(f"{english!r} → {spanish!r}: placeholders "
                                f"{sorted(wanted.elements())} became "
                                f"{sorted(given.elements())}")
    return problems


def test_every_translatable_string_is_in_the_spanish_catalogue():
    catalog = require_catalogue()
    present = {_key(message) for message in catalog if message.id}
    missing = [f"{key!r} (asked for at {where[0]})" for key, where in extracted().items()
               if key not in present]
    assert not missing, ("strings the code asks to translate that the es catalogue lacks "
                         "(run make messages, then translate them):\n" + _listing(missing))


def test_no_spanish_translation_is_missing_or_fuzzy():
    catalog = require_catalogue()
    wanted = set(extracted())
    problems = []
    for message in catalog:
        if not message.id or _key(message) not in wanted:
            continue
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(form.strip() for form in forms):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, "es catalogue entries to finish:\n" + _listing(problems)


def test_spanish_translations_keep_their_placeholders():
    problems = placeholder_problems(require_catalogue())
    assert not problems, "translations that drop or rename a placeholder:\n" + _listing(
        problems)


# --- the checks themselves, on a small catalogue (no dependence on the real one) ---------

SAMPLE_PO = """
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Batch %(batch)s was released."
msgstr "El lote %(lote)s fue liberado."

msgid "Viability %(value).1f %% on day %(day)d"
msgstr "Viabilidad %(value).1f %% el día %(day)s"

msgid "Enter %(name)s."
msgstr "Introduzca el dato."

msgid "%(num)d flask"
msgid_plural "%(num)d flasks"
msgstr[0] "un frasco"
msgstr[1] "%(num)d frascos"

msgid "Released for clinical use"
msgstr "Liberado para uso clínico"
"""


def test_the_placeholder_check_catches_a_renamed_dropped_or_retyped_placeholder():
    catalog = read_po(io.StringIO(SAMPLE_PO), locale="es")
    problems = placeholder_problems(catalog)
    assert len(problems) == 3, problems
    assert any("%(batch)s" in problem and "%(lote)s" in problem for problem in problems)
    assert any("%(name)s" in problem for problem in problems)
    assert any("%(day)d" in problem and "%(day)s" in problem for problem in problems)
    assert not any("frasco" in problem for problem in problems)  # "un frasco" is fine


def test_the_extractor_finds_lazy_enum_plural_and_template_strings():
    """babel.cfg and the keywords reach every kind of string LabTrack translates."""
    found = extracted()
    for expected in (
        "Mononuclear cells isolated (× 10⁶)",  # lazy (_l) form label
        "In culture",  # an enum's word (culture/terms.py)
        ("%(num)d flask", "%(num)d flasks"),  # ngettext in Python
        ("Release is blocked by %(num)d item:", "Release is blocked by %(num)d items:"),
        "Skip to content",  # base.html
        "Your account",  # the account page
        "FOR AUTOLOGOUS USE ONLY",  # the label's words
        "Dose labels for a label printer (ZPL, 203 dpi)",  # templates/_partials
        "Page %(page)d of %(pages)d (%(total)d in all)",  # templates/_partials
        "Viable cells by culture day",  # the growth chart's SVG
    ):
        assert expected in found, expected
    assert all(not where[0].startswith((".venv", "tests")) for where in found.values())
    assert (PROJECT / "babel.cfg").read_text().count("[jinja2: templates/**.html]") == 1
