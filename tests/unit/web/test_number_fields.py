"""Every number field of every LabTrack form takes the decimal comma: each is
``labtrack.web.fields.DecimalField``, never WTForms' own DecimalField or FloatField."""

from __future__ import annotations

import importlib
import pkgutil

import wtforms
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

import labtrack
from labtrack.web.fields import DecimalField


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_number_field_reads_the_decimal_comma():
    for module in pkgutil.walk_packages(labtrack.__path__, "labtrack."):
        if module.name.rsplit(".", 1)[-1].endswith("forms"):
            importlib.import_module(module.name)
    forms = [form for form in _all_subclasses(FlaskForm) if form.__module__.startswith("labtrack.")]
    assert len(forms) > 20
    numbers = []
    for form in forms:
        for name, value in vars(form).items():
            if not isinstance(value, UnboundField):
                continue
            if issubclass(value.field_class, (wtforms.DecimalField, wtforms.FloatField)):
                numbers.append(name)
                assert issubclass(value.field_class, DecimalField), (
                    f"{form.__module__}.{form.__name__}.{name} is WTForms' "
                    f"{value.field_class.__name__}: use labtrack.web.fields.DecimalField")
    assert {"volume_ml", "viability_percent", "cells_per_disc"} <= set(numbers)
