"""The vital-signs flowsheet chart (sessions/flowsheet_chart.py): parsed with ElementTree, no database."""

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from sessions.charting.flowsheet import vitals_chart_svg
from sessions.charting.monitoring import DEFAULT_THRESHOLDS, Reading

SVG = "{http://www.w3.org/2000/svg}"
NS = {"svg": "http://www.w3.org/2000/svg"}
NY = ZoneInfo("America/New_York")
DOSE = datetime(2026, 3, 2, 9, 5, tzinfo=NY)
SERIES = ("sbp", "dbp", "hr", "spo2")


def at(minutes):
    return DOSE + timedelta(minutes=minutes)


def iv_session():
    """A 2-hour IV session: pre-dose, every 10 min during a 40-min infusion (one SBP spike), recovery."""
    return [
        (at(-5), Reading(128, 82, 74, 98, 14, 36.7)),
        (at(0), Reading(130, 84, 76, 98, 14)),
        (at(10), Reading(138, 88, 80, 97, 15)),
        (at(20), Reading(144, 90, 84, 97, 16)),
        (at(30), Reading(184, 96, 88, 96, 16)),
        (at(40), Reading(150, 95, 86, 97, 15, 36.8)),
        (at(55), Reading(142, 90, 82, 98, 14)),
        (at(70), Reading(136, 86, 78, 98, 14)),
        (at(85), Reading(132, 84, 76, 98, 14)),
        (at(100), Reading(130, 83, 75, 98, 14)),
        (at(115), Reading(128, 82, 74, 99, 14, 36.7)),
    ]


def render(readings, **kwargs):
    kwargs.setdefault("tz", NY)
    svg = vitals_chart_svg(readings, **kwargs)
    return svg, ET.fromstring(svg)


def by_class(root, cls, tag=None):
    elements = root.iter(f"{SVG}{tag}") if tag else root.iter()
    return [el for el in elements if cls in el.get("class", "").split()]


def texts(root, cls):
    return [el.text for el in by_class(root, cls, "text")]


TRIANGLE = re.compile(r"M([\d.-]+),([\d.-]+)H([\d.-]+)L([\d.-]+),([\d.-]+)Z")


def marker_centre(el):
    """Centre of a point marker: circle, square or triangle path."""
    tag = el.tag.removeprefix(SVG)
    if tag == "circle":
        return float(el.get("cx")), float(el.get("cy"))
    if tag == "rect":
        return float(el.get("x")) + float(el.get("width")) / 2, float(el.get("y")) + float(
            el.get("height")
        ) / 2
    _, base_y, _, tip_x, tip_y = map(float, TRIANGLE.fullmatch(el.get("d")).groups())
    return tip_x, (base_y + tip_y) / 2


def shape_of(el):
    tag = el.tag.removeprefix(SVG)
    if tag != "path":
        return {"circle": "dot", "rect": "square"}[tag]
    _, base_y, _, _, tip_y = map(float, TRIANGLE.fullmatch(el.get("d")).groups())
    return "down" if tip_y > base_y else "up"  # SVG y grows downwards


def text_box(el):
    """Estimated box of a <text> (the generous DejaVu estimate the chart itself uses)."""
    size = float(el.get("font-size"))
    x, y = float(el.get("x")), float(el.get("y"))
    w = len(el.text) * size * 0.62
    anchor = el.get("text-anchor", "start")
    x0 = x - w / 2 if anchor == "middle" else x - w if anchor == "end" else x
    return (x0, y - size * 0.78, x0 + w, y + size * 0.22)


def overlapping_texts(root):
    boxes = [(el.text, text_box(el)) for el in root.iter(f"{SVG}text")]
    return [
        (a, b)
        for (a, (ax0, ay0, ax1, ay1)), (b, (bx0, by0, bx1, by1)) in itertools.combinations(boxes, 2)
        if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1
    ]


# --- structure and accessibility ------------------------------------------------------------------


