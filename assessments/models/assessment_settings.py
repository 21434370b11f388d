"""The assessments layer's settings: outcome statistics."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from clinic.models import SingletonSettings


class AssessmentSettings(SingletonSettings):
    """One row an administrator edits in Django admin (Assessments › Assessment settings)."""

    outcome_min_followups = models.PositiveSmallIntegerField(
        "follow-ups needed for outcome statistics",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="Clinic-wide outcomes count patients with a baseline and at least this many "
        "later scores on the same instrument.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "assessment settings"
        verbose_name_plural = "assessment settings"
