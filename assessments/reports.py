"""Charts and the progress-report PDF: the same server-rendered SVG in the page and in the PDF."""

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from assessments.charts import Band, Point, trend_chart_svg
from clinic.models import ClinicSettings


def threshold_for(definition):
    outcomes = definition.get("outcomes") or {}
    if "remission_below" in outcomes:
        return (outcomes["remission_below"], f"Remission < {outcomes['remission_below']}")
    if "remission_at_most" in outcomes:
        return (outcomes["remission_at_most"], f"Remission ≤ {outcomes['remission_at_most']}")
    cutoff = definition.get("cutoff")
    if cutoff:
        return (cutoff["at_least"], f"{cutoff['label']} ≥ {cutoff['at_least']}")
    return None


#: A drawn chart is kept this long under a key made of everything it is drawn from, so a changed score
#: or band makes a new key and a stale chart is never shown.
CHART_CACHE_SECONDS = 24 * 60 * 60


def course_chart(course, width=640, height=260):
    """The course's chart as SVG. Drawing a long course (placing every label clear of the others) costs
    tens of milliseconds, and the same chart is opened again and again during a visit (measures, the
    report): it is cached by its content."""
    definition = course.definition
    baseline = course.baseline
    points = [
        Point(
            when=row["response"].completed_at,
            value=row["response"].total,
            label="Baseline" if row["is_baseline"] else "",
        )
        for row in course.rows()
    ]
    arguments = {
        "title": f"{course.instrument.code} total",
        "points": points,
        "y_min": definition["scoring"]["min"],
        "y_max": definition["scoring"]["max"],
        "bands": [Band(band["min"], band["max"], band["label"]) for band in definition.get("bands", [])],
        "baseline": baseline.total if baseline and course.follow_ups else None,
        "threshold": threshold_for(definition),
        "width": width,
        "height": height,
        "tz": timezone.get_current_timezone(),
    }
    key = "chart:" + hashlib.sha256(repr(sorted(arguments.items())).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = trend_chart_svg(**arguments)
        cache.set(key, svg, CHART_CACHE_SECONDS)
    return mark_safe(svg)  # noqa: S308  (built by charts.py, which escapes every text)


#: Rows of a course's score table in the report: the baseline and the latest. The chart above it draws
#: every score; a table of two years of weekly scores took WeasyPrint seconds to lay out.
REPORT_TABLE_ROWS = 24


def _report_rows(course):
    """The table's rows and how many earlier scores it leaves to the chart."""
    rows = course.recent_rows(REPORT_TABLE_ROWS)
    return rows, len(course.responses) - len(rows)


def progress_report_pdf(patient, courses, generated_by):
    from weasyprint import HTML

    html = render_to_string(
        "assessments/progress_report.html",
        {
            "patient": patient,
            "courses": [
                (course, course_chart(course, width=680, height=240), *_report_rows(course))
                for course in courses
            ],
            "generated_by": generated_by,
            "clinic_settings": ClinicSettings.load(),
            "generated_at": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf(pdf_tags=True)