def test_root_is_an_accessible_svg_with_title_and_desc():
    svg, root = render(iv_session(), dose_start=DOSE, infusion_end=at(40))
    assert svg.startswith("<svg ")
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 720 300"
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title.text == "Vital signs"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert texts(root, "vs-title") == ["Vital signs"]
    assert desc.text.startswith("Vital signs: 11 readings from 09:00 (−5 min) to 11:00 (+115 min).")
    assert "Dose at 09:05; infusion end at 09:45 (+40 min)." in desc.text
    assert "SBP 128–184 mmHg; DBP 82–96 mmHg; HR 74–88 /min; SpO2 96–99 %; RR 14–16 /min" in desc.text
    assert "temperature 36.7–36.8 °C" in desc.text
    assert "Past alert limits: SBP 184 above 180 (alert threshold) at 09:35 (+30 min)." in desc.text
    assert desc.text.endswith("Alert lines: SBP 180, SBP 90, HR 120, SpO2 92.")


def test_only_presentation_attributes_no_scripts_or_external_resources():
    svg, root = render(iv_session(), dose_start=DOSE, infusion_end=at(40))
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert not tags & {"style", "script", "foreignObject", "image", "use", "defs", "a"}
    for forbidden in ("dominant-baseline", "href", "@font-face", "url(", "style="):
        assert forbidden not in svg
    assert root.get("font-family") == "system-ui, sans-serif"
    sizes = [float(el.get("font-size")) for el in root.iter(f"{SVG}text")]
    assert sizes and min(sizes) >= 10


def test_legend_names_each_series_with_its_own_shape_and_colour():
    _, root = render(iv_session(), dose_start=DOSE)
    assert texts(root, "vs-legend-label") == ["SBP mmHg", "DBP mmHg", "HR /min", "SpO2 %", "Past alert limit"]
    shapes, colours = [], set()
    for field in SERIES:
        points = by_class(root, f"vs-{field}-point")
        shapes.append({shape_of(p) for p in points})
        colours.add(next(p.get("fill") for p in points if "vs-flagged" not in p.get("class")))
    assert shapes == [{"down"}, {"up"}, {"dot"}, {"square"}]
    assert len(colours) == 4


def test_each_reading_has_a_bar_from_systolic_to_diastolic():
    _, root = render([(at(0), Reading(sbp=130, dbp=80))], dose_start=DOSE)
    (sbp,) = by_class(root, "vs-sbp-point")
    (dbp,) = by_class(root, "vs-dbp-point")
    (bar,) = by_class(root, "vs-bp-bar")
    assert float(bar.get("y1")) == pytest.approx(marker_centre(sbp)[1], abs=0.6)
    assert float(bar.get("y2")) == pytest.approx(marker_centre(dbp)[1], abs=0.6)
    assert float(bar.get("x1")) == pytest.approx(marker_centre(sbp)[0])


# --- series and missing values --------------------------------------------------------------------


def test_one_marker_per_value_per_series_and_none_values_are_skipped():
    readings = [
        (at(0), Reading(130, 84, 76, 98, 14, 36.6)),
        (at(10), Reading(None, None, 80, 97, None)),
        (at(20), Reading(140, 90, None, None, 16)),
        (at(30), Reading()),  # nothing taken at all
        (at(40), Reading(150, 95, 86, None, 15, None)),
    ]
    _, root = render(readings, dose_start=DOSE)
    for field in (*SERIES, "rr", "temp_c"):
        expected = sum(getattr(r, field) is not None for _, r in readings)
        cls = f"vs-{field}-value" if field in ("rr", "temp_c") else f"vs-{field}-point"
        assert len(by_class(root, cls)) == expected, field
    # lines join the values that were taken, in time order
    (sbp_line,) = by_class(root, "vs-sbp-line", "polyline")
    xs = [float(p.split(",")[0]) for p in sbp_line.get("points").split()]
    assert len(xs) == 3 and xs == sorted(xs)
    assert len(by_class(root, "vs-bp-bar")) == 3
    assert texts(root, "vs-rr-value") == ["14", "16", "15"]
    assert texts(root, "vs-temp_c-value") == ["36.6"]


def test_series_with_one_value_draws_a_marker_but_no_line():
    _, root = render([(at(0), Reading(hr=70)), (at(10), Reading(hr=72, spo2=98))], dose_start=DOSE)
    assert len(by_class(root, "vs-spo2-point")) == 1
    assert by_class(root, "vs-spo2-line") == []
    assert len(by_class(root, "vs-hr-line")) == 1
    assert by_class(root, "vs-sbp-point") == by_class(root, "vs-bp-bar") == []
    assert by_class(root, "vs-rr-row") == []  # no RR taken: no RR row


def test_readings_are_drawn_in_time_order_whatever_order_they_come_in():
    readings = iv_session()
    first, _ = render(readings, dose_start=DOSE)
    assert render(list(reversed(readings)), dose_start=DOSE)[0] == first


