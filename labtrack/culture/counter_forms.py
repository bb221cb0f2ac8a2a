"""Forms of the counter file import: the upload, and the preview's confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class CounterFileForm(FlaskForm):
    """Upload a cell counter's export file (any name: the content says what it is)."""

    file = FileField(_l("Counter export file"),
                     validators=[FileRequired(_l("Choose the file the counter exported."))],
                     description=_l("NucleoCounter NC-202 or NC-200, Vi-CELL BLU or XR."))


class CounterPreviewForm(FlaskForm):
    """The preview's form: its CSRF token; the volumes are read per row by their line."""
