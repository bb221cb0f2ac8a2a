"""Translation lookups made hundreds of times per page, looked up once per request."""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import get_translations, gettext
from flask_babel.speaklater import LazyString


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


class LazyLabel(LazyString):
    """A lazily translated label (like ``lazy_gettext``) that keeps its message id, so a
    list of hundreds of labels is translated through :func:`request_translations`."""

    def __init__(self, message: str) -> None:
        super().__init__(gettext, message)
        self.message = message

    def translated(self) -> str:
        return request_translations().ugettext(self.message)
