import uuid
from datetime import time
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from clinic import roles


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A login. Staff hold one or more roles (groups); a patient is linked to one Patient record."""

    username = None
    email = models.EmailField("email address", unique=True)
    credential = models.CharField(
        max_length=40, blank=True, help_text="Shown with signatures, e.g. MD, NP, RN, LCSW."
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @cached_property
    def role_names(self):
        return frozenset(self.groups.filter(name__in=roles.ALL_ROLES).values_list("name", flat=True))

    @cached_property
    def patient_record(self):
        """The Patient this login belongs to, or None for staff."""
        from patients.models import Patient

        return Patient.objects.filter(user=self).first()

    @property
    def is_portal_patient(self):
        return self.patient_record is not None

    @property
    def is_clinic_staff(self):
        if not self.is_active or self.is_portal_patient:
            return False
        return self.is_superuser or bool(self.role_names)

    def has_role(self, *names):
        return bool(self.role_names.intersection(names))


class ClinicSettings(models.Model):
    """One row of settings an administrator edits in Django admin."""

    CACHE_KEY = "clinic-settings"

    name = models.CharField(max_length=120, default="Clinic")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    staff_idle_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Staff are signed out after this many idle minutes.",
    )
    patient_idle_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Patients are signed out of the portal after this many idle minutes.",
    )
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
    crisis_line = models.CharField(
        max_length=200,
        default="988 Suicide & Crisis Lifeline: call or text 988",
        help_text="Shown to patients whenever they submit a questionnaire.",
    )
    emergency_number = models.CharField(max_length=40, default="911")
    questionnaire_reminder_days = models.PositiveSmallIntegerField(
        "questionnaire reminders (days)",
        default=3,
        validators=[MaxValueValidator(14)],
        help_text="An unanswered follow-up questionnaire is re-sent daily for this many days, "
        "then expires and shows as missed on the chart.",
    )
    outcome_min_followups = models.PositiveSmallIntegerField(
        "follow-ups needed for outcome statistics",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="Clinic-wide outcomes count patients with a baseline and at least this many "
        "later scores on the same instrument.",
    )
    reminder_hours = models.CharField(
        "reminder hours before",
        max_length=40,
        default="72,24",
        validators=[RegexValidator(r"^\d{1,3}(,\d{1,3})*$", "Whole hours separated by commas, e.g. 72,24.")],
        help_text="When appointment reminders go out, in hours before the start.",
    )
    sms_reminders = models.BooleanField(default=True, help_text="Also send reminders by SMS.")
    quiet_hours_start = models.TimeField(default=time(21, 0), help_text="No SMS from this time…")
    quiet_hours_end = models.TimeField(default=time(8, 0), help_text="…until this time.")
    cancellation_window_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 14)],
        help_text="Patients may cancel or ask to reschedule in the portal until this many hours before; "
        "a cancellation inside the window counts as late.",
    )
    # Charting: doses and monitoring (docs/clinical-reference.md, "Routes and dosing" and "Monitoring").
    # Defaults, not advice.
    max_mg_per_kg = models.DecimalField(
        "maximum mg/kg (IV, IM)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("2"))],
        help_text="An order above this is a hard stop that only a prescriber can override, with a reason.",
    )
    max_dose_mg = models.DecimalField(
        "maximum dose mg (IV, IM)",
        max_digits=5,
        decimal_places=1,
        default=Decimal("150.0"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    max_esketamine_mg = models.DecimalField(
        "maximum esketamine dose mg", max_digits=4, decimal_places=1, default=Decimal("84.0")
    )
    weight_valid_days = models.PositiveSmallIntegerField(
        "weight valid for (days)",
        default=0,
        validators=[MaxValueValidator(30)],
        help_text="0: the weight for a weight-based dose must be taken the same day.",
    )
    monitoring_minutes = models.PositiveSmallIntegerField(
        "monitoring after the dose starts (minutes)",
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(360)],
        help_text="Vitals are expected until then; esketamine always at least 120.",
    )
    pump_rate_resolution = models.DecimalField(
        "pump rate resolution (mL/h)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.1"),
        choices=[(Decimal("0.01"), "0.01 mL/h"), (Decimal("0.1"), "0.1 mL/h"), (Decimal("1"), "1 mL/h")],
        help_text="The smallest rate step of the clinic's infusion pumps (syringe pumps commonly 0.1 mL/h, "
        "large-volume pumps 1 mL/h). An order whose rate, rounded to it, changes the dose by more than "
        "5 % is refused and a dilution is proposed.",
    )
    # Before the dose: a hold needs a prescriber's written override later than the reading.
    hold_sbp = models.PositiveSmallIntegerField("pre-dose hold: systolic above", default=160)
    hold_dbp = models.PositiveSmallIntegerField("pre-dose hold: diastolic above", default=100)
    hold_spo2_below = models.PositiveSmallIntegerField(
        "pre-dose hold: SpO2 below (%)", default=92, validators=[MaxValueValidator(100)]
    )
    hold_hr_above = models.PositiveSmallIntegerField("pre-dose hold: heart rate above", default=120)
    hold_hr_below = models.PositiveSmallIntegerField("pre-dose hold: heart rate below", default=50)
    hold_rr_below = models.PositiveSmallIntegerField("pre-dose hold: respiratory rate below", default=10)
    hold_rr_above = models.PositiveSmallIntegerField("pre-dose hold: respiratory rate above", default=24)
    hold_temp_c = models.DecimalField(
        "pre-dose hold: temperature at or above (°C)",
        max_digits=3,
        decimal_places=1,
        default=Decimal("38.0"),
        validators=[MinValueValidator(Decimal("36")), MaxValueValidator(Decimal("42"))],
    )
    caution_sbp = models.PositiveSmallIntegerField("pre-dose caution: systolic above", default=140)
    caution_dbp = models.PositiveSmallIntegerField("pre-dose caution: diastolic above", default=90)
    caution_spo2_below = models.PositiveSmallIntegerField(
        "pre-dose caution: SpO2 below (%)", default=95, validators=[MaxValueValidator(100)]
    )
    caution_hr_above = models.PositiveSmallIntegerField("pre-dose caution: heart rate above", default=100)
    # During and after the dose: a value past one of these raises an alert to acknowledge.
    alert_sbp_above = models.PositiveSmallIntegerField("alert: systolic above", default=180)
    alert_dbp_above = models.PositiveSmallIntegerField("alert: diastolic above", default=110)
    alert_sbp_below = models.PositiveSmallIntegerField(
        "alert: systolic below", default=90, help_text="Before the dose, a caution."
    )
    alert_dbp_below = models.PositiveSmallIntegerField(
        "alert: diastolic below", default=50, help_text="Before the dose, a caution."
    )
    alert_hr_above = models.PositiveSmallIntegerField("alert: heart rate above", default=120)
    alert_hr_below = models.PositiveSmallIntegerField("alert: heart rate below", default=50)
    alert_spo2_below = models.PositiveSmallIntegerField("alert: SpO2 below", default=92)
    alert_rr_below = models.PositiveSmallIntegerField("alert: respiratory rate below", default=10)
    alert_rr_above = models.PositiveSmallIntegerField("alert: respiratory rate above", default=24)
    moaas_alert_at_most = models.PositiveSmallIntegerField(
        "alert: MOAA/S at or below", default=2, validators=[MaxValueValidator(5)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"

    def __str__(self):
        return "Clinic settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(self.CACHE_KEY)

    @property
    def reminder_offsets(self):
        return sorted({int(part) for part in self.reminder_hours.split(",") if part.strip()}, reverse=True)

    def clean(self):
        problems = {}
        pairs = (
            ("caution_sbp", "hold_sbp", "The systolic caution level must not be above the hold level."),
            ("caution_dbp", "hold_dbp", "The diastolic caution level must not be above the hold level."),
            (
                "caution_hr_above",
                "hold_hr_above",
                "The heart-rate caution level must not be above the hold level.",
            ),
            (
                "hold_spo2_below",
                "caution_spo2_below",
                "The SpO2 hold level must not be above the caution level.",
            ),
            ("hold_hr_below", "hold_hr_above", "The low heart-rate hold must be below the high one."),
            ("hold_rr_below", "hold_rr_above", "The low respiratory-rate hold must be below the high one."),
            ("alert_hr_below", "alert_hr_above", "The low heart-rate alert must be below the high one."),
            (
                "alert_rr_below",
                "alert_rr_above",
                "The low respiratory-rate alert must be below the high one.",
            ),
            ("alert_sbp_below", "alert_sbp_above", "The low systolic alert must be below the high one."),
            ("alert_dbp_below", "alert_dbp_above", "The low diastolic alert must be below the high one."),
        )
        for low, high, message in pairs:
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                problems[low] = message
        if problems:
            raise ValidationError(problems)

    def thresholds(self):
        """The alert thresholds in force, in the shape sessions.monitoring expects."""
        return {
            "pre_dose_hold": {
                "sbp": self.hold_sbp,
                "dbp": self.hold_dbp,
                "spo2_below": self.hold_spo2_below,
                "hr_above": self.hold_hr_above,
                "hr_below": self.hold_hr_below,
                "rr_below": self.hold_rr_below,
                "rr_above": self.hold_rr_above,
                "temp_c_at_or_above": self.hold_temp_c,
            },
            "pre_dose_caution": {
                "sbp": self.caution_sbp,
                "dbp": self.caution_dbp,
                "spo2_below": self.caution_spo2_below,
                "hr_above": self.caution_hr_above,
            },
            "during": {
                "sbp_above": self.alert_sbp_above,
                "dbp_above": self.alert_dbp_above,
                "sbp_below": self.alert_sbp_below,
                "dbp_below": self.alert_dbp_below,
                "hr_above": self.alert_hr_above,
                "hr_below": self.alert_hr_below,
                "spo2_below": self.alert_spo2_below,
                "rr_below": self.alert_rr_below,
                "rr_above": self.alert_rr_above,
            },
            "moaas_alert_at_most": self.moaas_alert_at_most,
        }

    def dose_limits(self, route):
        from sessions.dosing import Limits

        if route == "intranasal":
            return Limits(max_mg_per_kg=self.max_mg_per_kg, max_mg=self.max_esketamine_mg)
        return Limits(
            max_mg_per_kg=self.max_mg_per_kg,
            max_mg=self.max_dose_mg,
            weight_max_age_days=self.weight_valid_days,
        )

    @classmethod
    def load(cls):
        current = cache.get(cls.CACHE_KEY)
        if current is None:
            current, _ = cls.objects.get_or_create(pk=1)
            cache.set(cls.CACHE_KEY, current, 60)
        return current


class ExternalIdModel(models.Model):
    """Patient-scoped objects show a random UUID in URLs; the integer key stays internal."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A message to send once (a reminder, a questionnaire notice): created in the same transaction
    as its cause, claimed and sent by clinic.outbox, which beat drives every minute."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        GAVE_UP = "gave_up", "Gave up"
        CANCELLED = "cancelled", "Cancelled"

    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
