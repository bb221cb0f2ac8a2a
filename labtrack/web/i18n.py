"""Translation lookups made hundreds of times per page, looked up once per request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import force_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user


def request_translations():
    """The request's translations, looked up once per request.

    Flask-Babel looks up the request, locale and domain again on every call, which is
    a good part of rendering a long list; a template calls gettext hundreds of times.
    """
    if not has_request_context():
        return get_translations()
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def gettext(message: str, **variables) -> str:
    """Flask-Babel's ``gettext`` through :func:`request_translations`."""
    text = request_translations().ugettext(message)
    return text % variables if variables else text


def pgettext(context: str, message: str, **variables) -> str:
    """Flask-Babel's ``pgettext`` (a message in a context) through the request's translations."""
    text = request_translations().upgettext(context, message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's ``ngettext`` (``%(num)d`` filled in) through the request's translations."""
    return request_translations().ungettext(singular, plural, num) % {"num": num, **variables}


def lazy_gettext(message: str) -> LazyString:
    """Flask-Babel's ``lazy_gettext``, translated when shown through :func:`gettext`: the
    label tables are read hundreds of times a page."""
    return LazyString(gettext, message)


def label_for(labels: dict, key) -> str:
    """The translated label of ``key`` in ``labels``, or the key itself when it has none.

    Enum-keyed tables work with plain strings too: a StrEnum member equals its value.
    """
    return str(labels.get(str(key), key))


def message_for(templates: dict, code: str, params: dict, fallback: str) -> str:
    """The translated message for a rule's ``code`` filled in with ``params``.

    A code without a template gives ``fallback`` (or the code); a template the params do
    not fill gives ``fallback`` (or the template), never an exception on a page.
    """
    template = templates.get(code)
    if template is None:
        return fallback or code
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return fallback or str(template)


def choose_locale() -> str:
    """The screen language: the user's choice, else the browser's, else the lab's default.

    The JSON API always answers in English (its messages are for machines; each carries a
    stable code).
    """
    config = current_app.config
    if request.path.startswith("/api/"):
        return config["BABEL_DEFAULT_LOCALE"]
    languages = config["LANGUAGES"]
    chosen = getattr(current_user, "locale", None)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or config["DEFAULT_LOCALE"]


@contextmanager
def document_language() -> Iterator[str]:
    """Write a document (release record, label, notice) in the lab's document language
    (``DOCUMENT_LOCALE``), whatever the reader's screen language; yields the locale."""
    locale = current_app.config["DOCUMENT_LOCALE"]
    cached = g.pop("_translations", None) if has_app_context() else None
    try:
        with force_locale(locale):
            yield locale
    finally:
        if has_app_context():
            g.pop("_translations", None)
            if cached is not None:
                g._translations = cached
