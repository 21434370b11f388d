"""The SVG trend chart renderer: parsed with ElementTree, no database."""

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from assessments.charts import Band, Marker, Point, trend_chart_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PHQ9_BANDS = [
    Band(0, 4, "Minimal"),
    Band(5, 9, "Mild"),
    Band(10, 14, "Moderate"),
    Band(15, 19, "Moderately severe"),
    Band(20, 27, "Severe"),
]


def weekly(*values, first_label="Baseline"):
    return [Point(T0 + timedelta(days=7 * i), v, first_label if i == 0 else "") for i, v in enumerate(values)]


def render(**kwargs):
    kwargs.setdefault("title", "PHQ-9 total")
    kwargs.setdefault("y_min", 0)
    kwargs.setdefault("y_max", 27)
    svg = trend_chart_svg(**kwargs)
    return svg, ET.fromstring(svg)


def by_class(root, tag, cls):
    return [el for el in root.iter(f"{{{NS['svg']}}}{tag}") if cls in el.get("class", "").split()]


def texts(root, cls):
    return [el.text for el in by_class(root, "text", cls)]


def num(el, attr):
    return float(el.get(attr))


def test_root_element_is_accessible_svg_with_title_and_desc():
    svg, root = render(points=weekly(21, 14, 9))
    assert svg.startswith("<svg ")
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 260"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title.text == "PHQ-9 total"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert desc.text == "PHQ-9 total: 21 on Mar 2, 2026 (Baseline); 14 on Mar 9, 2026; 9 on Mar 16, 2026."
    assert texts(root, "chart-title") == ["PHQ-9 total"]


def test_only_inline_presentation_attributes():
    svg, root = render(
        points=weekly(21, 14), bands=PHQ9_BANDS, markers=[Marker(T0 + timedelta(days=1), "IV #1")]
    )
    tags = {el.tag.split("}")[1] for el in root.iter()}
    assert not tags & {"style", "script", "foreignObject", "image", "use", "defs"}
    assert "@font-face" not in svg and "href" not in svg
    assert root.get("font-family") == "DejaVu Sans, Arial, sans-serif"
    sizes = [float(el.get("font-size")) for el in root.iter(f"{{{NS['svg']}}}text")]
    assert sizes and min(sizes) >= 10


def test_output_is_deterministic_and_ids_come_from_the_title():
    kwargs = {"points": weekly(21, 14), "bands": PHQ9_BANDS, "baseline": 21}
    first, root = render(**kwargs)
    assert first == render(**kwargs)[0]
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert ids == ["chart-phq-9-total-title", "chart-phq-9-total-desc"]


def test_one_circle_and_one_value_text_per_point():
    _, root = render(points=weekly(21, 17, 14, 11, 9))
    assert len(by_class(root, "circle", "chart-point")) == 5
    assert sorted(texts(root, "chart-value")) == sorted(["21", "17", "14", "11", "9"])
    assert texts(root, "chart-point-label") == ["Baseline"]
    line = by_class(root, "polyline", "chart-line")
    assert len(line) == 1
    assert len(line[0].get("points").split()) == 5


def test_fractional_values_are_written_compactly():
    _, root = render(points=weekly(12.5, 3.0, 7.333))
    assert sorted(texts(root, "chart-value")) == ["12.5", "3", "7.33"]


def test_decimal_scores_and_bounds_are_accepted():
    points = [Point(T0, Decimal("21")), Point(T0 + timedelta(days=7), Decimal("14.5"))]
    _, root = render(
        points=points, y_min=Decimal(0), y_max=Decimal(27), baseline=Decimal("21"), bands=PHQ9_BANDS
    )
    assert sorted(texts(root, "chart-value")) == ["14.5", "21"]
    assert texts(root, "chart-baseline-label") == ["Baseline 21"]
    first, second = by_class(root, "circle", "chart-point")
    assert num(first, "cy") < num(second, "cy")


def test_higher_value_is_drawn_higher():
    _, root = render(points=weekly(21, 4, 14))
    cy = {
        value: num(c, "cy")
        for value, c in zip((21, 4, 14), by_class(root, "circle", "chart-point"), strict=True)
    }
    assert cy[21] < cy[14] < cy[4]


