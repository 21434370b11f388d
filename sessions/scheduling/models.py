"""Scheduling: appointment types, rooms, hours, treatment plans, appointments and their reminders."""

from datetime import time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.models import ExternalIdModel, OutboxMessage, SingletonSettings, due_queue_index
from patients.models import Patient

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


# No appointment type lasts longer, so no appointment does (its end is its start plus its type's
# duration, and a move keeps the duration): a search for what overlaps an interval can bound `start`
# from below too and use the index on start instead of reading every appointment in history.
LONGEST_APPOINTMENT_MINUTES = 8 * 60


def _duration(minutes):
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minute{'s' if rest != 1 else ''}"
    text = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{text} {rest} minutes" if rest else text


class AppointmentType(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        IV = "iv", "IV infusion"
        IM = "im", "IM injection"
        INTRANASAL = "intranasal", "Intranasal esketamine"
        INTEGRATION = "integration", "Integration session"
        FOLLOW_UP = "follow_up", "Follow-up"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(LONGEST_APPOINTMENT_MINUTES)],
        help_text="Including monitoring and recovery (intranasal esketamine: at least 120).",
    )
    # Fasting before the visit, told to the patient (portal, reminders) and asked on the chart's
    # checklist from these same numbers (docs/clinical-reference.md, "Pre-session checklist": no solids
    # for 2–6 h, no liquids for 30 min–2 h, configurable). Blank: no fasting rule for this visit.
    fasting_food_hours = models.PositiveSmallIntegerField(
        "nothing to eat for (hours before)", null=True, blank=True, validators=[MaxValueValidator(12)]
    )
    clear_fluids_until_minutes = models.PositiveSmallIntegerField(
        "clear fluids until (minutes before)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(360)],
        help_text="e.g. 120: water, clear juice, black tea or coffee until 2 hours before.",
    )
    instructions = models.TextField(
        blank=True,
        help_text="Other pre-visit instructions (escort, medicines…), sent with reminders and shown in the "
        "portal after the fasting rule above. Do not repeat the fasting times here.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def route(self):
        """The treatment route this type delivers ('' for non-treatment visits)."""
        return self.kind if self.kind in ("iv", "im", "intranasal") else ""

    @property
    def fasting_rule(self):
        """The fasting rule in words, or '' when there is none: "nothing to eat for 4 hours, clear fluids
        until 2 hours before"."""
        parts = []
        if self.fasting_food_hours:
            parts.append(f"nothing to eat for {_duration(self.fasting_food_hours * 60)}")
        if self.clear_fluids_until_minutes is not None:
            parts.append(f"clear fluids until {_duration(self.clear_fluids_until_minutes)} before")
        return ", ".join(parts)

    @property
    def preparation(self):
        """What the patient is told before the visit, as lines: the fasting rule, then the rest."""
        lines = []
        if self.fasting_rule:
            lines.append(f"Fasting: {self.fasting_rule}.")
        lines += [line.strip() for line in self.instructions.splitlines() if line.strip()]
        return lines

    def clean(self):
        # Spravato REMS: monitoring for at least two hours after the first device.
        if self.kind == self.Kind.INTRANASAL and self.duration_minutes and self.duration_minutes < 120:
            raise ValidationError(
                {"duration_minutes": "Intranasal esketamine needs at least 120 minutes (REMS monitoring)."}
            )


class Site(models.Model):
    """One clinic of a group: its rooms say where each appointment was, so the calendar shows one site
    at a time and Outcomes can count the patients seen at a site."""

    name = models.CharField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Room(models.Model):
    name = models.CharField(max_length=60, unique=True)
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rooms",
        help_text="Where the room is. A clinic with one site may leave it empty.",
    )
    is_chair = models.BooleanField(
        default=False, help_text="A treatment chair rather than a consulting room."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ClinicHours(models.Model):
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, unique=True)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "clinic hours"

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError("Closing time must be after opening time.")


class Closure(models.Model):
    date = models.DateField(unique=True)
    reason = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self):
        return f"{self.date}: {self.reason}"


class WorkingHours(models.Model):
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["staff", "weekday"]
        verbose_name_plural = "working hours"
        constraints = [models.UniqueConstraint(fields=["staff", "weekday"], name="one_shift_per_day")]

    def __str__(self):
        return f"{self.staff} {self.get_weekday_display()}"

    def clean(self):
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError("The end must be after the start.")


