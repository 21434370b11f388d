"""Informed consent: versioned documents per treatment route and the patients' signatures."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from clinic.models import ExternalIdModel
from patients.models.patient import Patient


class ConsentDocument(ExternalIdModel):
    route = models.CharField(
        "treatment route", max_length=12, choices=[c for c in Patient.Route.choices if c[0]]
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="Once published the text is fixed; changes need a new version."
    )

    class Meta:
        ordering = ["route", "-version"]
        constraints = [models.UniqueConstraint(fields=["route", "version"], name="one_consent_version")]

    def __str__(self):
        return f"{self.title} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = (
                ConsentDocument.objects.filter(pk=self.pk).values("published_at", "body", "title").first()
            )
            if (
                stored
                and stored["published_at"]
                and (stored["body"], stored["title"]) != (self.body, self.title)
            ):
                raise ValidationError("A published consent document cannot change; publish a new version.")
        super().save(*args, **kwargs)

    @classmethod
    def current_for(cls, route):
        return cls.objects.filter(route=route, published_at__isnull=False).order_by("-version").first()


class ConsentSignature(ExternalIdModel):
    """A patient's signature: typed name, confirmation, time and address, with the signed PDF kept."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consent_signatures")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="signatures")
    typed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    signed_in_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The patient's own login, or the staff member whose tablet was used.",
    )
    on_clinic_tablet = models.BooleanField(default=False)
    pdf = models.FileField(upload_to="consents/", blank=True)
    pdf_sha256 = models.CharField(
        "PDF SHA-256",
        max_length=64,
        blank=True,
        editable=False,
        help_text="Checksum of the signed PDF, written with it; blank when no copy could be checked "
        "(the file was already missing when checksums were first computed). `manage.py check_media` "
        "compares every stored file with it.",
    )

    class Meta:
        ordering = ["-signed_at"]
        permissions = [("witness_consent", "Can take a consent signature on a clinic tablet")]

    def __str__(self):
        return f"{self.document} signed by {self.typed_name}"

    @property
    def is_current(self):
        current = ConsentDocument.current_for(self.document.route)
        return current is not None and current.pk == self.document_id
