"""The server-rendered trend chart: valid SVG whose numbers and bands are written as text."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from assessments.charts import Band, Marker, Point, trend_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 3, 2, 10, tzinfo=UTC)
BANDS = [
    Band(0, 4, "Minimal"),
    Band(5, 9, "Mild"),
    Band(10, 14, "Moderate"),
    Band(15, 19, "Moderately severe"),
    Band(20, 27, "Severe"),
]


def chart(points, **kwargs):
    svg = trend_chart_svg(title="PHQ-9 total", points=points, y_min=0, y_max=27, bands=BANDS, **kwargs)
    return svg, ET.fromstring(svg)


def texts(root):
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def weekly(*values):
    return [Point(START + timedelta(weeks=i), v, "Baseline" if i == 0 else "") for i, v in enumerate(values)]


def test_each_point_is_drawn_with_its_value_written_out():
    _, root = chart(weekly(21, 14, 9, 4))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 4
    assert {"21", "14", "9", "4"} <= set(texts(root))
    assert "Baseline" in texts(root)


def test_higher_scores_sit_higher_and_later_scores_further_right():
    _, root = chart(weekly(21, 4))
    first, second = (node for node in root.iter(f"{SVG}circle"))
    assert float(first.get("cy")) < float(second.get("cy"))
    assert float(first.get("cx")) < float(second.get("cx"))


def test_bands_are_labelled_so_the_chart_reads_without_colour():
    _, root = chart(weekly(21, 14))
    for band in BANDS:
        assert band.label in texts(root)


def test_title_description_baseline_threshold_and_markers():
    _, root = chart(
        weekly(21, 14),
        baseline=21,
        threshold=(5, "Remission < 5"),
        markers=[Marker(START + timedelta(days=3), "IV #1")],
    )
    assert root.find(f"{SVG}title").text == "PHQ-9 total"
    description = root.find(f"{SVG}desc").text
    assert "21" in description and "14" in description
    assert any("Baseline 21" in text for text in texts(root))
    assert "Remission < 5" in texts(root)
    assert "IV #1" in texts(root)


def test_no_points_says_so():
    _, root = chart([])
    assert "No scores yet" in texts(root)
    assert not list(root.iter(f"{SVG}circle"))


def test_text_is_escaped_and_out_of_range_values_keep_their_number():
    svg = trend_chart_svg(title="A & <B>", points=weekly(35), y_min=0, y_max=27)
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "A & <B>"
    assert "35" in texts(root)
