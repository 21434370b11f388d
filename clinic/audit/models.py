"""The audit trail's one table: append-only, one row per event (ONC §170.315(d)(2), HIPAA §164.312(b))."""

from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    PRINT = "print", "Printed (PDF)"
    EXPORT = "export", "Exported"
    CHANGE = "change", "Changed"
    DENIED = "denied", "Access denied"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_OUT = "sign_out", "Signed out"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    MFA = "mfa", "Two-factor sign-in changed"
    ROLES = "roles", "Roles or permissions changed"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted (see purge_audit for retention).")


class AuditTrailIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    """Who did what, when, to which patient's record, from where.

    No foreign keys: a row outlives the user and the patient it names (deleting either must not
    touch the trail), and the trail is written from the lowest layer, which knows no patient model.
    The patient is its external id (the UUID in URLs); the actor is kept by id and by e-mail as it was.
    On PostgreSQL a trigger refuses UPDATE and DELETE (migration 0016); the model refuses them too.
    """

    at = models.DateTimeField(default=timezone.now, editable=False)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_is_patient = models.BooleanField(default=False)
    patient_external_id = models.UUIDField(null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True, help_text="Without the query string.")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="audit_at"),
            models.Index(fields=["patient_external_id", "-at"], name="audit_patient_at"),
            models.Index(fields=["actor_id", "-at"], name="audit_actor_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
        ]
        # Administrators read the trail; nobody adds, changes or deletes a row through the app.
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email or 'anonymous'} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")
