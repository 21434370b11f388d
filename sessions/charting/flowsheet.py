"""Server-side SVG chart of a treatment session's vital signs (the graph part of the flowsheet).

Pure Python, no Django. Like ``assessments.charts`` (both draw with ``clinic.svg``'s helpers, which
escape every text), the same string goes inline into HTML pages and into WeasyPrint PDFs, so the SVG uses
presentation attributes only: no <style> blocks, no scripts, no external resources, no
``dominant-baseline``, no random ids (ids are a slug of the title, with an optional prefix for two
charts on one page).

    svg = vitals_chart_svg(
        [(v.taken_at, v) for v in session.vitals.all()],
        dose_start=session.dose_started_at,
        infusion_end=session.infusion_ended_at,
        thresholds=clinic_thresholds,
        tz=ZoneInfo("America/New_York"),
    )

Drawn like an anaesthetic record: systolic ▼ and diastolic ▲ joined by a bar for each reading, heart
rate ● and SpO2 ■ as lines, respiratory rate (and temperature, when charted) as rows of numbers under
the time axis. Every series has its own colour *and* marker shape. Values past the clinic's alert
thresholds (``sessions.charting.monitoring.vital_flags``: exclusive limits) are drawn in red inside a red ring,
and the "during" SBP-above, SBP-below, HR-above and SpO2-below limits are faint dashed lines labelled in the right
margin ("SBP 180"). Elements carry ``class`` names (``vs-sbp-point``, ``vs-flag``, ...) as hooks for
page CSS and tests; the chart does not depend on them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from clinic import svg
from sessions.charting.monitoring import DEFAULT_THRESHOLDS, Flag, Reading, vital_flags

__all__ = ["vitals_chart_svg"]

FONT_FAMILY = "system-ui, sans-serif"
TITLE_SIZE = 13
LABEL_SIZE = 10
EMPTY_SIZE = 13

WARN = "#c62828"  # values past an alert threshold: red marker inside a red ring
BP_BAR = "#a9bdd1"
INFUSION_FILL = "#f1f4f7"
DOSE_COLOUR = "#4d4d4d"
END_COLOUR = "#8a8a8a"
MINUS = "\u2212"  # typographic minus for "−10"

Y_MAX_DEFAULT = 220
MIN_SPAN_MINUTES = 30
TICK_STEPS = (5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440)
LEGEND_GAP = 14
MARKER_ROW = 12
MAX_MARKER_ROWS = 3
VALUE_LINE = 12  # height of one line of the RR / temperature rows
RING_RADIUS = 8
DATA_PAD = 12  # horizontal room between the plot edge and the first/last reading
EVENT_LABEL_RISE = 11  # event label baseline above the plot: clear of an alert ring at the top


@dataclass(frozen=True)
class _Series:
    field: str
    name: str
    unit: str
    colour: str
    shape: str  # "down" ▼, "up" ▲, "dot" ●, "square" ■


SERIES = (
    _Series("sbp", "SBP", "mmHg", "#1f4e79", "down"),
    _Series("dbp", "DBP", "mmHg", "#2f80c0", "up"),
    _Series("hr", "HR", "/min", "#2e7d32", "dot"),
    _Series("spo2", "SpO2", "%", "#6a3d9a", "square"),
)
_BY_FIELD = {s.field: s for s in SERIES}

#: The "during" thresholds drawn as lines: (key in thresholds["during"], series field). The low
#: systolic line (hypotension) is drawn too: a falling pressure needs to be seen as well as a rising one.
THRESHOLD_LINES = (("sbp_above", "sbp"), ("sbp_below", "sbp"), ("hr_above", "hr"), ("spo2_below", "spo2"))

#: Rows of numbers under the time axis: (field, row label, description name, unit).
VALUE_ROWS = (("rr", "RR", "RR", " /min"), ("temp_c", "°C", "temperature", " °C"))

FIELDS = ("sbp", "dbp", "hr", "spo2", "rr", "temp_c")


@dataclass(frozen=True)
class _Row:
    when: datetime
    values: dict[str, float | int | None]
    flags: tuple[Flag, ...]

    @property
    def flagged(self) -> frozenset[str]:
        return frozenset(f.field for f in self.flags)


# --- input --------------------------------------------------------------------------------------


def _number(value: Any, field: str) -> float | int | None:
    """Model values arrive as int, Decimal (temperature) or float; ``None`` is "not taken"."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"Vital sign {field} must be a number or None (got {value!r}).")
    number = float(value)
    if math.isnan(number):
        return None
    if field != "temp_c" and number.is_integer():
        return int(number)
    return number


