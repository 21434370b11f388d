"""Server-side SVG trend charts for rating-scale scores (PHQ-9, GAD-7, PCL-5, MADRS, ...).

Pure Python, no dependencies beyond ``clinic.svg`` (the shared drawing helpers, which escape every
text; the title and description are escaped here). The same string is used inline in HTML pages and
in WeasyPrint PDFs, so the SVG only uses presentation attributes: no <style> blocks, no scripts, no
external fonts, no random ids (ids are derived from a slug of the title, so output is deterministic).

    svg = trend_chart_svg(
        title="PHQ-9 total",
        points=[Point(when, 21, "Baseline"), Point(when2, 14)],
        y_min=0, y_max=27,
        bands=[Band(0, 4, "Minimal"), Band(5, 9, "Mild"), ...],
        markers=[Marker(session_time, "IV #3")],
        baseline=21, threshold=(5, "Remission < 5"),
        tz=ZoneInfo("America/New_York"),
    )

Bands whose edges are at most one point apart (0-4, 5-9, ...) are drawn meeting half-way
(at 4.5), since scores are whole numbers. Elements carry ``class`` names (``chart-point``,
``chart-band``, ...) as hooks for page CSS and tests; the chart does not depend on them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from xml.sax.saxutils import escape, quoteattr

from clinic import svg

__all__ = ["Band", "Marker", "Point", "trend_chart_svg"]

FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Colours (INK, MUTED and GRID: clinic.svg): everything stays distinguishable when printed in greyscale.
SERIES = "#1f4e79"
BAND_FILLS = ("#f3f5f7", "#e2e7ec")  # alternating light / darker tint
BASELINE_COLOUR = "#404040"
THRESHOLD_COLOUR = "#8b2a2a"
MARKER_COLOUR = "#8a8a8a"

TITLE_SIZE = 13
LABEL_SIZE = 10
VALUE_SIZE = 11
MARKER_ROW = 12  # height of one row of marker labels above the plot
MAX_MARKER_ROWS = 3
POINT_RADIUS = 4


@dataclass(frozen=True)
class Band:
    """A severity band, e.g. Band(5, 9, "Mild")."""

    min: float
    max: float
    label: str


@dataclass(frozen=True)
class Point:
    """One score; ``when`` must be timezone-aware. ``label`` is e.g. "Baseline"."""

    when: datetime
    value: float
    label: str = ""


@dataclass(frozen=True)
class Marker:
    """An event on the time axis, e.g. a treatment session "IV #3"."""

    when: datetime
    label: str


# --- small helpers -------------------------------------------------------------------------


def _short_date(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}"


def _long_date(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def _nice_step(span: float, max_ticks: int) -> float:
    """Smallest 1/2/2.5/5 x 10^k step giving at most ``max_ticks`` intervals over ``span``."""
    raw = span / max(1, max_ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if span / step <= max_ticks + 1e-9:
            return step
    return 10 * magnitude


def _y_ticks(y_min: float, y_max: float, max_ticks: int) -> list[float]:
    step = _nice_step(y_max - y_min, max_ticks)
    first = math.ceil(y_min / step - 1e-9) * step
    ticks = []
    v = first
    while v <= y_max + 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _x_ticks(start: datetime, end: datetime, anchor: date, tz: tzinfo, max_ticks: int) -> list[date]:
    """Dates (labelled at local noon) between start and end; 3-6 of them where possible.

    Day-based steps are anchored on the first data date, so weekly assessments get a tick
    on each assessment day; longer ranges use the first of the month.
    """
    lo = start.astimezone(tz).date() - timedelta(days=1)
    hi = end.astimezone(tz).date() + timedelta(days=1)

    def inside(d: date) -> bool:
        return start <= _noon(d, tz) <= end

    candidates: list[list[date]] = []
    for step in (1, 2, 3, 7, 14):
        k0 = -((anchor - lo).days // step)
        days = []
        d = anchor + timedelta(days=k0 * step)
        while d <= hi:
            if inside(d):
                days.append(d)
            d += timedelta(days=step)
        candidates.append(days)
    for step in (1, 2, 3, 6, 12):
        first = date(lo.year, 1, 1)
        days = []
        d = first
        while d <= hi:
            if d >= lo and (d.month - 1) % step == 0 and inside(d):
                days.append(d)
            d = _add_months(d, 1)
        candidates.append(days)
    for days in candidates:
        if 2 <= len(days) <= max_ticks:
            return days
    fitting = [days for days in candidates if len(days) <= max_ticks]
    return max(fitting, key=len) if fitting else []


def _noon(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(12), tzinfo=tz)


# --- the chart -----------------------------------------------------------------------------


def trend_chart_svg(
    *,
    title: str,
    points: Sequence[Point],
    y_min: float,
    y_max: float,
    bands: Sequence[Band] = (),
    markers: Sequence[Marker] = (),
    baseline: float | None = None,
    threshold: tuple[float, str] | None = None,
    width: int = 640,
    height: int = 260,
    tz: tzinfo | None = None,
) -> str:
    """Render a score trend as a complete, self-contained ``<svg>`` string.

    Values outside ``y_min..y_max`` are drawn at the edge of the plot, labelled with their
    real value. With no points the chart shows only the title and "No scores yet".
    """
    # Scores may come from the database as Decimal or int; the geometry works in floats.
    y_min, y_max = float(y_min), float(y_max)
    if not y_max > y_min:
        raise ValueError(f"y_max ({y_max}) must be greater than y_min ({y_min})")
    tz = tz or UTC
    for p in points:
        svg.require_aware(p.when, "Point")
    for m in markers:
        svg.require_aware(m.when, "Marker")
    points = sorted((replace(p, value=float(p.value)) for p in points), key=lambda p: p.when)
    bands = [replace(b, min=float(b.min), max=float(b.max)) for b in bands]
    baseline = None if baseline is None else float(baseline)
    threshold = None if threshold is None else (float(threshold[0]), threshold[1])
    markers = sorted(markers, key=lambda m: m.when)

    slug = svg.slug(title)
    title_id, desc_id = f"{slug}-title", f"{slug}-desc"
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
            class_="trend-chart",
        )
        + ">",
        f"<title id={quoteattr(title_id)}>{escape(title)}</title>",
        f"<desc id={quoteattr(desc_id)}>{escape(_describe(title, points, markers, baseline, threshold, tz))}</desc>",
        svg.text(8, 17, title, size=TITLE_SIZE, font_weight="bold", fill=svg.INK, class_="chart-title"),
    ]

    if not points:
        out.append(
            svg.text(
                width / 2,
                height / 2 + 5,
                "No scores yet",
                size=13,
                fill=svg.MUTED,
                text_anchor="middle",
                class_="chart-empty",
            )
        )
        out.append("</svg>")
        return "\n".join(out)

    # -- horizontal layout: y tick labels on the left, a gutter for band labels on the right
    ticks_y_count = max(2, min(6, int((height - 60) / 24)))
    y_ticks = _y_ticks(y_min, y_max, ticks_y_count)
    y_label_width = max(svg.text_width(svg.fmt_value(v), LABEL_SIZE) for v in y_ticks)
    plot_left = max(28.0, y_label_width + 12)
    plot_right = width - 8.0
    gutter = 0.0
    if bands:
        gutter = max(svg.text_width(b.label, LABEL_SIZE) for b in bands) + 10
        gutter = min(gutter, (plot_right - plot_left) * 0.35)
    data_left = plot_left + 26  # room for a centred "Baseline" label at the first point
    data_right = plot_right - gutter - 18

    # -- time scale
    times = [p.when for p in points] + [m.when for m in markers]
    t_first, t_last = min(times), max(times)
    span = (t_last - t_first).total_seconds()
    min_span = 3 * 86400.0
    if span < min_span:  # a single day (or point) is centred in a three-day window
        middle = t_first + timedelta(seconds=span / 2)
        t_first = middle - timedelta(seconds=min_span / 2)
        t_last = middle + timedelta(seconds=min_span / 2)
        span = min_span
    px_per_second = (data_right - data_left) / span

    def x_of(when: datetime) -> float:
        return data_left + (when - t_first).total_seconds() * px_per_second

    def time_at(x: float) -> datetime:
        return t_first + timedelta(seconds=(x - data_left) / px_per_second)

    # -- marker label rows (above the plot), greedy row assignment to avoid overlaps
    marker_layout: list[tuple[Marker, float, int | None]] = []
    row_ends: list[float] = []
    for m in markers:
        x = x_of(m.when)
        w = svg.text_width(m.label, LABEL_SIZE)
        left = min(max(x - w / 2, 2.0), width - 2.0 - w)
        row = None
        for i, end in enumerate(row_ends):
            if left >= end + 4:
                row = i
                break
        if row is None and len(row_ends) < MAX_MARKER_ROWS:
            row_ends.append(-math.inf)
            row = len(row_ends) - 1
        if row is not None:
            row_ends[row] = left + w
        marker_layout.append((m, x, row))

    plot_top = 26.0 + len(row_ends) * MARKER_ROW + (4 if row_ends else 0)
    plot_bottom = height - 22.0
    plot_box = svg.Box(plot_left, plot_top, plot_right, plot_bottom)
    y_scale = (plot_bottom - plot_top) / (y_max - y_min)

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return plot_bottom - (clamped - y_min) * y_scale

    obstacles = _Near()

    # -- bands
    out.append('<g class="chart-bands">')
    ordered = sorted(bands, key=lambda b: b.min)
    edges: list[tuple[float, float]] = []
    for i, band in enumerate(ordered):
        lo, hi = band.min, band.max
        if i > 0 and 0 <= band.min - ordered[i - 1].max <= 1:
            lo = (band.min + ordered[i - 1].max) / 2
        if i + 1 < len(ordered) and 0 <= ordered[i + 1].min - band.max <= 1:
            hi = (ordered[i + 1].min + band.max) / 2
        edges.append((max(lo, y_min), min(hi, y_max)))
    shade = 0
    for band, (lo, hi) in zip(ordered, edges, strict=True):
        if hi <= lo:
            continue  # entirely outside y_min..y_max
        top, bottom = y_of(hi), y_of(lo)
        fill = BAND_FILLS[shade % 2]
        shade += 1
        out.append(
            f"<rect {svg.attrs(x=plot_left, y=top, width=plot_right - plot_left, height=bottom - top, fill=fill, class_='chart-band')}/>"
        )
        size = LABEL_SIZE
        label_y = (top + bottom) / 2 + size * 0.35
        out.append(
            svg.text(
                plot_right - 4,
                label_y,
                band.label,
                size=size,
                fill=svg.MUTED,
                text_anchor="end",
                class_="chart-band-label",
            )
        )
        obstacles.append(svg.text_box(plot_right - 4, label_y, band.label, size, "end"))
    out.append("</g>")

    # -- y grid and ticks
    out.append('<g class="chart-y-axis">')
    for v in y_ticks:
        y = y_of(v)
        out.append(
            f"<line {svg.attrs(x1=plot_left, y1=y, x2=plot_right, y2=y, stroke=svg.GRID, stroke_width=0.6, class_='chart-grid')}/>"
        )
        out.append(
            svg.text(
                plot_left - 5,
                y + 3.5,
                svg.fmt_value(v),
                fill=svg.MUTED,
                text_anchor="end",
                class_="chart-y-tick",
            )
        )
    out.append("</g>")

    # -- x ticks (dates in the clinic's time zone)
    max_x_ticks = max(2, min(6, int((data_right - data_left + 40) / 60)))
    anchor = points[0].when.astimezone(tz).date()
    # Ticks stay clear of the band-label gutter and their labels inside the drawing.
    tick_end = time_at(min(plot_right - gutter, width - 22.0))
    tick_dates = _x_ticks(time_at(max(plot_left + 4, 22.0)), tick_end, anchor, tz, max_x_ticks)
    show_year = len({d.year for d in tick_dates}) > 1
    out.append('<g class="chart-x-axis">')
    out.append(
        f"<line {svg.attrs(x1=plot_left, y1=plot_bottom, x2=plot_right, y2=plot_bottom, stroke=svg.MUTED, stroke_width=0.8)}/>"
    )
    previous_year = None
    for d in tick_dates:
        x = x_of(_noon(d, tz))
        out.append(
            f"<line {svg.attrs(x1=x, y1=plot_bottom, x2=x, y2=plot_bottom + 4, stroke=svg.MUTED, stroke_width=0.8)}/>"
        )
        label = _short_date(d)
        if show_year and d.year != previous_year:
            label = f"{label}, {d.year}"
        previous_year = d.year
        half = svg.text_width(label, LABEL_SIZE) / 2
        label_x = min(max(x, half + 2), width - half - 2)  # keep the label inside the drawing
        out.append(
            svg.text(
                label_x, plot_bottom + 15, label, fill=svg.MUTED, text_anchor="middle", class_="chart-x-tick"
            )
        )
    out.append("</g>")

    # -- markers: thin dashed vertical lines with labels above the plot (row 0 nearest the plot)
    marker_segments = _Near()
    if markers:
        out.append('<g class="chart-markers">')
        for m, x, row in marker_layout:
            out.append(
                f"<line {svg.attrs(x1=x, y1=plot_top, x2=x, y2=plot_bottom, stroke=MARKER_COLOUR, stroke_width=0.8, stroke_dasharray='4 3', class_='chart-marker')}>"
                f"<title>{escape(m.label)}</title></line>"
            )
            marker_segments.append(((x, plot_top), (x, plot_bottom)))
            if row is None:
                continue  # too crowded: the line stays, its label is in <desc> and the tooltip
            w = svg.text_width(m.label, LABEL_SIZE)
            left = min(max(x - w / 2, 2.0), width - 2.0 - w)
            y = plot_top - 4 - row * MARKER_ROW
            out.append(
                svg.text(
                    left + w / 2,
                    y,
                    m.label,
                    fill=svg.MUTED,
                    text_anchor="middle",
                    class_="chart-marker-label",
                )
            )
        out.append("</g>")

    # -- series geometry (needed for label collision checks)
    coords = [(x_of(p.when), y_of(p.value)) for p in points]
    lines = _Near()
    lines.extend(itertools.pairwise(coords))

    def free(box: svg.Box, strict: bool = True) -> bool:
        """Inside the plot and clear of other labels and lines (strict: of marker lines too)."""
        if not box.inside(plot_box):
            return False
        if any(box.overlaps(o) for o in obstacles.near(box)):
            return False
        if any(box.hits_segment(a, b) for a, b in lines.near(box)):
            return False
        return not (strict and any(box.hits_segment(a, b) for a, b in marker_segments.near(box)))

    # -- reference lines: baseline (dashed) and threshold (dotted)
    refs: list[tuple[float, str, str, str, str]] = []
    if baseline is not None:
        refs.append(
            (baseline, f"Baseline {svg.fmt_value(baseline)}", "6 4", BASELINE_COLOUR, "chart-baseline")
        )
    if threshold is not None:
        refs.append((threshold[0], threshold[1], "1.5 3", THRESHOLD_COLOUR, "chart-threshold"))
    point_boxes = [
        svg.Box(x - POINT_RADIUS, y - POINT_RADIUS, x + POINT_RADIUS, y + POINT_RADIUS) for x, y in coords
    ]
    ref_label_plans = []
    for value, label, dash, colour, cls in refs:
        y = y_of(value)
        out.append(
            f"<line {svg.attrs(x1=plot_left, y1=y, x2=plot_right, y2=y, stroke=colour, stroke_width=1.3, stroke_dasharray=dash, stroke_linecap='round' if cls == 'chart-threshold' else None, class_=cls)}/>"
        )
        ref_label_plans.append((y, label, colour, cls))
        lines.append(((plot_left, y), (plot_right, y)))

    # Point labels first (they matter most), then reference labels around them.
    obstacles.extend(point_boxes)
    point_texts: list[str] = []
    for p, (x, y) in zip(points, coords, strict=True):
        options = _label_options(x, y, svg.fmt_value(p.value), p.label, plot_box)
        chosen = next(
            (o for strict in (True, False) for o in options if all(free(item.box, strict) for item in o)),
            None,
        )
        if chosen is None:  # crowded: prefer whichever stays inside the plot
            chosen = next((o for o in options if all(item.box.inside(plot_box) for item in o)), options[0])
        for item in chosen:
            obstacles.append(item.box)
            if item.kind == "value":
                point_texts.append(
                    svg.text(
                        item.x,
                        item.y,
                        item.text,
                        size=VALUE_SIZE,
                        font_weight="bold",
                        fill=svg.INK,
                        text_anchor=item.anchor,
                        class_="chart-value",
                    )
                )
            else:
                point_texts.append(
                    svg.text(
                        item.x,
                        item.y,
                        item.text,
                        fill=svg.MUTED,
                        text_anchor=item.anchor,
                        class_="chart-point-label",
                    )
                )

    ref_texts = []
    for y, label, colour, cls in ref_label_plans:
        candidates = [
            (plot_right - gutter - 4, y - 4, "end"),
            (plot_right - gutter - 4, y + 12, "end"),
            (plot_left + 4, y - 4, "start"),
            (plot_left + 4, y + 12, "start"),
            ((plot_left + plot_right - gutter) / 2, y - 4, "middle"),
            ((plot_left + plot_right - gutter) / 2, y + 12, "middle"),
            (plot_right - 4, y - 4, "end"),
            (plot_right - 4, y + 12, "end"),
        ]
        boxed = [
            (cx, cy, anchor, svg.text_box(cx, cy, label, LABEL_SIZE, anchor)) for cx, cy, anchor in candidates
        ]
        cx, cy, anchor, box = next(
            (c for strict in (True, False) for c in boxed if free(c[3], strict)),
            next((c for c in boxed if c[3].inside(plot_box)), boxed[0]),
        )
        obstacles.append(box)
        ref_texts.append(svg.text(cx, cy, label, fill=colour, text_anchor=anchor, class_=f"{cls}-label"))

    # -- series: line, points, then all text on top
    out.append('<g class="chart-series">')
    if len(coords) > 1:
        out.append(
            f"<polyline {svg.attrs(points=' '.join(f'{svg.num(x)},{svg.num(y)}' for x, y in coords), fill='none', stroke=SERIES, stroke_width=2, stroke_linejoin='round', stroke_linecap='round', class_='chart-line')}/>"
        )
    for p, (x, y) in zip(points, coords, strict=True):
        clamped = not (y_min <= p.value <= y_max)
        out.append(
            f"<circle {svg.attrs(cx=x, cy=y, r=POINT_RADIUS, fill='white' if clamped else SERIES, stroke=SERIES, stroke_width=1.5, class_='chart-point')}>"
            f"<title>{escape(_point_words(p, tz))}</title></circle>"
        )
    out.append("</g>")
    out.append('<g class="chart-labels">')
    out.extend(ref_texts)
    out.extend(point_texts)
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class _Label:
    text: str
    x: float
    y: float
    kind: str  # "value" or "label"
    anchor: str
    box: svg.Box


class _Near:
    """Boxes or segments filed by the columns of the chart they span, so a label is tested only
    against what is near it: placing n labels costs about n, not n² (a 150-score course)."""

    COLUMN = 24.0

    def __init__(self):
        self.columns: dict[int, list] = {}

    def _span(self, x0: float, x1: float) -> range:
        # One spare pixel each side: Box.overlaps counts a 1 px gap as touching.
        return range(math.floor((x0 - 2) / self.COLUMN), math.floor((x1 + 2) / self.COLUMN) + 1)

    def append(self, item) -> None:
        if isinstance(item, svg.Box):
            x0, x1 = item.x0, item.x1
        else:
            (ax, _), (bx, _) = item
            x0, x1 = min(ax, bx), max(ax, bx)
        for column in self._span(x0, x1):
            self.columns.setdefault(column, []).append(item)

    def extend(self, items) -> None:
        for item in items:
            self.append(item)

    def near(self, box: svg.Box):
        seen = set()
        for column in self._span(box.x0, box.x1):
            for item in self.columns.get(column, ()):
                if id(item) not in seen:
                    seen.add(id(item))
                    yield item


def _label_options(x: float, y: float, value: str, label: str, area: svg.Box) -> list[list[_Label]]:
    """Where a point's value (and optional label under it) can go, best first.

    Above the point, below it, then to its right and left. Stacks are shifted just enough to
    stay within ``area`` where they can be (sideways when centred, up/down when beside).
    """
    lo, hi = area.x0, area.x1
    texts = [(value, VALUE_SIZE, "value")] + ([(label, LABEL_SIZE, "label")] if label else [])
    half = max(svg.text_width(text, size) for text, size, _ in texts) / 2
    cx = min(max(x, lo + half + 1), hi - half - 1)
    line_gap = LABEL_SIZE + 1

    def stack(sx: float, first_baseline: float, anchor: str) -> list[_Label]:
        out = []
        baseline = first_baseline
        for text, size, kind in texts:
            out.append(
                _Label(text, sx, baseline, kind, anchor, svg.text_box(sx, baseline, text, size, anchor))
            )
            baseline += line_gap
        return out

    above_baseline = y - POINT_RADIUS - 4 - (line_gap if label else 0)
    below_baseline = y + POINT_RADIUS + 3 + VALUE_SIZE * 0.78
    side_baseline = y + VALUE_SIZE * 0.35 - (line_gap / 2 if label else 0)
    side_height = line_gap if label else 0
    side_baseline = min(max(side_baseline, area.y0 + VALUE_SIZE * 0.78 + 1), area.y1 - side_height - 3.5)
    return [
        stack(cx, above_baseline, "middle"),
        stack(cx, below_baseline, "middle"),
        stack(x + POINT_RADIUS + 4, side_baseline, "start"),
        stack(x - POINT_RADIUS - 4, side_baseline, "end"),
    ]


def _point_words(p: Point, tz: tzinfo) -> str:
    words = f"{svg.fmt_value(p.value)} on {_long_date(p.when.astimezone(tz).date())}"
    return f"{words} ({p.label})" if p.label else words


def _describe(
    title: str,
    points: Sequence[Point],
    markers: Sequence[Marker],
    baseline: float | None,
    threshold: tuple[float, str] | None,
    tz: tzinfo,
) -> str:
    """The chart in words, for screen readers and PDF text extraction."""
    if not points:
        return f"{title}: no scores yet."
    text = f"{title}: " + "; ".join(_point_words(p, tz) for p in points) + "."
    if baseline is not None:
        text += f" Baseline {svg.fmt_value(baseline)}."
    if threshold is not None:
        text += f" Threshold {svg.fmt_value(threshold[0])}: {threshold[1]}."
    if markers:
        text += (
            " Marked events: "
            + "; ".join(f"{m.label} on {_long_date(m.when.astimezone(tz).date())}" for m in markers)
            + "."
        )
    return text