def test_x_increases_with_time_even_when_points_arrive_unsorted():
    points = weekly(21, 14, 9)
    _, root = render(points=[points[2], points[0], points[1]])
    circles = by_class(root, "circle", "chart-point")
    xs = [num(c, "cx") for c in circles]
    assert xs == sorted(xs) and len(set(xs)) == 3
    # in time order the values are 21, 14, 9: falling scores go down the chart
    ys = [num(c, "cy") for c in circles]
    assert ys == sorted(ys)


def test_points_stay_inside_the_drawing():
    _, root = render(points=weekly(0, 27, 13), width=400, height=200)
    for c in by_class(root, "circle", "chart-point"):
        assert 0 < num(c, "cx") < 400
        assert 0 < num(c, "cy") < 200


def test_bands_are_shaded_labelled_and_alternate():
    _, root = render(points=weekly(21, 14), bands=PHQ9_BANDS)
    rects = by_class(root, "rect", "chart-band")
    assert len(rects) == 5
    assert texts(root, "chart-band-label") == [b.label for b in PHQ9_BANDS]
    fills = [r.get("fill") for r in rects]
    assert all(a != b for a, b in itertools.pairwise(fills))
    # adjacent bands meet half-way between whole-number scores: no gaps, no overlaps
    spans = sorted((num(r, "y"), num(r, "y") + num(r, "height")) for r in rects)
    for (_, bottom), (top, _) in itertools.pairwise(spans):
        assert top == pytest.approx(bottom, abs=0.11)
    # labels sit at the right edge, inside their band
    for rect, label in zip(rects, by_class(root, "text", "chart-band-label"), strict=True):
        assert label.get("text-anchor") == "end"
        assert num(rect, "y") < num(label, "y") < num(rect, "y") + num(rect, "height")
        assert num(label, "x") <= num(rect, "x") + num(rect, "width")


def test_bands_are_clipped_to_the_y_range():
    bands = [Band(-10, 4, "Below"), Band(5, 9, "Mild"), Band(20, 40, "Above"), Band(50, 60, "Off the scale")]
    _, root = render(points=weekly(6, 8), y_min=0, y_max=27, bands=bands)
    rects = by_class(root, "rect", "chart-band")
    assert texts(root, "chart-band-label") == ["Below", "Mild", "Above"]
    _, reference = render(points=weekly(6, 8), y_min=0, y_max=27, bands=[Band(0, 27, "Whole scale")])
    (whole,) = by_class(reference, "rect", "chart-band")
    plot_top, plot_bottom = num(whole, "y"), num(whole, "y") + num(whole, "height")
    assert num(rects[0], "y") + num(rects[0], "height") == pytest.approx(plot_bottom)  # -10 clipped to 0
    assert num(rects[2], "y") == pytest.approx(plot_top)  # 40 clipped to 27
    for rect in rects:
        assert (
            plot_top - 0.01 <= num(rect, "y") and num(rect, "y") + num(rect, "height") <= plot_bottom + 0.01
        )


def test_y_ticks_are_numbers_with_light_gridlines():
    _, root = render(points=weekly(21, 14))
    labels = texts(root, "chart-y-tick")
    assert labels == ["0", "5", "10", "15", "20", "25"]
    grid = by_class(root, "line", "chart-grid")
    assert len(grid) == len(labels)
    assert all(float(line.get("stroke-width")) < 1 for line in grid)


def test_x_ticks_are_dates_in_the_given_time_zone():
    # 02:00 UTC on Mar 2 is still Mar 1 in New York
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    points = [Point(start + timedelta(days=7 * i), v) for i, v in enumerate((20, 15, 10, 8, 5))]
    _, utc_root = render(points=points)
    _, ny_root = render(points=points, tz=ZoneInfo("America/New_York"))
    utc_ticks, ny_ticks = texts(utc_root, "chart-x-tick"), texts(ny_root, "chart-x-tick")
    assert 3 <= len(utc_ticks) <= 6 and 3 <= len(ny_ticks) <= 6
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", t) for t in utc_ticks + ny_ticks)
    assert utc_ticks[0] == "Mar 2"
    assert ny_ticks[0] == "Mar 1"
    assert "on Mar 1, 2026" in ny_root.find("svg:desc", NS).text


