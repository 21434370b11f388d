"""Charts and the progress-report PDF: the same server-rendered SVG in the page and in the PDF."""

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


def course_chart(course, width=640, height=260):
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
    svg = trend_chart_svg(
        title=f"{course.instrument.code} total",
        points=points,
        y_min=definition["scoring"]["min"],
        y_max=definition["scoring"]["max"],
        bands=[Band(band["min"], band["max"], band["label"]) for band in definition.get("bands", [])],
        baseline=baseline.total if baseline and course.follow_ups else None,
        threshold=threshold_for(definition),
        width=width,
        height=height,
        tz=timezone.get_current_timezone(),
    )
    return mark_safe(svg)  # noqa: S308  (built by charts.py, which escapes every text)


def progress_report_pdf(patient, courses, generated_by):
    from weasyprint import HTML

    html = render_to_string(
        "assessments/progress_report.html",
        {
            "patient": patient,
            "courses": [(course, course_chart(course, width=680, height=240)) for course in courses],
            "generated_by": generated_by,
            "clinic_settings": ClinicSettings.load(),
            "generated_at": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf(pdf_tags=True)
