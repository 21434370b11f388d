"""Shared SVG drawing helpers: pure Python, every text escaped.

The small pieces the server-side charts are drawn with (``assessments.charts``, the score trends, and
``sessions.charting.flowsheet``, the vitals flowsheet): attribute rendering, ``<text>`` elements,
number formatting, rough text measurement and id slugs. No clinical domain and no Django.

Callers put the SVG they build from these helpers through ``mark_safe`` (inline in pages and in
WeasyPrint PDFs), so every text goes out escaped: attribute values through ``quoteattr`` (in
``attrs``), text content through ``escape`` (in ``text``), and ``slug`` keeps only ``[a-z0-9-]``.
Attribute *names* are the caller's keyword names, never data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "GRID",
    "INK",
    "MUTED",
    "Box",
    "attrs",
    "fmt_value",
    "num",
    "require_aware",
    "slug",
    "text",
    "text_box",
    "text_width",
]

# Colours shared by the charts: everything stays distinguishable when printed in greyscale.
INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#d9d9d9"


@dataclass(frozen=True)
class Box:
    """An axis-aligned box (SVG coordinates: y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, gap: float = 1.0) -> bool:
        return not (
            self.x1 + gap <= other.x0
            or other.x1 + gap <= self.x0
            or self.y1 + gap <= other.y0
            or other.y1 + gap <= self.y0
        )

    def inside(self, outer: Box) -> bool:
        return self.x0 >= outer.x0 and self.x1 <= outer.x1 and self.y0 >= outer.y0 and self.y1 <= outer.y1

    def hits_segment(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the segment a-b passes through the box (sampled every ~2px)."""
        steps = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1]) / 2))
        # Only the samples whose index can fall inside the box are tested (one spare on each side
        # absorbs rounding), so a long line costs as much as a short one and the answer is unchanged.
        first, last = 0, steps
        for start, delta, low, high in (
            (a[0], b[0] - a[0], self.x0, self.x1),
            (a[1], b[1] - a[1], self.y0, self.y1),
        ):
            if delta == 0:
                if not low <= start <= high:
                    return False
                continue
            lo_t, hi_t = sorted(((low - start) / delta * steps, (high - start) / delta * steps))
            first = max(first, math.floor(lo_t) - 1)
            last = min(last, math.ceil(hi_t) + 1)
        for i in range(first, last + 1):
            x = a[0] + (b[0] - a[0]) * i / steps
            y = a[1] + (b[1] - a[1]) * i / steps
            if self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1:
                return True
        return False


def text_width(content: str, size: float) -> float:
    """Rough advance width for DejaVu Sans (wide glyphs; errs on the generous side)."""
    return len(content) * size * 0.62


def text_box(x: float, y: float, content: str, size: float, anchor: str = "middle") -> Box:
    """Box of a text run whose baseline starts at (x, y)."""
    w = text_width(content, size)
    if anchor == "middle":
        x0 = x - w / 2
    elif anchor == "end":
        x0 = x - w
    else:
        x0 = x
    return Box(x0, y - size * 0.78, x0 + w, y + size * 0.22)


def num(v: float) -> str:
    """Coordinate formatting: one decimal, no trailing '.0'."""
    s = f"{v:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def fmt_value(v: float) -> str:
    """Value formatting: 21 -> "21", 14.5 -> "14.5", 3.333 -> "3.33"."""
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def slug(title: str) -> str:
    """A deterministic id from a title: "PHQ-9 total" -> "chart-phq-9-total" (only ``[a-z0-9-]``)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"chart-{cleaned}" if cleaned else "chart"


def attrs(**attributes: object) -> str:
    """Render attributes; trailing underscores are dropped and other underscores become dashes.

    Every value is escaped and quoted (``quoteattr``); ``None`` leaves the attribute out and floats
    are formatted by ``num``.
    """
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = num(value)
        parts.append(f"{name}={quoteattr(str(value))}")
    return " ".join(parts)


def text(x: float, y: float, content: str, *, size: float = 10, **attributes: object) -> str:
    """A ``<text>`` element; ``content`` is escaped, the attributes are rendered by ``attrs``."""
    return f"<text {attrs(x=x, y=y, font_size=size, **attributes)}>{escape(content)}</text>"


def require_aware(when: datetime, what: str) -> None:
    """Raise ``ValueError`` unless ``when`` is timezone-aware (``what`` names it in the message)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what} datetime must be timezone-aware, got {when!r}")
