"""Growth chart as a server-rendered SVG string: viable cells (log scale) by culture day."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from labtrack.culture.rules.chart_scale import ChartScale, Point, decades, plotted
from labtrack.culture.rules.growth import NoProjection, Projection, elapsed_days
from labtrack.web.i18n import gettext as _
from labtrack.web.i18n import pgettext
from labtrack.web.templating import number

PASSAGE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
TARGET_COLOUR = "#c0392b"
PROJECTION_COLOUR = "#444444"
MAX_LOOKAHEAD_DAYS = 42.0  # beyond the last count the x axis stops here; the band is clipped
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 28, 36


def _short(value: float) -> str:
    """Three significant digits in the screen language's format: 23.44 → "23.4" ("23,4")."""
    return number(float(f"{value:.3g}"))


def cells_label(cells: float) -> str:
    """Short count label in the screen language, its unit translated: 1e6 → "1 M",
    2.34e7 → "23.4 M" (Spanish "23,4 M"), 1e5 → "100 k" (Spanish "100 mil")."""
    if cells >= 1e9:
        return pgettext("cell count", "%(value)s G", value=_short(cells / 1e9))
    if cells >= 1e6:
        return pgettext("cell count", "%(value)s M", value=_short(cells / 1e6))
    if cells >= 1e3:
        return pgettext("cell count", "%(value)s k", value=_short(cells / 1e3))
    return _short(cells)


def day_label(day: float) -> str:
    """A culture day to a tenth, in the screen language's format: 21.3178 → "21.3" ("21,3")."""
    return number(round(day, 1))


def _day_step(span: float) -> int:
    """A tick step for the day axis giving at most about eight ticks."""
    return next((s for s in (1, 2, 5, 7, 14, 28) if span / s <= 8), 56)


class _Frame(ChartScale):
    """The SVG chart's scale (y grows downwards), with SVG's point notation."""

    def xy(self, day: float, cells: float) -> str:
        return f"{self.x(day):.1f},{self.y(cells):.1f}"


def _frame(width: int, height: int, x_max: float, lo: int, hi: int) -> _Frame:
    return _Frame(MARGIN_LEFT, width - MARGIN_RIGHT, height - MARGIN_BOTTOM, MARGIN_TOP,
                  x_max, lo, hi)


def _svg_open(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]


def _heading(title: str) -> str:
    return (f'<text x="{MARGIN_LEFT}" y="16" font-size="13" font-weight="bold">'
            f"{escape(title)}</text>")


def _empty_svg(width: int, height: int, title: str) -> str:
    message = _("No cell counts yet")
    parts = [*_svg_open(width, height, title, message), _heading(title),
             f'<rect class="plot" x="{MARGIN_LEFT}" y="{MARGIN_TOP}" fill="none" stroke="#999999"'
             f' width="{width - MARGIN_LEFT - MARGIN_RIGHT}"'
             f' height="{height - MARGIN_TOP - MARGIN_BOTTOM}"/>',
             f'<text class="empty" x="{width / 2:.0f}" y="{height / 2:.0f}"'
             f' text-anchor="middle" fill="#666666">{escape(message)}</text>']
    return "\n".join([*parts, "</svg>"])


