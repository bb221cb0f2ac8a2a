"""The growth chart SVG: well-formed, accessible, inert, and showing target and projection."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from config import TestConfig
from labtrack.app import create_app
from labtrack.culture.growth_chart import cells_label, growth_chart_svg
from labtrack.culture.rules.growth import (
    CountPoint,
    NoProjection,
    NoProjectionReason,
    Projection,
    project_target_date,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
SEEDED = datetime(2025, 5, 5, 8, 0, tzinfo=UTC)
M = 1e6
RAW = [(3, 0.4, 0), (6, 1.1, 0), (8, 2.3, 0), (9, 1.8, 1), (11, 4.2, 1), (13, 9.0, 1),
       (14, 7.5, 2), (16, 15.0, 2)]
POINTS = [(d, c * M, p) for d, c, p in RAW]
TARGET = 62 * M


def projection_for(points, target=TARGET) -> Projection | NoProjection:
    counts = [CountPoint(SEEDED + timedelta(days=d), c, p) for d, c, p in points]
    return project_target_date(counts, target, counts[-1].at)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it is well-formed
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == name]


def all_text(root: ET.Element) -> str:
    return " ".join(t.strip() for t in root.itertext())


def test_chart_is_accessible_and_shows_the_target():
    root = parse(growth_chart_svg(POINTS, TARGET))
    assert root.get("role") == "img"
    assert root.find("svg:title", NS).text == "Viable cells by culture day"
    assert "target 62 M" in root.find("svg:desc", NS).text
    (target,) = by_class(root, "target")
    assert target.get("stroke-dasharray")
    assert target.get("y1") == target.get("y2")
    assert by_class(root, "target-label")[0].text == "Target 62 M"
    assert len(by_class(root, "count")) == len(POINTS)
    assert len(by_class(root, "passage-line")) == 3
    assert len(by_class(root, "passage-boundary")) == 2  # where P1 and P2 start
    assert not by_class(root, "projection")


def test_axis_ticks_are_labelled_in_millions():
    text = all_text(parse(growth_chart_svg(POINTS, TARGET)))
    for label in ("100 k", "1 M", "10 M", "100 M", "Culture day", "Viable cells"):
        assert label in text


def test_projection_is_drawn_with_its_band():
    projection = projection_for(POINTS)
    assert isinstance(projection, Projection)
    root = parse(growth_chart_svg(POINTS, TARGET, projection))
    (line,) = by_class(root, "projection")
    assert line.get("stroke-dasharray")
    (band,) = by_class(root, "projection-band")
    assert len(band.get("points").split()) >= 3
    assert "Projected to reach the target on day" in root.find("svg:desc", NS).text


def test_projection_starts_at_the_last_count_and_ends_on_the_target_line():
    root = parse(growth_chart_svg(POINTS, TARGET, projection_for(POINTS)))
    last = by_class(root, "count")[-1]
    start, end = by_class(root, "projection")[0].get("points").split()
    assert start == f"{last.get('cx')},{last.get('cy')}"
    assert end.split(",")[1] == by_class(root, "target")[0].get("y1")


def test_no_projection_result_draws_nothing_extra():
    no = NoProjection(NoProjectionReason.NOT_GROWING)
    root = parse(growth_chart_svg(POINTS, TARGET, no))
    assert not by_class(root, "projection") and not by_class(root, "projection-band")


@pytest.mark.parametrize("points", [
    [(0, 1 * M, 0), (1, 1.35 * M, 0)],  # slow end unknown: band open to the right
    [(0, 1 * M, 0), (10, 1.7 * M, 0)],  # far beyond the look-ahead: clipped
])
def test_projection_geometry_stays_inside_the_chart(points):
    projection = projection_for(points, 60 * M)
    assert isinstance(projection, Projection)
    root = parse(growth_chart_svg(points, 60 * M, projection, width=640, height=320))
    for element in by_class(root, "projection") + by_class(root, "projection-band"):
        for pair in element.get("points").split():
            x, y = map(float, pair.split(","))
            assert 0 <= x <= 640 and 0 <= y <= 320


def test_user_text_is_escaped_and_nothing_executes():
    nasty = '<script>alert(1)</script> & "B-001" <a onclick="x()">'
    svg = growth_chart_svg(POINTS, TARGET, projection_for(POINTS), title=nasty)
    assert "&lt;script&gt;" in svg and "<script" not in svg
    root = parse(svg)
    assert root.find("svg:title", NS).text == nasty  # shown as text, intact
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    assert not list(root.iter("{http://www.w3.org/2000/svg}a"))
    for element in root.iter():
        assert "style" not in element.attrib
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    assert not re.search(r"\sstyle=", svg)


def test_empty_state_says_so():
    root = parse(growth_chart_svg([], TARGET, title="Batch <7>"))
    assert root.get("role") == "img"
    assert root.find("svg:title", NS).text == "Batch <7>"
    assert by_class(root, "empty")[0].text == "No cell counts yet"
    assert "style=" not in growth_chart_svg([], TARGET)


def test_single_point_at_day_zero_renders():
    root = parse(growth_chart_svg([(0, 2 * M, 0)], TARGET))
    assert len(by_class(root, "count")) == 1


@pytest.mark.parametrize(("cells", "label"), [
    (1e6, "1 M"), (1e7, "10 M"), (1e8, "100 M"), (2.34e7, "23.4 M"), (1e5, "100 k"),
    (1e9, "1 G"), (500, "500"),
])
def test_cells_label(cells, label):
    assert cells_label(cells) == label


@pytest.fixture
def screen_language():
    """A request whose screen language is the one given (the committed catalogue)."""
    app = create_app(TestConfig())

    @contextmanager
    def speaking(locale: str):
        with app.test_request_context("/"), force_locale(locale):
            yield

    return speaking


@pytest.mark.parametrize(("locale", "axes", "last_count", "other_language"), [
    ("es", {"1 M", "10 M", "100 M", "100 mil", "Día de cultivo", "Células viables"},
     "Día 6,3: 3,4 M células viables", r"\d\.\d"),
    ("en", {"1 M", "10 M", "100 M", "100 k", "Culture day", "Viable cells"},
     "Day 6.3: 3.4 M viable cells", r"\d,\d"),
])
def test_axes_and_counts_are_labelled_in_the_screen_language(
        screen_language, locale, axes, last_count, other_language):
    points = [(3, 0.4 * M, 0), (6.3, 3.4 * M, 0)]
    with screen_language(locale):
        root = parse(growth_chart_svg(points, 20 * M, projection_for(points, 20 * M)))
    assert axes <= {text.strip() for text in root.itertext()}
    tips = [circle.find("svg:title", NS).text for circle in by_class(root, "count")]
    assert tips[-1].startswith(last_count)
    desc = root.find("svg:desc", NS).text  # the chart's text alternative, projection included
    assert not re.search(other_language, " ".join([desc, *tips]))