class TreatmentPlan(ExternalIdModel):
    """A prescriber's plan: route, protocol, an induction series and then maintenance."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_plans")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    protocol = models.CharField(max_length=200, help_text="e.g. IV ketamine 0.5 mg/kg over 40 min")
    induction_sessions = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    induction_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(26)]
    )
    min_hours_between = models.PositiveSmallIntegerField(default=48, validators=[MaxValueValidator(24 * 14)])
    max_per_week = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    maintenance = models.CharField(
        max_length=200, blank=True, help_text="e.g. every 3–4 weeks, guided by PHQ-9"
    )
    # The dose the charting calculator starts from (docs/clinical-reference.md, "Routes and dosing").
    mg_per_kg = models.DecimalField(
        "mg/kg",
        max_digits=5,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("2"))],
        help_text="IV and IM: e.g. 0.5",
    )
    infusion_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text="IV: e.g. 40",
    )
    fixed_dose_mg = models.PositiveSmallIntegerField(
        "esketamine dose (mg)",
        null=True,
        blank=True,
        choices=[(28, "28 mg"), (56, "56 mg"), (84, "84 mg")],
    )
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.protocol} × {self.induction_sessions}"

    def clean(self):
        route = self.appointment_type.route if self.appointment_type_id else ""
        errors = {}
        if route in ("iv", "im") and self.mg_per_kg is None:
            errors["mg_per_kg"] = "A weight-based plan needs its mg/kg."
        if route == "iv" and self.infusion_minutes is None:
            errors["infusion_minutes"] = "An IV plan needs the infusion length in minutes."
        if route == "intranasal" and self.fixed_dose_mg is None:
            errors["fixed_dose_mg"] = "An esketamine plan needs its dose (28, 56 or 84 mg)."
        errors.update(self._schedule_problems())
        if errors:
            raise ValidationError(errors)

    def _schedule_problems(self):
        """A series the booking rules cannot fit: more sessions than the weeks allow at the most per
        week, or more a week than the spacing allows."""
        sessions, weeks, per_week = self.induction_sessions, self.induction_weeks, self.max_per_week
        gap = self.min_hours_between
        problems = {}
        most = (7 * 24 - 1) // gap + 1 if gap else 7
        if per_week and per_week > most:
            problems["max_per_week"] = (
                f"{per_week} a week cannot be {gap} hours apart: at most {most} fit in a week."
            )
        if sessions and weeks and per_week and sessions > weeks * per_week:
            needed = -(-sessions // per_week)
            problems["induction_weeks"] = (
                f"{sessions} sessions at most {per_week} a week need at least {needed} weeks, not {weeks}."
            )
        return problems


class AppointmentQuerySet(models.QuerySet):
    def open(self):
        """Booked and not yet over (Appointment.OPEN)."""
        return self.filter(status__in=Appointment.OPEN)

    def overlapping(self, start, end):
        """Appointments that overlap [start, end), found through the index on start at both ends."""
        earliest = start - timedelta(minutes=LONGEST_APPOINTMENT_MINUTES)
        return self.filter(start__lt=end, start__gt=earliest, end__gt=start)

    def upcoming(self, now=None):
        """Open appointments not over yet (one in progress counts), soonest first: the portal's "next
        appointment" and the caseload's "next session" are the same question."""
        now = now or timezone.now()
        # The bound on start (no appointment is longer) lets the index on (patient, start) skip the past.
        earliest = now - timedelta(minutes=LONGEST_APPOINTMENT_MINUTES)
        return self.open().filter(end__gte=now, start__gt=earliest).order_by("start")


class Appointment(ExternalIdModel):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CONFIRMED = "confirmed", "Confirmed"
        CHECKED_IN = "checked_in", "Checked in"
        IN_TREATMENT = "in_treatment", "In treatment"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    OPEN = (Status.SCHEDULED, Status.CONFIRMED, Status.CHECKED_IN, Status.IN_TREATMENT)
    NEXT = {
        Status.SCHEDULED: (Status.CONFIRMED, Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW),
        Status.CONFIRMED: (Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW),
        Status.CHECKED_IN: (Status.IN_TREATMENT, Status.COMPLETED, Status.CANCELLED),
        Status.IN_TREATMENT: (Status.COMPLETED,),
        Status.COMPLETED: (),
        Status.CANCELLED: (),
        Status.NO_SHOW: (),
    }

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.SCHEDULED)
    plan = models.ForeignKey(
        TreatmentPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    series_number = models.PositiveSmallIntegerField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    late_cancellation = models.BooleanField(default=False)
    reschedule_requested_at = models.DateTimeField(null=True, blank=True)
    reschedule_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["start"]),
            models.Index(fields=["patient", "start"]),
            # A clinician's recent appointments (the caseload), read from the index alone; patient and
            # status are key columns rather than INCLUDEd ones, which SQLite does not have.
            models.Index(
                fields=["clinician", "start", "patient", "status"], name="appointment_clinician_start"
            ),
            # The patients of a site (Outcomes' site filter): its rooms' appointments, from the index alone.
            models.Index(fields=["room", "patient", "status"], name="appointment_room_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="appointment_ends_after_start"
            ),
        ]
        # On PostgreSQL, migration 0002 adds exclusion constraints so that two open appointments
        # never overlap in one room, for one clinician or for one patient, even when two people
        # book the same chair at the same moment (SQLite relies on its single writer instead).

    def __str__(self):
        return f"{self.appointment_type} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_open(self):
        return self.status in self.OPEN

    @property
    def duration(self):
        return self.end - self.start


class Reminder(OutboxMessage):
    """A reminder to send once: created with its appointment, claimed and sent by the dispatcher."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    hours_before = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"]), due_queue_index("reminder_due_queue")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.hours_before} h before"


class SchedulingSettings(SingletonSettings):
    """Appointment reminders and cancellations, and the reminders of follow-up questionnaires: one row
    an administrator edits in Django admin (Treatment sessions › Scheduling settings)."""

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
    questionnaire_reminder_days = models.PositiveSmallIntegerField(
        "questionnaire reminders (days)",
        default=3,
        validators=[MaxValueValidator(14)],
        help_text="An unanswered follow-up questionnaire is re-sent daily for this many days, "
        "then expires and shows as missed on the chart.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "scheduling settings"
        verbose_name_plural = "scheduling settings"

    @property
    def reminder_offsets(self):
        return sorted({int(part) for part in self.reminder_hours.split(",") if part.strip()}, reverse=True)
