"""Labels and template messages are translated through the request's own translations."""

import gettext
from types import SimpleNamespace

import pytest
from flask import g, render_template_string

from config import TestConfig
from labtrack.app import create_app
from labtrack.culture.display import step_measurements
from labtrack.culture.terms import STATE_LABELS, state_label
from labtrack.web.i18n import label_for

SPANISH = {"In culture": "En cultivo", "Day %(day)d": "Día %(day)d", "Today": "Hoy",
           "%(num)d flask": "%(num)d frasco", "%(num)d flasks": "%(num)d frascos"}


class Spanish(gettext.NullTranslations):
    def gettext(self, message):
        return SPANISH.get(message, message)

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)

    ugettext, ungettext = gettext, ngettext


@pytest.fixture
def in_spanish():
    app = create_app(TestConfig())
    with app.test_request_context("/"):
        g._translations = Spanish()
        yield


def test_labels_follow_the_requests_translations(in_spanish):
    assert state_label("in_culture") == "En cultivo"
    assert label_for(STATE_LABELS, "no_such_state") == "no_such_state"
    assert str(STATE_LABELS["in_culture"]) == "En cultivo"  # still lazy, as forms need


def test_step_measurements_are_translated(in_spanish):
    step = SimpleNamespace(cells=20_500_000, flasks=4, surface_cm2=None, seeding_density=None,
                           split_ratio="1:3", confluence_percent=None, morphology="<i>fusiform</i>")
    assert step_measurements(step) == ["20.5 × 10⁶ cells", "4 frascos", "split 1:3",
                                       "<i>fusiform</i>"]  # escaped where shown


def test_template_messages_are_translated_with_their_values_escaped(in_spanish):
    page = render_template_string("{{ _('Today') }} · {{ _('Day %(day)d', day=3) }} · "
                                  "{{ _('%(name)s', name=name) }}", name="<b>x</b>")
    assert page == "Hoy · Día 3 · &lt;b&gt;x&lt;/b&gt;"
