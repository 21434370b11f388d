"""A long course: the report's table keeps the baseline and the latest scores (the chart draws every
one), and a chart is drawn again whenever what it shows changes, never served stale from the cache."""

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

from django.urls import reverse

from assessments.models import AssessmentResponse
from assessments.outcomes import patient_courses
from assessments.reports import REPORT_TABLE_ROWS, course_chart
from assessments.services import current_version_for
from conftest import require_service

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def weekly_phq9(patient, user, weeks):
    version = current_version_for("PHQ-9")
    return [
        AssessmentResponse.objects.create(
            patient=patient,
            version=version,
            mode="clinic",
            answers={},
            total=27 - week % 27,
            completed_at=START + timedelta(weeks=week),
            entered_by=user,
        )
        for week in range(weeks)
    ]


def test_the_report_lists_the_baseline_and_latest_scores_of_a_long_course(client_for, nurse, patient_a):
    weekly_phq9(patient_a, nurse, 40)
    response = client_for(nurse).get(reverse("assessments:report", args=[patient_a.external_id]))
    require_service(shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    table = text.split("Severity", 1)[1]
    assert "Jan 5, 2026" in table and "(baseline)" in table
    assert "Oct 5, 2026" in table  # the 40th week, the latest
    assert "Feb 2, 2026" not in table  # an early score: in the chart only
    left_out = 40 - REPORT_TABLE_ROWS
    assert f"the {left_out} other scores in between are drawn in the chart" in " ".join(text.split())


def test_a_changed_score_draws_a_new_chart(nurse, patient_a):
    responses = weekly_phq9(patient_a, nurse, 5)
    before = course_chart(patient_courses(patient_a)[0])
    assert course_chart(patient_courses(patient_a)[0]) == before  # the same data, the same chart
    responses[-1].total = 3
    responses[-1].save()
    after = course_chart(patient_courses(patient_a)[0])
    assert after != before
    assert ">3<" in after or " 3 " in after or "3</text>" in after
