"""Settings of this app that were columns of clinic.ClinicSettings: new tables, filled with the
current row and every historical row (clinic/settings_split.py); clinic 0015 then drops the columns.
Also names the reverse accessor of Patient.user (user.patient_record; no change to the database)."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from clinic.settings_split import copy_from_clinic_settings


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0014_intake_self_verification"),
        ("patients", "0005_patient_search_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    run_before = [("clinic", "0015_settings_moved_to_their_domains")]

    operations = [
        migrations.CreateModel(
            name="PatientSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "intake_self_verification",
                    models.CharField(
                        choices=[
                            ("flag", "Allowed, and flagged to the prescriber"),
                            ("refuse", "Refused: another staff member verifies it"),
                        ],
                        default="flag",
                        help_text="A second person reading what was entered catches mistakes; a small clinic may have only one nurse on shift.",
                        max_length=6,
                        verbose_name="verifying an intake section you entered yourself",
                    ),
                ),
                (
                    "invitation_valid_hours",
                    models.PositiveSmallIntegerField(
                        default=72,
                        help_text="How long a portal invitation link works.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(720),
                        ],
                    ),
                ),
            ],
            options={
                "verbose_name": "patient settings",
                "verbose_name_plural": "patient settings",
            },
        ),
        migrations.AlterField(
            model_name="patient",
            name="user",
            field=models.OneToOneField(
                blank=True,
                help_text="The patient's portal login, once they accept an invitation.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="patient_record",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.CreateModel(
            name="HistoricalPatientSettings",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                (
                    "intake_self_verification",
                    models.CharField(
                        choices=[
                            ("flag", "Allowed, and flagged to the prescriber"),
                            ("refuse", "Refused: another staff member verifies it"),
                        ],
                        default="flag",
                        help_text="A second person reading what was entered catches mistakes; a small clinic may have only one nurse on shift.",
                        max_length=6,
                        verbose_name="verifying an intake section you entered yourself",
                    ),
                ),
                (
                    "invitation_valid_hours",
                    models.PositiveSmallIntegerField(
                        default=72,
                        help_text="How long a portal invitation link works.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(720),
                        ],
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
                "verbose_name": "historical patient settings",
                "verbose_name_plural": "historical patient settings",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        copy_from_clinic_settings(
            "patients",
            "PatientSettings",
            [
                "intake_self_verification",
                "invitation_valid_hours",
            ],
        ),
    ]
