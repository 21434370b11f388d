"""Settings of this app that were columns of clinic.ClinicSettings: new tables, filled with the
current row and every historical row (clinic/settings_split.py); clinic 0015 then drops the columns."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from clinic.settings_split import copy_from_clinic_settings


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0014_intake_self_verification"),
        ("assessments", "0005_integration_moved_to_sessions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    run_before = [("clinic", "0015_settings_moved_to_their_domains")]

    operations = [
        migrations.CreateModel(
            name="AssessmentSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "outcome_min_followups",
                    models.PositiveSmallIntegerField(
                        default=2,
                        help_text="Clinic-wide outcomes count patients with a baseline and at least this many later scores on the same instrument.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(52),
                        ],
                        verbose_name="follow-ups needed for outcome statistics",
                    ),
                ),
            ],
            options={
                "verbose_name": "assessment settings",
                "verbose_name_plural": "assessment settings",
            },
        ),
        migrations.CreateModel(
            name="HistoricalAssessmentSettings",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                (
                    "outcome_min_followups",
                    models.PositiveSmallIntegerField(
                        default=2,
                        help_text="Clinic-wide outcomes count patients with a baseline and at least this many later scores on the same instrument.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(52),
                        ],
                        verbose_name="follow-ups needed for outcome statistics",
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical assessment settings",
                "verbose_name_plural": "historical assessment settings",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        copy_from_clinic_settings(
            "assessments",
            "AssessmentSettings",
            [
                "outcome_min_followups",
            ],
        ),
    ]
