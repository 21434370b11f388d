import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from clinic import roles
from clinic.audit.models import AuditEvent  # noqa: F401  (the audit trail's table belongs to this app)


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

    @property
    def is_portal_patient(self):
        """A patient's portal login. The patients layer links a Patient to its login (Patient.user,
        reverse accessor ``patient_record``; Patient.of_user(user) returns it or None), so this layer
        needs no import of it."""
        return hasattr(self, "patient_record")

    @property
    def is_clinic_staff(self):
        if not self.is_active or self.is_portal_patient:
            return False
        return self.is_superuser or bool(self.role_names)

    def has_role(self, *names):
        return bool(self.role_names.intersection(names))


class SingletonSettings(models.Model):
    """Base of a settings model with one row (pk 1) that an administrator edits in Django admin.

    Each layer owns its settings: clinic.ClinicSettings (the clinic and sign-in), patients.PatientSettings,
    assessments.AssessmentSettings, treatment_sessions.SchedulingSettings and ChartingSettings.
    ``load()`` returns the row, created with the defaults when missing, cached for a minute under a key
    of the model's own. A subclass declares ``history = HistoricalRecords()`` itself."""

    class Meta:
        abstract = True

    def __str__(self):
        return str(self._meta.verbose_name).capitalize()

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(self.cache_key())

    @classmethod
    def cache_key(cls):
        return f"settings:{cls._meta.label_lower}"

    @classmethod
    def load(cls):
        current = cache.get(cls.cache_key())
        if current is None:
            current, _ = cls.objects.get_or_create(pk=1)
            cache.set(cls.cache_key(), current, 60)
        return current


class ClinicSettings(SingletonSettings):
    """The clinic itself and sign-in: its name and contact details (pages, e-mails, PDFs), the crisis
    and emergency numbers shown to patients, and the idle sign-out limits."""

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
    crisis_line = models.CharField(
        max_length=200,
        default="988 Suicide & Crisis Lifeline: call or text 988",
        help_text="Shown to patients whenever they submit a questionnaire.",
    )
    emergency_number = models.CharField(max_length=40, default="911")
    audit_retention_years = models.PositiveSmallIntegerField(
        "audit trail retention (years)",
        default=6,
        validators=[MinValueValidator(6), MaxValueValidator(100)],
        help_text="Audit events older than this are deleted by the nightly purge. HIPAA asks for at least six years.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"


class ExternalIdModel(models.Model):
    """Patient-scoped objects show a random UUID in URLs; the integer key stays internal."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A message to send (a reminder, a questionnaire notice): created in the same transaction as its
    cause, claimed and sent by clinic.outbox, which beat drives every minute. Delivery is at least
    once: a send cut short by a crash is repeated once, with the same Message-ID."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        MAYBE_SENT = "maybe_sent", "May have been sent (resending once)"
        GAVE_UP = "gave_up", "Gave up"
        CANCELLED = "cancelled", "Cancelled"

    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Sends started, counted when claimed: a send cut short by a crash counts too."
    )
    last_error = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(
        "Message-ID",
        max_length=200,
        blank=True,
        help_text="Given at the first claim and reused by every retry, so a receiving mail system can "
        "drop a repeated copy. SMS has no such header.",
    )
    maybe_sent_at = models.DateTimeField(
        "found unconfirmed at",
        null=True,
        blank=True,
        help_text="When a dispatcher found this message claimed but never marked sent (a worker or the "
        "database stopped mid-send). It is then resent once, never twice.",
    )

    class Meta:
        abstract = True


#: The statuses of a message still to send: what a dispatcher claims.
OutboxMessage.WAITING = (
    OutboxMessage.Status.PENDING,
    OutboxMessage.Status.FAILED,
    OutboxMessage.Status.MAYBE_SENT,
)


def due_queue_index(name):
    """The index a dispatcher's claim reads: only the messages still to send, by when they are due.
    Without it the claim walked every message ever sent that was due before now (637 ms a claim with
    920,000 reminders sent)."""
    return models.Index(fields=["due_at"], name=name, condition=models.Q(status__in=OutboxMessage.WAITING))