def test_decimal_and_duck_typed_readings_are_accepted():
    reading = SimpleNamespace(sbp=130, dbp=80, hr=70, spo2=98, rr=14, temp_c=Decimal("36.8"))
    _, root = render([(at(0), reading)])
    assert texts(root, "vs-temp_c-value") == ["36.8"]
    with pytest.raises(ValueError, match="sbp must be a number"):
        render([(at(0), SimpleNamespace(sbp="130"))])


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        render([(datetime(2026, 3, 2, 9, 0), Reading(hr=70))])
    with pytest.raises(ValueError, match="timezone-aware"):
        render([], dose_start=datetime(2026, 3, 2, 9, 0))


def test_each_marker_has_a_tooltip_with_value_time_and_alert():
    _, root = render(iv_session(), dose_start=DOSE)
    sbp_titles = [el.find("svg:title", NS).text for el in by_class(root, "vs-sbp-point")]
    assert sbp_titles[0] == "SBP 128 mmHg at 09:00 (−5 min)"
    assert sbp_titles[4] == "SBP 184 mmHg at 09:35 (+30 min): SBP 184 above 180 (alert threshold)"


# --- thresholds -----------------------------------------------------------------------------------


def test_thresholds_are_drawn_from_the_dict_passed_in():
    clinic = {"during": {"sbp_above": 170, "hr_above": 100, "spo2_below": 94}}
    _, root = render([(at(0), Reading(120, 80, 100, 97, 14))], dose_start=DOSE, thresholds=clinic)
    assert sorted(texts(root, "vs-threshold-label")) == ["HR 100", "SBP 170", "SBP 90", "SpO2 94"]
    lines = by_class(root, "vs-threshold", "line")
    assert len(lines) == 4
    assert all(line.get("stroke-dasharray") for line in lines)
    # the HR 100 line is at the height of a heart rate of 100 (which is not flagged: limits are exclusive)
    (hr,) = by_class(root, "vs-hr-point")
    assert "vs-flagged" not in hr.get("class")
    assert any(float(line.get("y1")) == pytest.approx(float(hr.get("cy")), abs=0.1) for line in lines)


def test_default_thresholds_and_partial_clinic_dicts_keep_the_defaults():
    _, root = render([(at(0), Reading(hr=70))])
    assert sorted(texts(root, "vs-threshold-label")) == ["HR 120", "SBP 180", "SBP 90", "SpO2 92"]
    _, root = render([(at(0), Reading(hr=70))], thresholds={"during": {"sbp_above": 170}})
    assert sorted(texts(root, "vs-threshold-label")) == ["HR 120", "SBP 170", "SBP 90", "SpO2 92"]


def test_the_low_systolic_line_is_drawn_and_a_low_pressure_is_flagged():
    _, root = render([(at(0), Reading(70, 40, 80, 97, 14))], dose_start=DOSE)
    assert "SBP 90" in texts(root, "vs-threshold-label")
    (sbp,) = by_class(root, "vs-sbp-point")
    assert "vs-flagged" in sbp.get("class")
    _, root = render([(at(0), Reading(hr=70))], thresholds={"during": {"sbp_below": None}})
    assert "SBP 90" not in texts(root, "vs-threshold-label")


def test_a_threshold_switched_off_is_not_drawn():
    clinic = {"during": {**DEFAULT_THRESHOLDS["during"], "hr_above": None}}
    _, root = render([(at(0), Reading(hr=150))], thresholds=clinic)
    assert sorted(texts(root, "vs-threshold-label")) == ["SBP 180", "SBP 90", "SpO2 92"]
    assert by_class(root, "vs-flagged") == []  # and nothing is flagged against it


def test_close_threshold_labels_are_pushed_apart():
    clinic = {"during": {"sbp_above": 100, "hr_above": 96, "spo2_below": 94}}
    _, root = render([(at(0), Reading(120, 80, 70, 97, 14))], thresholds=clinic)
    assert overlapping_texts(root) == []


