"""The patients layer's settings: intake verification and portal invitations."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from clinic.models import SingletonSettings


class PatientSettings(SingletonSettings):
    """One row an administrator edits in Django admin (Patients › Patient settings)."""

    intake_self_verification = models.CharField(
        "verifying an intake section you entered yourself",
        max_length=6,
        choices=[
            ("flag", "Allowed, and flagged to the prescriber"),
            ("refuse", "Refused: another staff member verifies it"),
        ],
        default="flag",
        help_text="A second person reading what was entered catches mistakes; a small clinic may have "
        "only one nurse on shift.",
    )
    invitation_valid_hours = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text="How long a portal invitation link works.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "patient settings"
        verbose_name_plural = "patient settings"