def _rows(readings: Iterable[tuple[datetime, Any]], thresholds: Mapping[str, Any]) -> list[_Row]:
    rows = []
    for when, reading in readings:
        svg.require_aware(when, "Reading")
        values = {field: _number(getattr(reading, field, None), field) for field in FIELDS}
        flags = tuple(vital_flags(Reading(**values), thresholds))
        rows.append(_Row(when, values, flags))
    return sorted(rows, key=lambda r: r.when)  # stable: same-time readings keep their order


def _threshold_lines(thresholds: Mapping[str, Any]) -> list[tuple[float, str, _Series]]:
    """The drawn limits, merged over the defaults like ``vital_flags`` does; ``None`` switches one off."""
    during = {**DEFAULT_THRESHOLDS["during"], **(thresholds.get("during") or {})}
    lines = []
    for key, field in THRESHOLD_LINES:
        value = during.get(key)
        if value is None:
            continue
        series = _BY_FIELD[field]
        lines.append((float(value), f"{series.name} {svg.fmt_value(float(value))}", series))
    return lines


# --- small drawing helpers ------------------------------------------------------------------------


def _shape(shape: str, x: float, y: float, tooltip: str | None = None, **attrs: object) -> str:
    """A marker centred on (x, y), with an optional <title> tooltip."""
    if shape == "dot":
        tag, geometry = "circle", {"cx": x, "cy": y, "r": 3.6}
    elif shape == "square":
        tag, geometry = "rect", {"x": x - 3.5, "y": y - 3.5, "width": 7.0, "height": 7.0}
    else:
        s = 1 if shape == "down" else -1  # ▼ flat top, point below; ▲ the other way up
        d = f"M{svg.num(x - 5)},{svg.num(y - 4 * s)}H{svg.num(x + 5)}L{svg.num(x)},{svg.num(y + 5 * s)}Z"
        tag, geometry = "path", {"d": d}
    opening = f"<{tag} {svg.attrs(**geometry, **attrs)}"
    if tooltip is None:
        return opening + "/>"
    return f"{opening}><title>{escape(tooltip)}</title></{tag}>"


def _tint(colour: str, strength: float) -> str:
    """``colour`` mixed with white: a faint solid colour (renderers differ on stroke-opacity)."""
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02x}" for c in channels)


