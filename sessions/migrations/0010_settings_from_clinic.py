"""Settings of this app that were columns of clinic.ClinicSettings: new tables, filled with the
current row and every historical row (clinic/settings_split.py); clinic 0015 then drops the columns."""

import datetime
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from clinic.settings_split import copy_from_clinic_settings


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0014_intake_self_verification"),
        ("treatment_sessions", "0009_integration_moves_here"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    run_before = [("clinic", "0015_settings_moved_to_their_domains")]

    operations = [
        migrations.CreateModel(
            name="ChartingSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "max_mg_per_kg",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("1.00"),
                        help_text="An order above this is a hard stop that only a prescriber can override, with a reason.",
                        max_digits=4,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0.05")),
                            django.core.validators.MaxValueValidator(Decimal("2")),
                        ],
                        verbose_name="maximum mg/kg (IV, IM)",
                    ),
                ),
                (
                    "max_dose_mg",
                    models.DecimalField(
                        decimal_places=1,
                        default=Decimal("150.0"),
                        max_digits=5,
                        validators=[django.core.validators.MinValueValidator(Decimal("1"))],
                        verbose_name="maximum dose mg (IV, IM)",
                    ),
                ),
                (
                    "max_esketamine_mg",
                    models.DecimalField(
                        decimal_places=1,
                        default=Decimal("84.0"),
                        max_digits=4,
                        verbose_name="maximum esketamine dose mg",
                    ),
                ),
                (
                    "weight_valid_days",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="0: the weight for a weight-based dose must be taken the same day.",
                        validators=[django.core.validators.MaxValueValidator(30)],
                        verbose_name="weight valid for (days)",
                    ),
                ),
                (
                    "monitoring_minutes",
                    models.PositiveSmallIntegerField(
                        default=120,
                        help_text="Vitals are expected until then; esketamine always at least 120.",
                        validators=[
                            django.core.validators.MinValueValidator(30),
                            django.core.validators.MaxValueValidator(360),
                        ],
                        verbose_name="monitoring after the dose starts (minutes)",
                    ),
                ),
                (
                    "pump_rate_resolution",
                    models.DecimalField(
                        choices=[
                            (Decimal("0.01"), "0.01 mL/h"),
                            (Decimal("0.1"), "0.1 mL/h"),
                            (Decimal("1"), "1 mL/h"),
                        ],
                        decimal_places=2,
                        default=Decimal("0.1"),
                        help_text="The smallest rate step of the clinic's infusion pumps (syringe pumps commonly 0.1 mL/h, large-volume pumps 1 mL/h). An order whose rate, rounded to it, changes the dose by more than 5 % is refused and a dilution is proposed.",
                        max_digits=4,
                        verbose_name="pump rate resolution (mL/h)",
                    ),
                ),
                (
                    "hold_sbp",
                    models.PositiveSmallIntegerField(
                        default=160, verbose_name="pre-dose hold: systolic above"
                    ),
                ),
                (
                    "hold_dbp",
                    models.PositiveSmallIntegerField(
                        default=100, verbose_name="pre-dose hold: diastolic above"
                    ),
                ),
                (
                    "hold_spo2_below",
                    models.PositiveSmallIntegerField(
                        default=92,
                        validators=[django.core.validators.MaxValueValidator(100)],
                        verbose_name="pre-dose hold: SpO2 below (%)",
                    ),
                ),
                (
                    "hold_hr_above",
                    models.PositiveSmallIntegerField(
                        default=120, verbose_name="pre-dose hold: heart rate above"
                    ),
                ),
                (
                    "hold_hr_below",
                    models.PositiveSmallIntegerField(
                        default=50, verbose_name="pre-dose hold: heart rate below"
                    ),
                ),
                (
                    "hold_rr_below",
                    models.PositiveSmallIntegerField(
                        default=10, verbose_name="pre-dose hold: respiratory rate below"
                    ),
                ),
                (
                    "hold_rr_above",
                    models.PositiveSmallIntegerField(
                        default=24, verbose_name="pre-dose hold: respiratory rate above"
                    ),
                ),
                (
                    "hold_temp_c",
                    models.DecimalField(
                        decimal_places=1,
                        default=Decimal("38.0"),
                        max_digits=3,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("36")),
                            django.core.validators.MaxValueValidator(Decimal("42")),
                        ],
                        verbose_name="pre-dose hold: temperature at or above (°C)",
                    ),
                ),
                (
                    "caution_sbp",
                    models.PositiveSmallIntegerField(
                        default=140, verbose_name="pre-dose caution: systolic above"
                    ),
                ),
                (
                    "caution_dbp",
                    models.PositiveSmallIntegerField(
                        default=90, verbose_name="pre-dose caution: diastolic above"
                    ),
                ),
                (
                    "caution_spo2_below",
                    models.PositiveSmallIntegerField(
                        default=95,
                        validators=[django.core.validators.MaxValueValidator(100)],
                        verbose_name="pre-dose caution: SpO2 below (%)",
                    ),
                ),
                (
                    "caution_hr_above",
                    models.PositiveSmallIntegerField(
                        default=100, verbose_name="pre-dose caution: heart rate above"
                    ),
                ),
                (
                    "alert_sbp_above",
                    models.PositiveSmallIntegerField(default=180, verbose_name="alert: systolic above"),
                ),
                (
                    "alert_dbp_above",
                    models.PositiveSmallIntegerField(default=110, verbose_name="alert: diastolic above"),
                ),
                (
                    "alert_sbp_below",
                    models.PositiveSmallIntegerField(
                        default=90,
                        help_text="Before the dose, a caution.",
                        verbose_name="alert: systolic below",
                    ),
                ),
                (
                    "alert_dbp_below",
                    models.PositiveSmallIntegerField(
                        default=50,
                        help_text="Before the dose, a caution.",
                        verbose_name="alert: diastolic below",
                    ),
                ),
                (
                    "alert_hr_above",
                    models.PositiveSmallIntegerField(default=120, verbose_name="alert: heart rate above"),
                ),
                (
                    "alert_hr_below",
                    models.PositiveSmallIntegerField(default=50, verbose_name="alert: heart rate below"),
                ),
                (
                    "alert_spo2_below",
                    models.PositiveSmallIntegerField(default=92, verbose_name="alert: SpO2 below"),
                ),
                (
                    "alert_rr_below",
                    models.PositiveSmallIntegerField(
                        default=10, verbose_name="alert: respiratory rate below"
                    ),
                ),
                (
                    "alert_rr_above",
                    models.PositiveSmallIntegerField(
                        default=24, verbose_name="alert: respiratory rate above"
                    ),
                ),
                (
                    "moaas_alert_at_most",
                    models.PositiveSmallIntegerField(
                        default=2,
                        validators=[django.core.validators.MaxValueValidator(5)],
                        verbose_name="alert: MOAA/S at or below",
                    ),
                ),
            ],
            options={
                "verbose_name": "charting settings",
                "verbose_name_plural": "charting settings",
            },
        ),
        migrations.CreateModel(
            name="SchedulingSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "reminder_hours",
                    models.CharField(
                        default="72,24",
                        help_text="When appointment reminders go out, in hours before the start.",
                        max_length=40,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^\\d{1,3}(,\\d{1,3})*$", "Whole hours separated by commas, e.g. 72,24."
                            )
                        ],
                        verbose_name="reminder hours before",
                    ),
                ),
                ("sms_reminders", models.BooleanField(default=True, help_text="Also send reminders by SMS.")),
                (
                    "quiet_hours_start",
                    models.TimeField(default=datetime.time(21, 0), help_text="No SMS from this time…"),
                ),
                (
                    "quiet_hours_end",
                    models.TimeField(default=datetime.time(8, 0), help_text="…until this time."),
                ),
                (
                    "cancellation_window_hours",
                    models.PositiveSmallIntegerField(
                        default=24,
                        help_text="Patients may cancel or ask to reschedule in the portal until this many hours before; a cancellation inside the window counts as late.",
                        validators=[django.core.validators.MaxValueValidator(336)],
                    ),
                ),
                (
                    "questionnaire_reminder_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="An unanswered follow-up questionnaire is re-sent daily for this many days, then expires and shows as missed on the chart.",
                        validators=[django.core.validators.MaxValueValidator(14)],
                        verbose_name="questionnaire reminders (days)",
                    ),
                ),
            ],
            options={
                "verbose_name": "scheduling settings",
                "verbose_name_plural": "scheduling settings",
            },
        ),
        migrations.CreateModel(
            name="HistoricalChartingSettings",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                (
                    "max_mg_per_kg",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("1.00"),
                        help_text="An order above this is a hard stop that only a prescriber can override, with a reason.",
                        max_digits=4,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0.05")),
                            django.core.validators.MaxValueValidator(Decimal("2")),
                        ],
                        verbose_name="maximum mg/kg (IV, IM)",
                    ),
                ),
                (
                    "max_dose_mg",
                    models.DecimalField(
                        decimal_places=1,
                        default=Decimal("150.0"),
                        max_digits=5,
                        validators=[django.core.validators.MinValueValidator(Decimal("1"))],
                        verbose_name="maximum dose mg (IV, IM)",
                    ),
                ),
                (
                    "max_esketamine_mg",
                    models.DecimalField(
                        decimal_places=1,
                        default=Decimal("84.0"),
                        max_digits=4,
                        verbose_name="maximum esketamine dose mg",
                    ),
                ),
                (
                    "weight_valid_days",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="0: the weight for a weight-based dose must be taken the same day.",
                        validators=[django.core.validators.MaxValueValidator(30)],
                        verbose_name="weight valid for (days)",
                    ),
                ),
                (
                    "monitoring_minutes",
                    models.PositiveSmallIntegerField(
                        default=120,
                        help_text="Vitals are expected until then; esketamine always at least 120.",
                        validators=[
                            django.core.validators.MinValueValidator(30),
                            django.core.validators.MaxValueValidator(360),
                        ],
                        verbose_name="monitoring after the dose starts (minutes)",
                    ),
                ),
                (
                    "pump_rate_resolution",
                    models.DecimalField(
                        choices=[
                            (Decimal("0.01"), "0.01 mL/h"),
                            (Decimal("0.1"), "0.1 mL/h"),
                            (Decimal("1"), "1 mL/h"),
                        ],
                        decimal_places=2,
                        default=Decimal("0.1"),
                        help_text="The smallest rate step of the clinic's infusion pumps (syringe pumps commonly 0.1 mL/h, large-volume pumps 1 mL/h). An order whose rate, rounded to it, changes the dose by more than 5 % is refused and a dilution is proposed.",
                        max_digits=4,
                        verbose_name="pump rate resolution (mL/h)",
                    ),
                ),
                (
                    "hold_sbp",
                    models.PositiveSmallIntegerField(
                        default=160, verbose_name="pre-dose hold: systolic above"
                    ),
                ),
                (
                    "hold_dbp",
                    models.PositiveSmallIntegerField(
                        default=100, verbose_name="pre-dose hold: diastolic above"
                    ),
                ),
                (
                    "hold_spo2_below",
                    models.PositiveSmallIntegerField(
                        default=92,
                        validators=[django.core.validators.MaxValueValidator(100)],
                        verbose_name="pre-dose hold: SpO2 below (%)",
                    ),
                ),
                (
                    "hold_hr_above",
                    models.PositiveSmallIntegerField(
                        default=120, verbose_name="pre-dose hold: heart rate above"
                    ),
                ),
                (
                    "hold_hr_below",
                    models.PositiveSmallIntegerField(
                        default=50, verbose_name="pre-dose hold: heart rate below"
                    ),
                ),
                (
                    "hold_rr_below",
                    models.PositiveSmallIntegerField(
                        default=10, verbose_name="pre-dose hold: respiratory rate below"
                    ),
                ),
                (
                    "hold_rr_above",
                    models.PositiveSmallIntegerField(
                        default=24, verbose_name="pre-dose hold: respiratory rate above"
                    ),
                ),
                (
                    "hold_temp_c",
                    models.DecimalField(
                        decimal_places=1,
                        default=Decimal("38.0"),
                        max_digits=3,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("36")),
                            django.core.validators.MaxValueValidator(Decimal("42")),
                        ],
                        verbose_name="pre-dose hold: temperature at or above (°C)",
                    ),
                ),
                (
                    "caution_sbp",
                    models.PositiveSmallIntegerField(
                        default=140, verbose_name="pre-dose caution: systolic above"
                    ),
                ),
                (
                    "caution_dbp",
                    models.PositiveSmallIntegerField(
                        default=90, verbose_name="pre-dose caution: diastolic above"
                    ),
                ),
                (
                    "caution_spo2_below",
                    models.PositiveSmallIntegerField(
                        default=95,
                        validators=[django.core.validators.MaxValueValidator(100)],
                        verbose_name="pre-dose caution: SpO2 below (%)",
                    ),
                ),
                (
                    "caution_hr_above",
                    models.PositiveSmallIntegerField(
                        default=100, verbose_name="pre-dose caution: heart rate above"
                    ),
                ),
                (
                    "alert_sbp_above",
                    models.PositiveSmallIntegerField(default=180, verbose_name="alert: systolic above"),
                ),
                (
                    "alert_dbp_above",
                    models.PositiveSmallIntegerField(default=110, verbose_name="alert: diastolic above"),
                ),
                (
                    "alert_sbp_below",
                    models.PositiveSmallIntegerField(
                        default=90,
                        help_text="Before the dose, a caution.",
                        verbose_name="alert: systolic below",
                    ),
                ),
                (
                    "alert_dbp_below",
                    models.PositiveSmallIntegerField(
                        default=50,
                        help_text="Before the dose, a caution.",
                        verbose_name="alert: diastolic below",
                    ),
                ),
                (
                    "alert_hr_above",
                    models.PositiveSmallIntegerField(default=120, verbose_name="alert: heart rate above"),
                ),
                (
                    "alert_hr_below",
                    models.PositiveSmallIntegerField(default=50, verbose_name="alert: heart rate below"),
                ),
                (
                    "alert_spo2_below",
                    models.PositiveSmallIntegerField(default=92, verbose_name="alert: SpO2 below"),
                ),
                (
                    "alert_rr_below",
                    models.PositiveSmallIntegerField(
                        default=10, verbose_name="alert: respiratory rate below"
                    ),
                ),
                (
                    "alert_rr_above",
                    models.PositiveSmallIntegerField(
                        default=24, verbose_name="alert: respiratory rate above"
                    ),
                ),
                (
                    "moaas_alert_at_most",
                    models.PositiveSmallIntegerField(
                        default=2,
                        validators=[django.core.validators.MaxValueValidator(5)],
                        verbose_name="alert: MOAA/S at or below",
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
                "verbose_name": "historical charting settings",
                "verbose_name_plural": "historical charting settings",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalSchedulingSettings",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                (
                    "reminder_hours",
                    models.CharField(
                        default="72,24",
                        help_text="When appointment reminders go out, in hours before the start.",
                        max_length=40,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^\\d{1,3}(,\\d{1,3})*$", "Whole hours separated by commas, e.g. 72,24."
                            )
                        ],
                        verbose_name="reminder hours before",
                    ),
                ),
                ("sms_reminders", models.BooleanField(default=True, help_text="Also send reminders by SMS.")),
                (
                    "quiet_hours_start",
                    models.TimeField(default=datetime.time(21, 0), help_text="No SMS from this time…"),
                ),
                (
                    "quiet_hours_end",
                    models.TimeField(default=datetime.time(8, 0), help_text="…until this time."),
                ),
                (
                    "cancellation_window_hours",
                    models.PositiveSmallIntegerField(
                        default=24,
                        help_text="Patients may cancel or ask to reschedule in the portal until this many hours before; a cancellation inside the window counts as late.",
                        validators=[django.core.validators.MaxValueValidator(336)],
                    ),
                ),
                (
                    "questionnaire_reminder_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="An unanswered follow-up questionnaire is re-sent daily for this many days, then expires and shows as missed on the chart.",
                        validators=[django.core.validators.MaxValueValidator(14)],
                        verbose_name="questionnaire reminders (days)",
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
                "verbose_name": "historical scheduling settings",
                "verbose_name_plural": "historical scheduling settings",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        copy_from_clinic_settings(
            "treatment_sessions",
            "SchedulingSettings",
            [
                "reminder_hours",
                "sms_reminders",
                "quiet_hours_start",
                "quiet_hours_end",
                "cancellation_window_hours",
                "questionnaire_reminder_days",
            ],
        ),
        copy_from_clinic_settings(
            "treatment_sessions",
            "ChartingSettings",
            [
                "max_mg_per_kg",
                "max_dose_mg",
                "max_esketamine_mg",
                "weight_valid_days",
                "monitoring_minutes",
                "pump_rate_resolution",
                "hold_sbp",
                "hold_dbp",
                "hold_spo2_below",
                "hold_hr_above",
                "hold_hr_below",
                "hold_rr_below",
                "hold_rr_above",
                "hold_temp_c",
                "caution_sbp",
                "caution_dbp",
                "caution_spo2_below",
                "caution_hr_above",
                "alert_sbp_above",
                "alert_dbp_above",
                "alert_sbp_below",
                "alert_dbp_below",
                "alert_hr_above",
                "alert_hr_below",
                "alert_spo2_below",
                "alert_rr_below",
                "alert_rr_above",
                "moaas_alert_at_most",
            ],
        ),
    ]
