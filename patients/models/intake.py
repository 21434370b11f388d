"""Intake, suitability-screening rules and the prescriber's signed decision."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.models import ExternalIdModel
from patients.models.patient import Patient
from patients.screening import validate_rule


class Intake(ExternalIdModel):
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="intake")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Intake of {self.patient}"


class IntakeSection(models.Model):
    """One part of the intake (medications, vitals, …) as entered, with who entered and verified it.

    Changing the data after verification clears the verification: a staff member looks again.
    """

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["intake", "key"], name="one_section_per_key")]
        permissions = [("verify_intakesection", "Can verify intake sections")]

    def __str__(self):
        return f"{self.key} of {self.intake.patient}"

    @property
    def self_verified(self):
        """Verified by the person who entered it: allowed or refused by a clinic setting, and shown."""
        return self.verified_by_id is not None and self.verified_by_id == self.entered_by_id

    @property
    def is_verified(self):
        return self.verified_at is not None


class ScreeningRule(models.Model):
    """A screening rule an administrator can tune; shipped defaults come from screening_rules.json."""

    class Kind(models.TextChoices):
        ABSOLUTE = "absolute", "Absolute contraindication"
        RELATIVE = "relative", "Relative contraindication"
        INTERACTION = "interaction", "Medication interaction"
        MISSING = "missing", "Missing information"

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    when = models.JSONField(help_text='What makes it fire, e.g. {"condition": "aneurysm"}.')
    reason = models.TextField()
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.label

    def clean_fields(self, exclude=None):
        # The rule as a whole is checked where its condition is edited, and named after that field.
        # Django admin's list edits "active" alone: an error named after a field its form lacks would
        # be a server error there, and nothing it can change would mend the rule.
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "when" not in (exclude or ()) and "when" not in errors:
            try:
                validate_rule(self.as_rule())
            except ValueError as error:
                errors["when"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def as_rule(self):
        return {
            "code": self.code,
            "label": self.label,
            "kind": self.kind,
            "when": self.when,
            "reason": self.reason,
            "active": self.active,
        }


class ScreeningDecision(ExternalIdModel):
    """A prescriber's signed decision on suitability. Never edited: a change of mind is a new one."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approve"
        APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approve with conditions"
        DECLINED = "declined", "Decline"
        NEEDS_INFORMATION = "needs_information", "Needs more information"

    APPROVALS = (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screening_decisions")
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    note = models.TextField()
    conditions = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    findings = models.JSONField(default=list, help_text="The findings the prescriber saw, as they were.")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    signer_credential = models.CharField(max_length=40, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_at", "-pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} by {self.signer_name}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("A signed screening decision cannot be changed; record a new decision.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A signed screening decision cannot be deleted.")

    @property
    def outcome_words(self):
        # record_decision refuses an unknown outcome; a row stored before it did still shows its page.
        return {
            "approved": "approved",
            "approved_with_conditions": "approved with conditions",
            "declined": "declined",
            "needs_information": "more information needed",
        }.get(self.outcome, f"an unknown outcome ({self.outcome})")

    @property
    def is_approval(self):
        return self.outcome in self.APPROVALS