@pytest.mark.parametrize(
    ("reading", "flagged"),
    [
        (Reading(sbp=181, dbp=110), {"sbp"}),
        (Reading(sbp=180, dbp=111), {"dbp"}),
        (Reading(hr=121), {"hr"}),
        (Reading(hr=120), set()),
        (Reading(hr=49), {"hr"}),
        (Reading(hr=50), set()),
        (Reading(spo2=91), {"spo2"}),
        (Reading(spo2=92), set()),
        (Reading(rr=25), {"rr"}),
        (Reading(rr=9), {"rr"}),
        (Reading(rr=10), set()),
        (Reading(rr=24), set()),
    ],
)
def test_points_past_a_threshold_are_flagged_and_points_at_it_are_not(reading, flagged):
    _, root = render([(at(0), reading)])
    marked = {
        el.get("class").split()[1].removeprefix("vs-").rsplit("-", 1)[0]
        for el in by_class(root, "vs-flagged")
    }
    assert marked == flagged
    rings = by_class(root, "vs-flag")
    assert len(rings) == len(flagged)
    assert all(ring.get("stroke") == "#c62828" for ring in rings)
    for el in by_class(root, "vs-flagged"):
        assert el.get("fill") == "#c62828"
    legend = texts(root, "vs-legend-label")
    assert ("Past alert limit" in legend) == bool(flagged)


def test_flags_follow_the_clinic_thresholds():
    clinic = {"during": {"sbp_above": 170}}
    _, root = render([(at(0), Reading(sbp=175)), (at(10), Reading(sbp=170))], thresholds=clinic)
    points = by_class(root, "vs-sbp-point")
    assert ["vs-flagged" in p.get("class") for p in points] == [True, False]
    ring = by_class(root, "vs-sbp-flag")[0]
    assert (float(ring.get("cx")), float(ring.get("cy"))) == pytest.approx(marker_centre(points[0]), abs=0.6)


# --- empty chart ----------------------------------------------------------------------------------


def test_empty_chart_shows_axes_title_and_a_message():
    _, root = render([])
    assert texts(root, "vs-empty") == ["No vital signs yet"]
    assert texts(root, "vs-title") == ["Vital signs"]
    assert texts(root, "vs-y-tick") == [str(v) for v in range(0, 221, 20)]
    assert root.find("svg:desc", NS).text == "Vital signs: no vital signs yet."
    assert by_class(root, "vs-point") == [] and by_class(root, "vs-legend") == []


def test_empty_chart_with_a_dose_time_has_a_minutes_axis():
    _, root = render([], dose_start=DOSE)
    assert texts(root, "vs-empty") == ["No vital signs yet"]
    assert texts(root, "vs-x-tick") == ["0", "5", "10", "15", "20", "25", "30 min"]
    assert texts(root, "vs-clock") == ["09:05"]
    assert texts(root, "vs-dose-label") == ["Dose"]


# --- time axis ------------------------------------------------------------------------------------


def test_minutes_are_counted_from_the_dose_with_clock_time_under_zero():
    _, root = render(iv_session(), dose_start=DOSE, infusion_end=at(40))
    labels = texts(root, "vs-x-tick")
    assert labels == [
        "−10",
        "0",
        "10",
        "20",
        "30",
        "40",
        "50",
        "60",
        "70",
        "80",
        "90",
        "100",
        "110",
        "120 min",
    ]
    assert texts(root, "vs-clock") == ["09:05"]  # in the clinic's time zone
    zero = next(el for el in by_class(root, "vs-x-tick") if el.text == "0")
    (dose_line,) = by_class(root, "vs-dose", "line")
    assert float(zero.get("x")) == pytest.approx(float(dose_line.get("x1")))
    (clock,) = by_class(root, "vs-clock")
    assert float(clock.get("x")) == pytest.approx(float(dose_line.get("x1")))
    assert texts(root, "vs-dose-label") == ["Dose"]
    assert texts(root, "vs-infusion-end-label") == ["Infusion end"]
    # the infusion period is shaded between the two markers
    (band,) = by_class(root, "vs-infusion", "rect")
    (end_line,) = by_class(root, "vs-infusion-end", "line")
    assert float(band.get("x")) == pytest.approx(float(dose_line.get("x1")))
    assert float(band.get("x")) + float(band.get("width")) == pytest.approx(
        float(end_line.get("x1")), abs=0.2
    )


def test_without_a_dose_the_axis_shows_clock_times():
    readings = [(at(i * 30), Reading(hr=70)) for i in range(5)]  # 09:05 to 11:05
    _, root = render(readings)
    labels = texts(root, "vs-x-tick")
    assert all(re.fullmatch(r"\d\d:\d\d", label) for label in labels)
    assert labels[0] == "09:00" and labels[1] == "09:10" and labels[-1] == "11:10"
    assert texts(root, "vs-clock") == []
    _, utc_root = render(readings, tz=UTC)
    assert texts(utc_root, "vs-x-tick")[0] == "14:00"


