"""Server-rendered SVG charts of outcomes: a patient's pain and disability over time, and
the cohort's outcome against a process parameter (scatter)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from labtrack.web.templating import number

PAIN_COLOUR, LEG_COLOUR, ODI_COLOUR, DOT_COLOUR = "#c0392b", "#e67e22", "#1f77b4", "#2c3e50"
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 24, 40


@dataclass(frozen=True)
class Linear:
    """Maps a value range onto pixels (``out_lo`` may exceed ``out_hi``: SVG's y)."""

    lo: float
    hi: float
    out_lo: float
    out_hi: float

    def __call__(self, value: float) -> float:
        span = (self.hi - self.lo) or 1.0
        return self.out_lo + (self.out_hi - self.out_lo) * (value - self.lo) / span


def _tick(value: float) -> str:
    """An axis end's value, three significant digits, in the screen language (``1,89``)."""
    return number(Decimal(f"{value:.3g}"))


def _text(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11" '
            f'{extra}>{escape(text)}</text>')


def _polyline(points: list[tuple[float, float]], colour: str, name: str, dashed=False) -> str:
    if not points:
        return ""
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
                   for x, y in points)
    return (f'<g data-series="{name}"><polyline fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash} points="{path}"/>{dots}</g>')


def patient_chart(rows: Sequence[tuple[int, float | None, float | None, float | None]],
                  labels: dict[str, str], width: int = 640, height: int = 280) -> str:
    """Pain (0–10, left axis) and ODI (0–100 %, right axis) by day after the injection.

    ``rows`` are (day, back pain on 0–10, leg pain on 0–10, ODI %); ``labels`` name the
    axes and series (translated by the caller).
    """
    days = [row[0] for row in rows] or [0]
    x = Linear(min(0, min(days)), max(max(days), 30), LEFT, width - RIGHT)
    pain = Linear(0, 10, height - BOTTOM, TOP)
    odi = Linear(0, 100, height - BOTTOM, TOP)
    grid = "".join(
        f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{pain(v):.1f}" y2="{pain(v):.1f}" '
        f'stroke="#ddd"/>' + _text(LEFT - 6, pain(v) + 4, str(v), "end")
        + _text(width - RIGHT + 6, odi(v * 10) + 4, f"{v * 10}", "start")
        for v in range(0, 11, 2))
    ticks = "".join(_text(x(day), height - BOTTOM + 16, str(day)) for day in sorted(set(days)))
    series = (_polyline([(x(r[0]), pain(r[1])) for r in rows if r[1] is not None],
                        PAIN_COLOUR, "back_pain")
              + _polyline([(x(r[0]), pain(r[2])) for r in rows if r[2] is not None],
                          LEG_COLOUR, "leg_pain", dashed=True)
              + _polyline([(x(r[0]), odi(r[3])) for r in rows if r[3] is not None],
                          ODI_COLOUR, "odi"))
    legend = "".join(
        f'<rect x="{LEFT + i * 150}" y="6" width="10" height="10" fill="{colour}"/>'
        + _text(LEFT + i * 150 + 14, 15, labels[key], "start")
        for i, (key, colour) in enumerate((("back_pain", PAIN_COLOUR), ("leg_pain", LEG_COLOUR),
                                           ("odi", ODI_COLOUR))))
    axes = (_text(width / 2, height - 6, labels["days"])
            + _text(12, height / 2, labels["pain"], extra=f'transform="rotate(-90 12 '
                                                           f'{height / 2:.0f})"')
            + _text(width - 10, height / 2, labels["odi_axis"],
                    extra=f'transform="rotate(90 {width - 10} {height / 2:.0f})"'))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(labels["title"])}" class="outcome-chart">'
            f'{grid}{ticks}{series}{legend}{axes}</svg>')


def scatter(points: Sequence[tuple[float, float, str]], x_label: str, y_label: str,
            width: int = 320, height: int = 220) -> str:
    """Outcome (y) against a process parameter (x), one dot per patient (its title the
    pseudonym); a horizontal line at zero change."""
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad_x = (max(xs) - min(xs)) * 0.08 or 1.0
    lo_y, hi_y = min(min(ys), 0), max(max(ys), 0)
    pad_y = (hi_y - lo_y) * 0.08 or 1.0
    x = Linear(min(xs) - pad_x, max(xs) + pad_x, LEFT, width - 12)
    y = Linear(lo_y - pad_y, hi_y + pad_y, height - BOTTOM, TOP)
    dots = "".join(f'<circle cx="{x(px):.1f}" cy="{y(py):.1f}" r="4" fill="{DOT_COLOUR}" '
                   f'fill-opacity="0.75"><title>{escape(name)}</title></circle>'
                   for px, py, name in points)
    zero = (f'<line x1="{LEFT}" x2="{width - 12}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
            f'stroke="#999" stroke-dasharray="3 3"/>')
    labels = (_text(LEFT, height - BOTTOM + 14, _tick(min(xs)), "start")
              + _text(width - 12, height - BOTTOM + 14, _tick(max(xs)), "end")
              + _text(LEFT - 4, y(hi_y) + 4, _tick(hi_y), "end")
              + _text(LEFT - 4, y(lo_y) + 4, _tick(lo_y), "end")
              + _text((LEFT + width) / 2, height - 8, x_label)
              + _text(10, TOP - 8, y_label, "start"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(y_label)} / {escape(x_label)}" '
            f'class="scatter-chart">{zero}{dots}{labels}</svg>')