def test_long_ranges_get_3_to_6_ticks_and_year_on_change():
    points = [Point(datetime(2025, 10, 1, tzinfo=UTC) + timedelta(days=30 * i), 10 + i) for i in range(8)]
    _, root = render(points=points)
    ticks = texts(root, "chart-x-tick")
    assert 3 <= len(ticks) <= 6
    assert any("2025" in t for t in ticks) and any("2026" in t for t in ticks)
    xs = [num(t, "x") for t in by_class(root, "text", "chart-x-tick")]
    assert xs == sorted(xs)


def test_baseline_is_a_dashed_labelled_line_at_its_value():
    _, root = render(points=weekly(21, 14, 9), baseline=21)
    (line,) = by_class(root, "line", "chart-baseline")
    assert line.get("stroke-dasharray")
    assert num(line, "y1") == num(line, "y2")
    first = by_class(root, "circle", "chart-point")[0]
    assert num(line, "y1") == pytest.approx(num(first, "cy"))
    assert texts(root, "chart-baseline-label") == ["Baseline 21"]
    assert "Baseline 21." in root.find("svg:desc", NS).text


def test_threshold_is_a_dotted_labelled_line_distinct_from_baseline():
    _, root = render(
        title="PCL-5", y_max=80, points=weekly(52, 40, 30), baseline=52, threshold=(33, "Probable PTSD ≥ 33")
    )
    (threshold,) = by_class(root, "line", "chart-threshold")
    (baseline,) = by_class(root, "line", "chart-baseline")
    assert threshold.get("stroke-dasharray") and threshold.get("stroke-dasharray") != baseline.get(
        "stroke-dasharray"
    )
    assert texts(root, "chart-threshold-label") == ["Probable PTSD ≥ 33"]
    # 33 sits between the points at 40 and 30
    cys = [num(c, "cy") for c in by_class(root, "circle", "chart-point")]
    assert cys[1] < num(threshold, "y1") < cys[2]


def test_markers_are_dashed_vertical_lines_with_labels_in_time_order():
    markers = [Marker(T0 + timedelta(days=d), f"IV #{i + 1}") for i, d in enumerate((1, 8, 15))]
    _, root = render(points=weekly(21, 14, 9, 6), markers=markers, baseline=21)
    lines = by_class(root, "line", "chart-marker")
    assert len(lines) == 3
    xs = [num(line, "x1") for line in lines]
    assert all(num(line, "x1") == num(line, "x2") for line in lines)
    assert xs == sorted(xs)
    dash = {line.get("stroke-dasharray") for line in lines}
    assert len(dash) == 1 and None not in dash
    assert dash != {by_class(root, "line", "chart-baseline")[0].get("stroke-dasharray")}
    assert texts(root, "chart-marker-label") == ["IV #1", "IV #2", "IV #3"]
    # labels sit above the plot, over their own line
    for line, label in zip(lines, by_class(root, "text", "chart-marker-label"), strict=True):
        assert num(label, "y") < num(line, "y1")
        assert num(label, "x") == pytest.approx(num(line, "x1"), abs=1)
    # each marker falls between the points taken before and after it
    point_xs = [num(c, "cx") for c in by_class(root, "circle", "chart-point")]
    for i, x in enumerate(xs):
        assert point_xs[i] < x < point_xs[i + 1]
    assert "Marked events: IV #1 on Mar 3, 2026" in root.find("svg:desc", NS).text


def test_crowded_marker_labels_are_staggered_without_overlap():
    markers = [Marker(T0 + timedelta(days=d), f"IV #{i + 1}") for i, d in enumerate((1, 3, 5, 8, 10, 12))]
    _, root = render(points=weekly(21, 17, 14, 11, 9, 6, 4), markers=markers)
    labels = by_class(root, "text", "chart-marker-label")
    assert len(by_class(root, "line", "chart-marker")) == 6
    assert len({num(t, "y") for t in labels}) > 1  # more than one row
    rows = {}
    for t in labels:
        rows.setdefault(num(t, "y"), []).append(num(t, "x"))
    for xs in rows.values():
        assert all(b - a >= 6 * 10 * 0.6 for a, b in itertools.pairwise(xs))


def test_single_point_is_centred():
    _, root = render(points=[Point(T0, 12, "Baseline")], bands=PHQ9_BANDS)
    (circle,) = by_class(root, "circle", "chart-point")
    grid = by_class(root, "line", "chart-grid")[0]
    plot_left, plot_right = num(grid, "x1"), num(grid, "x2")
    gutter_label = by_class(root, "text", "chart-band-label")[3]  # "Moderately severe", the widest
    data_right = plot_right - len(gutter_label.text) * 10 * 0.62
    assert num(circle, "cx") == pytest.approx((plot_left + data_right) / 2, abs=25)
    assert by_class(root, "polyline", "chart-line") == []
    assert texts(root, "chart-value") == ["12"]
    ticks = texts(root, "chart-x-tick")
    assert 3 <= len(ticks) <= 6 and "Mar 2" in ticks