@pytest.mark.parametrize(("span", "step"), [(20, 5), (60, 5), (120, 10), (240, 30), (300, 30)])
def test_tick_step_suits_the_span(span, step):
    _, root = render([(at(0), Reading(hr=70)), (at(span), Reading(hr=70))], dose_start=DOSE)
    numbers = [int(label.removesuffix(" min")) for label in texts(root, "vs-x-tick")]
    assert {b - a for a, b in itertools.pairwise(numbers)} == {step}


def test_one_reading_still_spans_thirty_minutes():
    _, root = render([(at(0), Reading(hr=70))])
    labels = texts(root, "vs-x-tick")
    assert labels[0] == "09:05" and labels[-1] == "09:35"
    xs = [float(el.get("x")) for el in by_class(root, "vs-x-tick")]
    assert len(set(xs)) == len(xs) >= 3


# --- y axis ---------------------------------------------------------------------------------------


def test_y_axis_runs_to_220_with_gridlines_every_20():
    _, root = render(iv_session(), dose_start=DOSE)
    assert texts(root, "vs-y-tick") == [str(v) for v in range(0, 221, 20)]
    assert len(by_class(root, "vs-grid")) == 12


def test_y_axis_widens_above_220():
    _, root = render([(at(0), Reading(sbp=236, dbp=120))])
    assert texts(root, "vs-y-tick")[-1] == "240"
    grid_top = min(float(el.get("y1")) for el in by_class(root, "vs-grid"))
    (sbp,) = by_class(root, "vs-sbp-point")
    assert marker_centre(sbp)[1] > grid_top  # inside the plot, not clamped to its edge


def test_a_short_chart_uses_gridlines_every_40():
    _, root = render(iv_session(), dose_start=DOSE, height=200)
    assert texts(root, "vs-y-tick") == [str(v) for v in range(0, 241, 40)]  # the axis ends on a gridline


# --- text, ids, layout ----------------------------------------------------------------------------


def test_title_is_escaped():
    svg, root = render([(at(0), Reading(hr=70))], title='A & <B> "C"')
    assert "A &amp; &lt;B&gt;" in svg
    assert root.find("svg:title", NS).text == 'A & <B> "C"'
    assert texts(root, "vs-title") == ['A & <B> "C"']
    assert root.find("svg:title", NS).get("id") == "chart-a-b-c-title"


def test_output_is_deterministic_with_ids_from_the_title_and_prefix():
    kwargs = {"dose_start": DOSE, "infusion_end": at(40)}
    first, root = render(iv_session(), **kwargs)
    assert first == render(iv_session(), **kwargs)[0]
    ids = sorted(el.get("id") for el in root.iter() if el.get("id"))
    assert ids == ["chart-vital-signs-desc", "chart-vital-signs-title"]
    _, other = render(iv_session(), id_prefix="session 12", **kwargs)
    other_ids = sorted(el.get("id") for el in other.iter() if el.get("id"))
    assert other_ids == ["session-12-chart-vital-signs-desc", "session-12-chart-vital-signs-title"]
    assert other.get("aria-labelledby") == "session-12-chart-vital-signs-title"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dose_start": DOSE, "infusion_end": at(40)},
        {
            "dose_start": DOSE,
            "infusion_end": at(2),
            "width": 420,
            "height": 320,
            "title": "A long title for a narrow page",
        },
        {},
    ],
)
def test_text_labels_do_not_collide_and_stay_inside_the_drawing(kwargs):
    readings = [*iv_session(), (at(116), Reading(rr=30, temp_c=37.1))]
    _, root = render(readings, **kwargs)
    assert overlapping_texts(root) == []
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    for el in root.iter(f"{SVG}text"):
        x0, y0, x1, y1 = text_box(el)
        assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height, el.text


def test_crowded_rr_values_are_staggered_not_overlapping():
    readings = [(at(i), Reading(rr=12 + i % 3)) for i in range(0, 12, 2)]
    _, root = render(readings, dose_start=DOSE, width=400)
    assert overlapping_texts(root) == []
    assert len({el.get("y") for el in by_class(root, "vs-rr-value")}) == 2
