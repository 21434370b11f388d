"""Follow-up questionnaires: rules an administrator edits, and the e-mails that invite and remind."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from assessments.models.measures import Instrument, QuestionnaireAssignment
from clinic.models import OutboxMessage
from patients.models import Patient


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
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]
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
