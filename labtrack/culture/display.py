"""How the bench pages describe a step and a task in a few translated words."""

from __future__ import annotations

from labtrack.web.i18n import gettext as _
from labtrack.web.i18n import ngettext
from labtrack.web.templating import cells, number


def step_measurements(step) -> list[str]:
    """What was measured and seen at a culture step, as short phrases for one line."""
    phrases = []
    if step.cells is not None:
        phrases.append(_("%(cells)s cells", cells=cells(step.cells)))
    if step.flasks is not None:
        phrases.append(ngettext("%(num)d flask", "%(num)d flasks", step.flasks))
    if step.surface_cm2 is not None:
        phrases.append(_("%(surface)s cm²", surface=number(step.surface_cm2)))
    if step.seeding_density is not None:
        phrases.append(_("%(density)s cells/cm²", density=number(step.seeding_density)))
    if step.split_ratio:
        phrases.append(_("split %(ratio)s", ratio=step.split_ratio))
    if step.confluence_percent is not None:
        phrases.append(_("confluence %(value)d %%", value=step.confluence_percent))
    if step.morphology:
        phrases.append(step.morphology)
    return phrases


def task_window(task) -> str:
    """When a protocol task is due: its confluence, or its culture day or days."""
    if task.confluence is not None:
        return _("confluence %(value)d %%", value=task.confluence)
    if task.opens_day is None:
        return _("before culture starts")
    if task.opens_day == task.closes_day:
        return _("day %(day)d", day=task.opens_day)
    return _("days %(first)d–%(last)d", first=task.opens_day, last=task.closes_day)