def _clock(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%H:%M")


def _relative(minutes: float) -> str:
    """``+30 min``, ``−5 min``, ``0 min`` (minutes from the dose, rounded)."""
    whole = round(minutes)
    if whole == 0:
        return "0 min"
    return f"+{whole} min" if whole > 0 else f"{MINUS}{-whole} min"


def _signed(n: int) -> str:
    return f"{MINUS}{-n}" if n < 0 else str(n)


def _value_text(field: str, value: float) -> str:
    return f"{value:.1f}" if field == "temp_c" else svg.fmt_value(value)


def _prefix(id_prefix: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", id_prefix).strip("-")
    if cleaned and not cleaned[0].isalpha():
        cleaned = f"id-{cleaned}"
    return f"{cleaned}-" if cleaned else ""


def _place_in_lines(items: list[tuple[float, float]], max_lines: int, gap: float) -> list[int | None]:
    """Greedy: each (left, right) span goes on the first line where it fits, or nowhere (``None``)."""
    ends: list[float] = []
    placed: list[int | None] = []
    for left, right in items:
        line = next((i for i, end in enumerate(ends) if left >= end + gap), None)
        if line is None and len(ends) < max_lines:
            ends.append(-math.inf)
            line = len(ends) - 1
        if line is not None:
            ends[line] = right
        placed.append(line)
    return placed


# --- the chart ------------------------------------------------------------------------------------


def vitals_chart_svg(
    readings: Iterable[tuple[datetime, Any]],
    *,
    dose_start: datetime | None = None,
    infusion_end: datetime | None = None,
    thresholds: Mapping[str, Any] | None = None,
    tz: tzinfo | None = None,
    width: int = 720,
    height: int = 300,
    title: str = "Vital signs",
    id_prefix: str = "",
) -> str:
    """Render a session's vital signs as one self-contained ``<svg>`` string.

    ``readings`` are ``(when, reading)`` pairs; ``reading`` has ``sbp``, ``dbp``, ``hr``, ``spo2``,
    ``rr`` and ``temp_c`` (any may be ``None``: that series skips the reading). Datetimes must be
    timezone-aware; clock times are shown in ``tz`` (default UTC). With ``dose_start`` the time axis
    counts minutes from the dose (clock time under the 0 tick), otherwise it shows clock times. The y
    axis runs 0–220 with gridlines every 20 (every 40 on a short chart, the axis then ending at 240),
    widened in steps of 20 when a value or a drawn threshold is higher. ``thresholds``
    is shaped like ``sessions.charting.monitoring.DEFAULT_THRESHOLDS`` (keys left out keep the default). With no
    readings the chart shows its axes, title and "No vital signs yet".
    """
    tz = tz or UTC
    thresholds = DEFAULT_THRESHOLDS if thresholds is None else thresholds
    for when, what in ((dose_start, "dose_start"), (infusion_end, "infusion_end")):
        if when is not None:
            svg.require_aware(when, what)
    rows = _rows(readings, thresholds)
    limit_lines = _threshold_lines(thresholds)

    # -- y scale: 0–220, widened to the next multiple of 20 above the highest value or drawn limit
    plotted = [r.values[s.field] for r in rows for s in SERIES if r.values[s.field] is not None]
    highest = max([*plotted, *(value for value, _, _ in limit_lines)], default=0)
    y_max = float(max(Y_MAX_DEFAULT, math.ceil(highest / 20) * 20))

    # -- time scale, in minutes from the reference (the dose when known, else the first time)
    times = [r.when for r in rows] + [t for t in (dose_start, infusion_end) if t is not None]
    reference = dose_start or (min(times) if times else None)

    def minutes(when: datetime) -> float:
        return (when - reference).total_seconds() / 60

    if times:
        lo, hi = min(map(minutes, times)), max(map(minutes, times))
        hi = max(hi, lo + MIN_SPAN_MINUTES)  # one reading must not make a zero-width axis
    else:
        lo, hi = 0.0, float(MIN_SPAN_MINUTES)

    # -- horizontal layout: y labels (and row labels) left, threshold labels in a right margin
    value_rows = [row for row in VALUE_ROWS if any(r.values[row[0]] is not None for r in rows)]
    left_labels = [svg.fmt_value(y_max)] + [label for _, label, _, _ in value_rows]
    plot_left = max(30.0, max(svg.text_width(t, LABEL_SIZE) for t in left_labels) + 10)
    right_margin = 8.0
    if limit_lines:
        right_margin = max(right_margin, max(svg.text_width(t, LABEL_SIZE) for _, t, _ in limit_lines) + 10)
    if dose_start is not None:  # the last tick reads "120 min": the unit runs on past the tick
        right_margin = max(
            right_margin, svg.text_width("999 min", LABEL_SIZE) - svg.text_width("999", LABEL_SIZE) / 2 + 4
        )
    else:
        right_margin = max(right_margin, svg.text_width("00:00", LABEL_SIZE) / 2 + 4)
    plot_right = width - right_margin
    data_left, data_right = plot_left + DATA_PAD, plot_right - DATA_PAD
    if data_right - data_left < 60:
        raise ValueError(f"Chart width {width} leaves no room for the plot.")

    # -- x ticks: the smallest step of 5/10/15/30/60... minutes that gives the labels room; the axis is
    # widened to whole steps (clock mode: whole steps of the clock in ``tz``) so it ends on a tick
    ticks: list[tuple[float, str]] = []  # (x, label)
    clock_under_zero: tuple[float, str] | None = None
    step = None
    if reference is not None:
        if dose_start is not None:
            offset, min_gap = 0.0, 44.0
        else:
            local = reference.astimezone(tz)
            offset = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
            min_gap = svg.text_width("00:00", LABEL_SIZE) + 16
        for step in TICK_STEPS:
            lo_r = math.floor((lo + offset) / step + 1e-9) * step - offset
            hi_r = math.ceil((hi + offset) / step - 1e-9) * step - offset
            if step * (data_right - data_left) / (hi_r - lo_r) >= min_gap:
                break
        lo, hi = lo_r, hi_r
    px_per_minute = (data_right - data_left) / (hi - lo)

    def x_of(m: float) -> float:
        return data_left + (m - lo) * px_per_minute

    if step is not None:
        count = round((hi - lo) / step)
        for k in range(count + 1):
            m = lo + k * step
            if dose_start is not None:
                label = _signed(round(m)) + (" min" if k == count else "")
            else:
                label = _clock(reference + timedelta(minutes=m), tz)
            ticks.append((x_of(m), label))
        if dose_start is not None:
            clock_under_zero = (x_of(0), _clock(dose_start, tz))

    # -- event markers (dose, infusion end): label rows above the plot
    events: list[tuple[float, str, str, str]] = []  # (x, label, colour, class)
    if dose_start is not None:
        events.append((x_of(minutes(dose_start)), "Dose", DOSE_COLOUR, "vs-dose"))
    if infusion_end is not None:
        events.append((x_of(minutes(infusion_end)), "Infusion end", END_COLOUR, "vs-infusion-end"))

    def event_left(x: float, label: str) -> float:
        w = svg.text_width(label, LABEL_SIZE)
        return min(max(x - w / 2, 2.0), width - 2.0 - w)

    event_spans = [
        (event_left(x, label), event_left(x, label) + svg.text_width(label, LABEL_SIZE))
        for x, label, _, _ in events
    ]
    order = sorted(range(len(events)), key=lambda i: event_spans[i][0])
    lines_sorted = _place_in_lines([event_spans[i] for i in order], MAX_MARKER_ROWS, 6)
    event_line: list[int | None] = [None] * len(events)
    for i, line in zip(order, lines_sorted, strict=True):
        event_line[i] = line
    marker_rows = max((line + 1 for line in event_line if line is not None), default=0)

    # -- rows of numbers (RR, temperature): staggered onto a second line when readings crowd
    value_layout = []  # (field, label, [(x, text, flagged, line)], lines)
    for field, label, _, _ in value_rows:
        entries = [
            (x_of(minutes(r.when)), _value_text(field, r.values[field]), field in r.flagged)
            for r in rows
            if r.values[field] is not None
        ]
        spans = [
            (x - svg.text_width(t, LABEL_SIZE) / 2 - 3, x + svg.text_width(t, LABEL_SIZE) / 2 + 3)
            for x, t, _ in entries
        ]
        lines = _place_in_lines(spans, 2, 3)
        placed = [(x, t, f, line) for (x, t, f), line in zip(entries, lines, strict=True) if line is not None]
        value_layout.append((field, label, placed, max(line for *_, line in placed) + 1))

    # -- legend: on the title row when it fits, else flowing on rows of its own under the title
    legend_items = [(s.shape, s.colour, f"{s.name} {s.unit}") for s in SERIES] if rows else []
    if any(r.flags for r in rows):
        legend_items.append(("ring", WARN, "Past alert limit"))
    item_widths = [14 + svg.text_width(text, LABEL_SIZE) for _, _, text in legend_items]
    legend_width = sum(item_widths) + LEGEND_GAP * max(0, len(item_widths) - 1)
    title_width = svg.text_width(title, TITLE_SIZE)
    legend_pos: list[tuple[float, float]] = []  # (x of the marker centre, baseline)
    header_bottom = 23.0
    if legend_items and 8 + title_width + 24 + legend_width <= width - 8:
        x = width - 8 - legend_width
        for w in item_widths:
            legend_pos.append((x + 5, 17.0))
            x += w + LEGEND_GAP
    elif legend_items:
        x, baseline = 8.0, 17.0 + 16
        for w in item_widths:
            if x > 8 and x + w > width - 8:
                x, baseline = 8.0, baseline + 15
            legend_pos.append((x + 5, baseline))
            x += w + LEGEND_GAP
        header_bottom = baseline + 6

    # -- vertical layout
    plot_top = header_bottom + (EVENT_LABEL_RISE + 10 + (marker_rows - 1) * MARKER_ROW if marker_rows else 8)
    below = 14 + (11 if clock_under_zero else 0) + sum(VALUE_LINE * lines for *_, lines in value_layout)
    plot_bottom = height - 6 - below
    if plot_bottom - plot_top < 60:
        raise ValueError(f"Chart height {height} leaves no room for the plot.")
    # gridlines every 20, or every 40 (80...) on a short chart, the top of the axis on a gridline
    grid_step = next((s for s in (20, 40, 80, 160) if s * (plot_bottom - plot_top) / y_max >= 14), 320)
    y_max = math.ceil(y_max / grid_step) * grid_step
    y_scale = (plot_bottom - plot_top) / y_max

    def y_of(value: float) -> float:
        return plot_bottom - min(max(value, 0.0), y_max) * y_scale

    slug = _prefix(id_prefix) + svg.slug(title)
    title_id, desc_id = f"{slug}-title", f"{slug}-desc"
    description = _describe(title, rows, dose_start, infusion_end, limit_lines, tz, minutes)
    out: list[str] = [
        "<svg "
        + svg.attrs(
            xmlns="http://www.w3.org/2000/svg",
            width=width,
            height=height,
            viewBox=f"0 0 {width} {height}",
            role="img",
            aria_labelledby=title_id,
            aria_describedby=desc_id,
            font_family=FONT_FAMILY,
            class_="vitals-chart",
        )
        + ">",
        f"<title id={quoteattr(title_id)}>{escape(title)}</title>",
        f"<desc id={quoteattr(desc_id)}>{escape(description)}</desc>",
        svg.text(8, 17, title, size=TITLE_SIZE, font_weight="bold", fill=svg.INK, class_="vs-title"),
    ]

    # -- legend
    if legend_items:
        out.append('<g class="vs-legend">')
        for (shape, colour, text), (x, baseline) in zip(legend_items, legend_pos, strict=True):
            cy = baseline - 3.5
            if shape == "ring":
                out.append(
                    f"<circle {svg.attrs(cx=x, cy=cy, r=5.0, fill='none', stroke=colour, stroke_width=1.5)}/>"
                )
            else:
                out.append(_shape(shape, x, cy, fill=colour, stroke=colour, stroke_width=0.8))
            out.append(svg.text(x + 9, baseline, text, fill=svg.INK, class_="vs-legend-label"))
        out.append("</g>")

    # -- infusion period, y grid and labels, axis
    out.append('<g class="vs-axes">')
    if dose_start is not None and infusion_end is not None and infusion_end > dose_start:
        x0, x1 = x_of(minutes(dose_start)), x_of(minutes(infusion_end))
        out.append(
            f"<rect {svg.attrs(x=x0, y=plot_top, width=x1 - x0, height=plot_bottom - plot_top, fill=INFUSION_FILL, class_='vs-infusion')}/>"
        )
    v = 0.0
    while v <= y_max + 1e-9:
        y = y_of(v)
        out.append(
            f"<line {svg.attrs(x1=plot_left, y1=y, x2=plot_right, y2=y, stroke=svg.GRID, stroke_width=0.6, class_='vs-grid')}/>"
        )
        out.append(
            svg.text(
                plot_left - 5,
                y + 3.5,
                svg.fmt_value(v),
                fill=svg.MUTED,
                text_anchor="end",
                class_="vs-y-tick",
            )
        )
        v += grid_step
    out.append(
        f"<line {svg.attrs(x1=plot_left, y1=plot_top, x2=plot_left, y2=plot_bottom, stroke=svg.MUTED, stroke_width=0.8)}/>"
    )
    out.append(
        f"<line {svg.attrs(x1=plot_left, y1=plot_bottom, x2=plot_right, y2=plot_bottom, stroke=svg.MUTED, stroke_width=0.8)}/>"
    )
    tick_baseline = plot_bottom + 14
    last = len(ticks) - 1
    for i, (x, label) in enumerate(ticks):
        out.append(
            f"<line {svg.attrs(x1=x, y1=plot_bottom, x2=x, y2=plot_bottom + 4, stroke=svg.MUTED, stroke_width=0.8)}/>"
        )
        if dose_start is not None and i == last:
            # "120 min": the number stays centred on its tick, the unit runs on to the right
            number = label.removesuffix(" min")
            left = min(
                x - svg.text_width(number, LABEL_SIZE) / 2, width - 2 - svg.text_width(label, LABEL_SIZE)
            )
            out.append(
                svg.text(left, tick_baseline, label, fill=svg.MUTED, text_anchor="start", class_="vs-x-tick")
            )
            continue
        half = svg.text_width(label, LABEL_SIZE) / 2
        label_x = min(max(x, half + 2), width - half - 2)
        out.append(
            svg.text(label_x, tick_baseline, label, fill=svg.MUTED, text_anchor="middle", class_="vs-x-tick")
        )
    if clock_under_zero is not None:
        x, label = clock_under_zero
        half = svg.text_width(label, LABEL_SIZE) / 2
        out.append(
            svg.text(
                min(max(x, half + 2), width - half - 2),
                tick_baseline + 11,
                label,
                fill=svg.INK,
                text_anchor="middle",
                class_="vs-clock",
            )
        )
    out.append("</g>")

    # -- alert threshold lines, labelled in the right margin (labels pushed apart when close)
    if limit_lines:
        out.append('<g class="vs-thresholds">')
        wanted = sorted(
            ((y_of(value) + 3.5, label, series) for value, label, series in limit_lines), key=lambda t: t[0]
        )
        baselines = [b for b, _, _ in wanted]
        for i in range(1, len(baselines)):
            baselines[i] = max(baselines[i], baselines[i - 1] + 11)
        ceiling = plot_bottom + 3.5
        for i in reversed(range(len(baselines))):
            baselines[i] = min(baselines[i], ceiling)
            ceiling = baselines[i] - 11
        for value, _, series in limit_lines:
            y = y_of(value)
            out.append(
                f"<line {svg.attrs(x1=plot_left, y1=y, x2=plot_right, y2=y, stroke=_tint(series.colour, 0.55), stroke_width=1, stroke_dasharray='6 4', class_='vs-threshold')}/>"
            )
        for (_, label, series), baseline in zip(wanted, baselines, strict=True):
            out.append(
                svg.text(plot_right + 4, baseline, label, fill=series.colour, class_="vs-threshold-label")
            )
        out.append("</g>")

    # -- event markers
    if events:
        out.append('<g class="vs-events">')
        for (x, label, colour, cls), line in zip(events, event_line, strict=True):
            out.append(
                f"<line {svg.attrs(x1=x, y1=plot_top, x2=x, y2=plot_bottom, stroke=colour, stroke_width=1, stroke_dasharray='5 3', class_=cls)}>"
                f"<title>{escape(label)}</title></line>"
            )
            if line is None:
                continue  # too crowded: the line stays, its label is in <desc> and the tooltip
            w = svg.text_width(label, LABEL_SIZE)
            out.append(
                svg.text(
                    event_left(x, label) + w / 2,
                    plot_top - EVENT_LABEL_RISE - line * MARKER_ROW,
                    label,
                    fill=colour if colour != END_COLOUR else svg.MUTED,
                    text_anchor="middle",
                    class_=f"{cls}-label",
                )
            )
        out.append("</g>")

    if not rows:
        cx, cy = (plot_left + plot_right) / 2, (plot_top + plot_bottom) / 2
        text = "No vital signs yet"
        box = svg.text_box(cx, cy + 4.5, text, EMPTY_SIZE)
        out.append(
            f"<rect {svg.attrs(x=box.x0 - 6, y=box.y0 - 4, width=box.x1 - box.x0 + 12, height=box.y1 - box.y0 + 8, fill='white')}/>"
        )
        out.append(
            svg.text(
                cx, cy + 4.5, text, size=EMPTY_SIZE, fill=svg.MUTED, text_anchor="middle", class_="vs-empty"
            )
        )
        out.append("</svg>")
        return "\n".join(out)

    # -- blood pressure bars, series lines, markers, alert rings
    out.append('<g class="vs-series">')
    for r in rows:
        sbp, dbp = r.values["sbp"], r.values["dbp"]
        if sbp is not None and dbp is not None:
            x = x_of(minutes(r.when))
            out.append(
                f"<line {svg.attrs(x1=x, y1=y_of(sbp), x2=x, y2=y_of(dbp), stroke=BP_BAR, stroke_width=2, class_='vs-bp-bar')}/>"
            )
    drawing_order = SERIES[::-1]  # SpO2 first, blood pressure on top
    for s in drawing_order:
        coords = [
            (x_of(minutes(r.when)), y_of(r.values[s.field])) for r in rows if r.values[s.field] is not None
        ]
        if len(coords) > 1:
            out.append(
                f"<polyline {svg.attrs(points=' '.join(f'{svg.num(x)},{svg.num(y)}' for x, y in coords), fill='none', stroke=s.colour, stroke_width=1.6, stroke_linejoin='round', class_=f'vs-line vs-{s.field}-line')}/>"
            )
    rings = []
    for s in drawing_order:
        for r in rows:
            value = r.values[s.field]
            if value is None:
                continue
            x, y = x_of(minutes(r.when)), y_of(value)
            flag = next((f for f in r.flags if f.field == s.field), None)
            tip = f"{s.name} {svg.fmt_value(value)} {s.unit} at {_clock(r.when, tz)}"
            if dose_start is not None:
                tip += f" ({_relative(minutes(r.when))})"
            if flag is not None:
                tip += f": {flag.message}"
                rings.append(
                    f"<circle {svg.attrs(cx=x, cy=y, r=float(RING_RADIUS), fill='none', stroke=WARN, stroke_width=1.6, class_=f'vs-flag vs-{s.field}-flag')}/>"
                )
            colour = WARN if flag is not None else s.colour
            cls = f"vs-point vs-{s.field}-point" + (" vs-flagged" if flag is not None else "")
            out.append(_shape(s.shape, x, y, tip, fill=colour, stroke=colour, stroke_width=0.8, class_=cls))
    out.extend(rings)
    out.append("</g>")

    # -- rows of numbers under the axis
    baseline = tick_baseline + (11 if clock_under_zero else 0) + VALUE_LINE
    for field, label, placed, lines in value_layout:
        out.append(f'<g class="vs-{field}-row">')
        out.append(
            svg.text(plot_left - 5, baseline, label, fill=svg.MUTED, text_anchor="end", class_="vs-row-label")
        )
        for x, text, flagged, line in placed:
            y = baseline + line * VALUE_LINE
            cls = f"vs-value vs-{field}-value" + (" vs-flagged" if flagged else "")
            if flagged:
                box = svg.text_box(x, y, text, LABEL_SIZE)
                out.append(
                    f"<rect {svg.attrs(x=box.x0 - 2.5, y=box.y0 - 1.5, width=box.x1 - box.x0 + 5, height=box.y1 - box.y0 + 3, rx=3, fill='none', stroke=WARN, stroke_width=1.3, class_=f'vs-flag vs-{field}-flag')}/>"
                )
                out.append(
                    svg.text(x, y, text, fill=WARN, font_weight="bold", text_anchor="middle", class_=cls)
                )
            else:
                out.append(svg.text(x, y, text, fill=svg.INK, text_anchor="middle", class_=cls))
        out.append("</g>")
        baseline += VALUE_LINE * lines

    out.append("</svg>")
    return "\n".join(out)


def _describe(title, rows, dose_start, infusion_end, limit_lines, tz, minutes) -> str:
    """The chart in words, for screen readers and PDF text extraction."""
    if not rows:
        return f"{title}: no vital signs yet."

    def at(when: datetime) -> str:
        text = _clock(when, tz)
        return f"{text} ({_relative(minutes(when))})" if dose_start is not None else text

    count = len(rows)
    parts = [
        f"{title}: {count} reading{'s' if count != 1 else ''} "
        + (f"at {at(rows[0].when)}." if count == 1 else f"from {at(rows[0].when)} to {at(rows[-1].when)}.")
    ]
    events = []
    if dose_start is not None:
        events.append(f"dose at {_clock(dose_start, tz)}")
    if infusion_end is not None:
        events.append(f"infusion end at {at(infusion_end)}")
    if events:
        sentence = "; ".join(events)
        parts.append(sentence[0].upper() + sentence[1:] + ".")
    ranges = []
    names = [(s.field, s.name, f" {s.unit}") for s in SERIES] + [(f, n, u) for f, _, n, u in VALUE_ROWS]
    for field, name, unit in names:
        values = [r.values[field] for r in rows if r.values[field] is not None]
        if not values:
            continue
        low, high = (_value_text(field, v) for v in (min(values), max(values)))
        ranges.append(f"{name} {low}{unit}" if low == high else f"{name} {low}–{high}{unit}")
    if ranges:
        parts.append("; ".join(ranges) + ".")
    flagged = [f"{flag.message} at {at(r.when)}" for r in rows for flag in r.flags]
    parts.append(
        ("Past alert limits: " + "; ".join(flagged) + ".") if flagged else "No value past an alert limit."
    )
    if limit_lines:
        parts.append("Alert lines: " + ", ".join(label for _, label, _ in limit_lines) + ".")
    return " ".join(parts)
