"""Integration after a session: the therapist's note, and the follow-up questionnaires sent after it.

Integration notes are the therapist's structured note after a session, signed and locked.

Signed clinical notes lock; later changes are addenda, dated and attributed, beside the original
(docs/clinical-reference.md, "Privacy and security"). Only the summary the therapist chooses to share ever
reaches the patient's portal; the note itself never does.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from assessments.models import Instrument, QuestionnaireAssignment
from clinic.models import ExternalIdModel, OutboxMessage, due_queue_index
from patients.models import Patient

NOTE_LOCKED_MESSAGE = "This note is signed and locked; add an addendum instead."

#: The note's sections, in the order they are written and read: (field, heading).
SECTIONS = [
    ("experience", "The experience, in the patient's own words"),
    ("themes", "Themes"),
    ("insights", "Insights"),
    ("emotional_state", "Emotional state"),
    ("goals", "Goals"),
    ("practices", "Practices and homework"),
    ("plan", "Plan"),
]


class NoteTemplate(models.Model):
    """Prompts and starting text for each section, edited by administrators in admin."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True)
    experience = models.TextField("experience prompt", blank=True)
    themes = models.TextField("themes prompt", blank=True)
    insights = models.TextField("insights prompt", blank=True)
    emotional_state = models.TextField("emotional state prompt", blank=True)
    goals = models.TextField("goals prompt", blank=True)
    practices = models.TextField("practices and homework prompt", blank=True)
    plan = models.TextField("plan prompt", blank=True)
    summary = models.TextField("patient summary prompt", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "assessments_notetemplate"  # the table it had in the assessments app
        ordering = ["name"]
        verbose_name = "integration note template"

    def __str__(self):
        return self.name


class IntegrationNote(ExternalIdModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed and locked"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="integration_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        NoteTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the note follows: a treatment session, or a standalone integration appointment.
    treatment_session = models.ForeignKey(
        "treatment_sessions.TreatmentSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integration_notes",
    )
    appointment = models.ForeignKey(
        "treatment_sessions.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integration_notes",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    experience = models.TextField(blank=True)
    themes = models.TextField(blank=True)
    insights = models.TextField(blank=True)
    emotional_state = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    practices = models.TextField("practices and homework", blank=True)
    plan = models.TextField(blank=True)
    risk_reviewed = models.BooleanField(
        "risk check done", default=False, help_text="Suicide risk and open alerts were reviewed."
    )
    risk_note = models.TextField("risk check", blank=True)
    patient_summary = models.TextField(
        "summary for the patient", blank=True, help_text="Only this is ever shown to the patient."
    )

    created_at = models.DateTimeField(default=timezone.now)
    saved_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    open_alerts_at_signing = models.PositiveSmallIntegerField(default=0)
    summary_shared_at = models.DateTimeField(null=True, blank=True)
    summary_shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "assessments_integrationnote"  # the table it had in the assessments app
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["patient", "created_at"]),
            models.Index(fields=["author", "status"]),
            # An author's recent notes (the caseload), read from the index alone on PostgreSQL.
            models.Index(fields=["author", "created_at", "patient"], name="note_author_created"),
        ]
        permissions = [
            ("sign_integrationnote", "Can sign integration notes"),
            ("view_caseload", "Has a caseload page"),
        ]

    def __str__(self):
        return f"Integration note {self.created_at:%Y-%m-%d}"

    @property
    def is_locked(self):
        return self.status == self.Status.SIGNED

    @property
    def is_shared(self):
        return self.summary_shared_at is not None

    @property
    def follows(self):
        return self.treatment_session.appointment if self.treatment_session_id else self.appointment

    def sections(self):
        return [(field, heading, getattr(self, field)) for field, heading in SECTIONS]

    def save(self, *args, **kwargs):
        if self.pk and IntegrationNote.objects.filter(pk=self.pk, status=self.Status.SIGNED).exists():
            raise ValidationError(NOTE_LOCKED_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == self.Status.SIGNED:
            raise ValidationError(NOTE_LOCKED_MESSAGE)
        return super().delete(*args, **kwargs)


class NoteAddendum(models.Model):
    note = models.ForeignKey(IntegrationNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "assessments_noteaddendum"  # the table it had in the assessments app
        ordering = ["created_at"]
        verbose_name_plural = "note addenda"

    def __str__(self):
        return f"Addendum {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError("An addendum cannot be changed; write another.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("An addendum cannot be deleted.")


# Follow-up questionnaires: rules an administrator edits, and the e-mails that invite and remind.


class FollowUpRule(models.Model):
    """Which questionnaire a patient is sent, and when, around sessions of one treatment type."""

    class Kind(models.TextChoices):
        # The treatment types of sessions.AppointmentType.Kind.
        IV = "iv", "IV infusion"
        IM = "im", "IM injection"
        INTRANASAL = "intranasal", "Intranasal esketamine"
        INTEGRATION = "integration", "Integration session"

    class Trigger(models.TextChoices):
        BASELINE = "baseline", "Baseline before the first session"
        AFTER_EACH = "after_each", "After each session"
        PERIODIC = "periodic", "After a session, at most every N days"

    name = models.CharField(max_length=120, help_text='Shown to staff, e.g. "PHQ-9 24 h after infusion".')
    appointment_kind = models.CharField("treatment type", max_length=20, choices=Kind.choices)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="follow_up_rules")
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.AFTER_EACH)
    hours_after = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 90)],
        help_text="After each / periodic: how long after the session ends it is sent.",
    )
    every_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Periodic: not again if the patient was sent this instrument within this many days.",
    )
    indication = models.CharField(
        "only for patients treated for",
        max_length=20,
        choices=Patient.Indication.choices,
        blank=True,
        help_text="Leave empty for every patient.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "assessments_followuprule"  # the table it had in the assessments app
        ordering = ["appointment_kind", "trigger", "hours_after", "instrument__code"]
        verbose_name = "follow-up rule"

    def __str__(self):
        return self.name

    def clean(self):
        if self.trigger == self.Trigger.PERIODIC and not self.every_days:
            raise ValidationError({"every_days": "A periodic rule needs its interval in days."})
        if self.trigger != self.Trigger.PERIODIC and self.every_days:
            raise ValidationError({"every_days": "Only a periodic rule has an interval."})


class QuestionnaireNotice(OutboxMessage):
    """An e-mail telling the patient a questionnaire is waiting: the first when it becomes available,
    then a daily reminder while it stays unanswered. It carries no clinical content."""

    assignment = models.ForeignKey(QuestionnaireAssignment, on_delete=models.CASCADE, related_name="notices")
    number = models.PositiveSmallIntegerField(help_text="0 is the invitation; 1, 2, 3… the reminders.")

    class Meta:
        db_table = "assessments_questionnairenotice"  # the table it had in the assessments app
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"]), due_queue_index("notice_due_queue")]
        constraints = [models.UniqueConstraint(fields=["assignment", "number"], name="one_notice_per_number")]
        verbose_name = "questionnaire e-mail"

    def __str__(self):
        return "Invitation" if self.number == 0 else f"Reminder {self.number}"

    @classmethod
    def cancel_unsent(cls, **assignment_filter):
        """Once a questionnaire is answered, withdrawn or missed, its later e-mails are not sent."""
        return cls.objects.filter(
            status__in=[cls.Status.PENDING, cls.Status.FAILED],
            **{f"assignment__{key}": value for key, value in assignment_filter.items()},
        ).update(status=cls.Status.CANCELLED)