def _axes(f: _Frame) -> list[str]:
    """Frame, decade grid lines with labels, day ticks and axis titles."""
    out = [f'<rect class="plot" x="{f.left}" y="{f.top}" width="{f.right - f.left}"'
           f' height="{f.bottom - f.top}" fill="none" stroke="#999999"/>']
    for decade in range(f.lo, f.hi + 1):
        y = f.y(10.0**decade)
        out.append(f'<line class="grid" x1="{f.left}" y1="{y:.1f}" x2="{f.right}" y2="{y:.1f}"'
                   ' stroke="#e5e5e5"/>')
        out.append(f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{escape(cells_label(10.0**decade))}</text>")
    step = _day_step(f.x_max)
    for day in range(0, int(f.x_max) + 1, step):
        x = f.x(day)
        out.append(f'<line x1="{x:.1f}" y1="{f.bottom}" x2="{x:.1f}" y2="{f.bottom + 4}"'
                   ' stroke="#999999"/>')
        out.append(f'<text x="{x:.1f}" y="{f.bottom + 15}" text-anchor="middle">{day}</text>')
    mid_x, mid_y = (f.left + f.right) / 2, (f.top + f.bottom) / 2
    out.append(f'<text x="{mid_x:.1f}" y="{f.bottom + 30}" text-anchor="middle">'
               f'{escape(_("Culture day"))}</text>')
    out.append(f'<text x="12" y="{mid_y:.1f}" text-anchor="middle"'
               f' transform="rotate(-90 12 {mid_y:.1f})">{escape(_("Viable cells"))}</text>')
    return out


def _passages(f: _Frame, points: Sequence[Point]) -> list[str]:
    """A line and dots per passage, and a dashed marker where each later passage starts."""
    out: list[str] = []
    passages = sorted({p for _, _, p in points})
    for i, passage in enumerate(passages):
        colour = PASSAGE_COLOURS[i % len(PASSAGE_COLOURS)]
        own = [(d, c) for d, c, p in points if p == passage]
        if i > 0:
            x = f.x(own[0][0])
            out.append(f'<line class="passage-boundary" x1="{x:.1f}" y1="{f.top}" x2="{x:.1f}"'
                       f' y2="{f.bottom}" stroke="#888888" stroke-dasharray="2 3"/>')
            out.append(f'<text x="{x + 3:.1f}" y="{f.top + 10}" fill="#666666">P{passage}</text>')
        coords = " ".join(f.xy(d, c) for d, c in own)
        out.append(f'<polyline class="passage-line" points="{coords}" fill="none"'
                   f' stroke="{colour}" stroke-width="1.5"/>')
        for d, c in own:
            tip = escape(_("Day %(day)s: %(cells)s viable cells (passage %(passage)s)",
                           day=day_label(d), cells=cells_label(c), passage=passage))
            out.append(f'<circle class="count" cx="{f.x(d):.1f}" cy="{f.y(c):.1f}" r="3"'
                       f' fill="{colour}"><title>{tip}</title></circle>')
    return out


Days = tuple[float, float, float | None]  # projected, earliest, latest (None: cannot say)


def _projection(f: _Frame, start: tuple[float, float], days: Days, target: float) -> list[str]:
    """Shaded low–high band and the dashed central line from the last count to the target."""
    (d0, c0), (central, early, late) = start, days

    def towards(day: float) -> str:  # point on the straight log-line from start, clipped at x_max
        share = min(1.0, (f.x_max - d0) / (day - d0)) if day > d0 else 1.0
        return f.xy(d0 + (day - d0) * share, c0 * (target / c0) ** share)

    band = [f.xy(d0, c0), towards(early)]
    if early < f.x_max and (late is None or late > f.x_max):
        band.append(f.xy(f.x_max, target))  # the band's top edge runs off the chart
    band.append(f.xy(f.x_max, c0) if late is None else towards(late))
    return [
        f'<polygon class="projection-band" points="{" ".join(band)}" fill="{PROJECTION_COLOUR}"'
        ' fill-opacity="0.15" stroke="none"/>',
        f'<polyline class="projection" points="{f.xy(d0, c0)} {towards(central)}" fill="none"'
        f' stroke="{PROJECTION_COLOUR}" stroke-width="1.5" stroke-dasharray="6 4"/>',
    ]


def growth_chart_svg(
    points: Sequence[Point],
    target: float,
    projection: Projection | NoProjection | None = None,
    width: int = 640,
    height: int = 320,
    title: str | None = None,
) -> str:
    """The growth chart as an SVG string; the projection starts at the last point (its anchor)."""
    title = title or _("Viable cells by culture day")
    shown = plotted(points)
    if not shown:
        return _empty_svg(width, height, title)
    d0, c0, _passage = shown[-1]
    days: Days | None = None
    if isinstance(projection, Projection):
        p = projection
        late = None if p.latest_at is None else d0 + elapsed_days(p.anchor_at, p.latest_at)
        days = (d0 + elapsed_days(p.anchor_at, p.projected_at),
                d0 + elapsed_days(p.anchor_at, p.earliest_at), late)
    reach = [d0, *(d for d in days or () if d is not None)]
    x_max = min(max(reach), d0 + MAX_LOOKAHEAD_DAYS)
    step = _day_step(max(x_max, 1.0))
    x_max = step * math.ceil(max(x_max, 1.0) / step)
    f = _frame(width, height, x_max, *decades([c for _, c, _ in shown] + [target]))
    desc = _("Viable cells on a log scale by culture day: %(counts)d counts, latest "
             "%(latest)s on day %(day)s; target %(target)s.", counts=len(shown),
             latest=cells_label(c0), day=day_label(d0), target=cells_label(target))
    if days:
        late = (_("day %(day)s", day=number(days[2], 1)) if days[2] is not None
                else _("cannot say"))
        desc += " " + _("Projected to reach the target on day %(day)s (earliest day "
                        "%(earliest)s, latest %(latest)s).", day=number(days[0], 1),
                        earliest=number(days[1], 1), latest=late)
    parts = _svg_open(width, height, title, desc)
    parts += [_heading(title), *_axes(f)]
    if days:
        parts += _projection(f, (d0, c0), days, target)
    ty = f.y(target)
    parts += [f'<line class="target" x1="{f.left}" y1="{ty:.1f}" x2="{f.right}" y2="{ty:.1f}"'
              f' stroke="{TARGET_COLOUR}" stroke-width="1.5" stroke-dasharray="8 4"/>',
              f'<text class="target-label" x="{f.left + 4}" y="{ty - 4:.1f}"'
              f' fill="{TARGET_COLOUR}">'
              f'{escape(_("Target %(cells)s", cells=cells_label(target)))}</text>']
    parts += _passages(f, shown)
    return "\n".join([*parts, "</svg>"])
