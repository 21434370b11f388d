"""The demo back-dates its scores; the Outcomes page's summaries must follow."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import OutcomeCourse
from assessments.outcomes import refresh_outcome_courses

FIELDS = (
    "patient_id",
    "instrument_id",
    "baseline_at",
    "baseline_total",
    "latest_total",
    "follow_ups",
    "responded",
)


@pytest.mark.django_db
def test_the_demos_outcome_summaries_match_its_back_dated_scores():
    call_command("seed_demo", verbosity=0)
    stored = sorted(OutcomeCourse.objects.values_list(*FIELDS))
    assert stored
    assert any(row[2].date() < timezone.localdate() for row in stored)  # baselines weeks ago, not today
    refresh_outcome_courses()
    assert sorted(OutcomeCourse.objects.values_list(*FIELDS)) == stored
