"""Instruments as versioned data, what a patient was asked, what they answered, and risk alerts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic.models import ExternalIdModel
from patients.alerts import AlertQuerySet
from patients.models import Patient


class Instrument(models.Model):
    """A rating scale (PHQ-9, GAD-7, …). What it asks and how it scores lives in its versions."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(
        default=True, help_text="Inactive instruments cannot be given or assigned."
    )

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code

    @property
    def current_version(self):
        return self.versions.order_by("-created_at", "-pk").first()


class InstrumentVersion(models.Model):
    """One immutable definition. A response points at the version it was given with, so editing an
    instrument (which makes a new version) never changes a stored score."""

    class Source(models.TextChoices):
        SHIPPED = "shipped", "Shipped with Clinic"
        LOCAL = "local", "Edited by the clinic"

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=40)
    definition = models.JSONField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SHIPPED)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["instrument", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="unique_instrument_version")
        ]

    def __str__(self):
        return f"{self.instrument.code} v{self.version}"

    @property
    def outcomes(self):
        return self.definition.get("outcomes") or None


class QuestionnaireAssignment(ExternalIdModel):
    """A questionnaire waiting for a patient in the portal. Half-done answers are kept in `draft`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the patient"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Missed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assignments")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=120, blank=True, help_text='e.g. "Baseline", "Before session 3"')
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    draft = models.JSONField(default=dict, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Follow-ups made by a rule: which rule and which session, when the patient may start it (the
    # portal hides it until then), and when an unanswered one becomes "missed".
    rule = models.ForeignKey(
        "treatment_sessions.FollowUpRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment = models.ForeignKey(
        "treatment_sessions.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    is_baseline = models.BooleanField(default=False)
    available_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "created_at"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            # Completing a session twice (a double click, a retried request) makes its follow-ups once.
            models.UniqueConstraint(
                fields=["rule", "appointment"],
                condition=models.Q(rule__isnull=False, appointment__isnull=False),
                name="one_follow_up_per_rule_and_appointment",
            )
        ]

    def __str__(self):
        return f"{self.version.instrument.code} due {self.due_date}"

    @property
    def is_overdue(self):
        return self.status == self.Status.PENDING and self.due_date < timezone.localdate()

    @property
    def is_expired(self):
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.PENDING
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )

    @property
    def is_available(self):
        return self.available_at is None or self.available_at <= timezone.now()


class AssessmentResponse(ExternalIdModel):
    """A completed instrument with its score, computed once when it was submitted and kept."""

    class Mode(models.TextChoices):
        PORTAL = "portal", "Patient portal"
        CLINIC = "clinic", "At the clinic"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="responses")
    # One response per assignment and per form submission: a double submit finds the first.
    assignment = models.OneToOneField(
        QuestionnaireAssignment, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    submission_key = models.UUIDField(unique=True, null=True, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    is_baseline = models.BooleanField(
        default=False, help_text="Marks the score later ones are compared with (else the earliest)."
    )
    answers = models.JSONField()
    total = models.IntegerField()
    subscales = models.JSONField(default=dict, blank=True)
    domains = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=60, blank=True)
    completed_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-completed_at"]
        indexes = [models.Index(fields=["patient", "completed_at"])]

    def __str__(self):
        return f"{self.version.instrument.code} {self.total}"

    @property
    def instrument(self):
        return self.version.instrument


class RiskAlert(ExternalIdModel):
    """Raised in the same transaction as the response that triggered it; stays on the chart until a
    clinician acknowledges it with a note."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="risk_alerts")
    response = models.ForeignKey(AssessmentResponse, on_delete=models.PROTECT, related_name="alerts")
    rule = models.CharField(max_length=60)
    message = models.CharField(max_length=300)
    is_risk = models.BooleanField(default=True, help_text="A safety (suicide-risk) alert.")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["response", "rule"], name="one_alert_per_rule")]
        indexes = [
            models.Index(
                fields=["patient"], condition=Q(acknowledged_at__isnull=True), name="risk_alert_open"
            )
        ]
        permissions = [("view_outcomes", "Can view clinic-wide outcomes")]

    def __str__(self):
        return f"Alert {self.rule}"

    @property
    def is_open(self):
        return self.acknowledged_at is None