def test_no_points_shows_title_and_centred_message():
    _, root = render(points=[], bands=PHQ9_BANDS, baseline=20, markers=[Marker(T0, "IV #1")])
    assert root.find("svg:title", NS).text == "PHQ-9 total"
    assert texts(root, "chart-title") == ["PHQ-9 total"]
    (empty,) = by_class(root, "text", "chart-empty")
    assert empty.text == "No scores yet"
    assert empty.get("text-anchor") == "middle"
    assert num(empty, "x") == 320
    assert 100 < num(empty, "y") < 160
    assert root.find("svg:desc", NS).text == "PHQ-9 total: no scores yet."
    assert not by_class(root, "circle", "chart-point") and not by_class(root, "rect", "chart-band")


def test_title_and_labels_are_escaped():
    svg, root = render(
        title="A & <B>",
        points=[Point(T0, 5, 'say "hi" <now>'), Point(T0 + timedelta(days=7), 6)],
        bands=[Band(0, 10, "Low & <ok>")],
        markers=[Marker(T0 + timedelta(days=2), "IV <#1> & more")],
        threshold=(4, "Remission < 5"),
    )
    assert "A & <B>" not in svg and "A &amp; &lt;B&gt;" in svg
    assert root.find("svg:title", NS).text == "A & <B>"
    assert root.find("svg:desc", NS).text.startswith('A & <B>: 5 on Mar 2, 2026 (say "hi" <now>)')
    assert texts(root, "chart-title") == ["A & <B>"]
    assert texts(root, "chart-point-label") == ['say "hi" <now>']
    assert texts(root, "chart-band-label") == ["Low & <ok>"]
    assert texts(root, "chart-marker-label") == ["IV <#1> & more"]
    assert texts(root, "chart-threshold-label") == ["Remission < 5"]
    assert root.get("aria-labelledby") == "chart-a-b-title"


def test_out_of_range_values_are_clamped_but_keep_their_text():
    _, root = render(points=weekly(12, 35, -3), y_min=0, y_max=27)
    circles = by_class(root, "circle", "chart-point")
    grid_ys = [num(line, "y1") for line in by_class(root, "line", "chart-grid")]
    _, in_range = render(points=weekly(12, 27, 0), y_min=0, y_max=27)
    edge_ys = [num(c, "cy") for c in by_class(in_range, "circle", "chart-point")]
    assert num(circles[1], "cy") == pytest.approx(edge_ys[1])  # drawn at the top (27)
    assert num(circles[2], "cy") == pytest.approx(edge_ys[2])  # drawn at the bottom (0)
    assert num(circles[2], "cy") == pytest.approx(max(grid_ys))
    assert sorted(texts(root, "chart-value")) == sorted(["12", "35", "-3"])
    assert "35 on Mar 9, 2026" in root.find("svg:desc", NS).text
    # clamped points are drawn hollow so they are not mistaken for real 27s and 0s
    assert circles[1].get("fill") == "white" and circles[0].get("fill") != "white"


def test_value_texts_stay_inside_the_drawing_near_edges():
    _, root = render(points=weekly(27, 0, 27, 0), width=360, height=200, bands=PHQ9_BANDS)
    for t in by_class(root, "text", "chart-value") + by_class(root, "text", "chart-point-label"):
        assert 0 < num(t, "x") < 360
        assert 10 < num(t, "y") < 200


def test_naive_datetimes_and_empty_ranges_are_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        trend_chart_svg(title="X", points=[Point(datetime(2026, 3, 2), 5)], y_min=0, y_max=27)
    with pytest.raises(ValueError, match="timezone-aware"):
        trend_chart_svg(
            title="X", points=[Point(T0, 5)], markers=[Marker(datetime(2026, 3, 2), "IV")], y_min=0, y_max=27
        )
    with pytest.raises(ValueError, match="greater"):
        trend_chart_svg(title="X", points=[Point(T0, 5)], y_min=10, y_max=10)
