"""The shared SVG drawing helpers (clinic/svg.py): every text they write is escaped, no database."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from clinic import svg

HOSTILE = "A & <B> \"double\" 'single' ]]>"


def test_attribute_values_are_escaped_and_quoted():
    rendered = svg.attrs(title=HOSTILE, class_="x")
    element = ET.fromstring(f"<g {rendered}/>")
    assert element.get("title") == HOSTILE
    assert element.get("class") == "x"
    assert "<" not in rendered and "&amp;" in rendered


def test_text_content_is_escaped():
    rendered = svg.text(1, 2, HOSTILE, fill=HOSTILE)
    element = ET.fromstring(rendered)
    assert element.text == HOSTILE
    assert element.get("fill") == HOSTILE
    assert rendered.count("<") == 2  # the opening and closing tags only


def test_attribute_names_none_and_floats():
    assert svg.attrs(stroke_width=0.6, class_="grid", x=None, y=3) == 'stroke-width="0.6" class="grid" y="3"'
    assert svg.attrs(x1=12.0, y1=-0.04) == 'x1="12" y1="0"'


def test_text_defaults_to_size_10():
    assert svg.text(8, 17.5, "Title") == '<text x="8" y="17.5" font-size="10">Title</text>'


def test_number_formatting():
    assert [svg.num(v) for v in (3.0, 2.25, -0.04, 7.96)] == ["3", "2.2", "0", "8"]
    assert [svg.fmt_value(v) for v in (21, 14.5, 3.333, 20.0)] == ["21", "14.5", "3.33", "20"]


def test_slug_keeps_only_safe_characters():
    assert svg.slug("PHQ-9 total") == "chart-phq-9-total"
    assert svg.slug(HOSTILE) == "chart-a-b-double-single"
    assert svg.slug("<>") == "chart"


def test_text_box_follows_the_anchor():
    middle, end, start = (svg.text_box(100, 50, "abcd", 10, anchor) for anchor in ("middle", "end", "start"))
    width = svg.text_width("abcd", 10)
    for box in (middle, end, start):
        assert box.x1 - box.x0 == pytest.approx(width)
    assert (start.x0, end.x1, middle.x0 + width / 2) == pytest.approx((100, 100, 100))
    assert middle.y0 < 50 < middle.y1


def test_require_aware_refuses_naive_datetimes():
    svg.require_aware(datetime(2026, 3, 2, tzinfo=UTC), "Point")
    with pytest.raises(ValueError, match="Point datetime must be timezone-aware"):
        svg.require_aware(datetime(2026, 3, 2), "Point")
