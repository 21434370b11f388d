"""A copy of one patient's record made on request (HIPAA §164.524, the right of access).

The row is the work item: the portal or a member of staff creates it (queued), a Celery task claims it
(working), writes one ZIP file (ready) or says why it could not (failed). Beat requeues rows whose task
never arrived (the broker was down) and deletes files past their expiry; the row stays as the record of
what was asked for, made, downloaded and delivered.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from clinic.models import ExternalIdModel
from patients.models import Patient


class RecordExport(ExternalIdModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        WORKING = "working", "Being made"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Could not be made"
        EXPIRED = "expired", "Expired (file deleted)"

    class Delivery(models.TextChoices):
        MAIL = "mail", "Mail"
        FAX = "fax", "Fax"
        IN_PERSON = "in_person", "In person"
        SECURE_EMAIL = "secure_email", "Secure e-mail"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="record_exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: True when the patient asked in the portal; False for a request staff received (mail, fax, …).
    for_portal = models.BooleanField(default=True)
    request_note = models.CharField(
        "how the request arrived",
        max_length=200,
        blank=True,
        help_text="e.g. letter received 2 December, signed by the patient",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    step = models.CharField(max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: For staff and the log; the patient is told plainly that it failed, not the traceback.
    error = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="record-exports/%Y/%m/", blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField("first downloaded", null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)
    delivery_method = models.CharField(max_length=15, choices=Delivery.choices, blank=True)
    delivered_to = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_note = models.CharField(max_length=300, blank=True)
    delivery_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self):
        return f"Record export {str(self.external_id)[:8]} ({self.get_status_display()})"

    @property
    def in_progress(self):
        return self.status in (self.Status.QUEUED, self.Status.WORKING)

    @property
    def downloadable(self):
        return (
            self.status == self.Status.READY
            and bool(self.file)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )
