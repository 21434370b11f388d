import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.models import ExternalIdModel
from clinic.text import search_key

phone_validator = RegexValidator(
    r"^\+?[0-9 ().\-]{7,25}$",
    "Enter a phone number of digits, spaces, dashes or brackets, e.g. (555) 010-2233.",
)


def digits_of(text):
    return re.sub(r"\D", "", text or "")


def validate_birth_date(value):
    if value > timezone.localdate():
        raise ValidationError("The date of birth cannot be in the future.")
    if value < date(1900, 1, 1):
        raise ValidationError("Check the year: the date of birth is before 1900.")


NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")


class PatientQuerySet(models.QuerySet):
    """Keeps the derived columns (`phone_digits`, `search_name`) true on the bulk paths that skip
    `save()`."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for patient in objs:
            patient.fill_derived_fields()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, fields = list(objs), list(fields)
        for patient in objs:
            patient.fill_derived_fields()
        if "phone" in fields:
            fields.append("phone_digits")
        if set(fields) & set(NAME_FIELDS):
            fields.append("search_name")
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        # bulk_update() comes through here with the keys it filled; a bare update() of names would
        # leave them unfindable.
        if ("phone" in kwargs and "phone_digits" not in kwargs) or (
            set(NAME_FIELDS) & kwargs.keys() and "search_name" not in kwargs
        ):
            raise TypeError(
                "Change names and phone numbers with save() or bulk_update(): search keys follow them."
            )
        return super().update(**kwargs)


class Patient(ExternalIdModel):
    class Status(models.TextChoices):
        INQUIRY = "inquiry", "Inquiry"
        SCREENING = "screening", "Screening"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        DISCHARGED = "discharged", "Discharged"

    class Route(models.TextChoices):
        UNDECIDED = "", "Not decided yet"
        IV = "iv", "IV infusion"
        IM = "im", "IM injection"
        INTRANASAL = "intranasal", "Intranasal esketamine"
        LOZENGE = "lozenge", "Oral / sublingual lozenge"
        KAP = "kap", "Ketamine-assisted psychotherapy"

    class Indication(models.TextChoices):
        DEPRESSION = "depression", "Depression"
        PTSD = "ptsd", "PTSD"
        ANXIETY = "anxiety", "Anxiety"
        OCD = "ocd", "OCD"
        PAIN = "pain", "Chronic pain"
        OTHER = "other", "Other"

    class SexAtBirth(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNKNOWN = "unknown", "Unknown / not stated"

    legal_given_name = models.CharField("legal first name", max_length=100)
    legal_family_name = models.CharField("legal last name", max_length=100)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="What the patient likes to be called."
    )
    date_of_birth = models.DateField(validators=[validate_birth_date])
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True, help_text="e.g. she/her, they/them")

    phone = models.CharField(max_length=25, validators=[phone_validator])
    phone_digits = models.CharField(max_length=25, editable=False, db_index=True)
    # Names folded for search (clinic.text.search_key), one word per name field. PostgreSQL indexes it
    # with trigrams (migration 0005) so `LIKE '%word%'` is an index scan.
    search_name = models.TextField(editable=False, default="")
    email = models.EmailField(blank=True, help_text="Needed for portal access and reminders.")
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)

    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_relationship = models.CharField("relationship", max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=25, blank=True, validators=[phone_validator])
    escort_name = models.CharField(
        "escort (driver) name",
        max_length=150,
        blank=True,
        help_text="Who takes the patient home after treatment.",
    )
    escort_phone = models.CharField("escort phone", max_length=25, blank=True, validators=[phone_validator])

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INQUIRY)
    treatment_route = models.CharField(
        "planned treatment route",
        max_length=12,
        choices=Route.choices,
        blank=True,
        help_text="Used to group outcomes by route.",
    )
    indications = models.JSONField(
        "treated for",
        default=list,
        blank=True,
        help_text="What the patient is treated for; follow-up questionnaire rules can depend on it.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        # user.patient_record: how clinic.User tells a patient's login from staff without importing this.
        related_name="patient_record",
        help_text="The patient's portal login, once they accept an invitation.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["phone_digits", "search_name", "updated_at"])

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_family_name", "legal_given_name", "date_of_birth"]
        permissions = [("invite_patient", "Can invite a patient to the portal")]
        indexes = [
            models.Index(fields=["legal_family_name", "legal_given_name"]),
            models.Index(fields=["date_of_birth"]),
            # A status in name order (the screening queue, the patient list filtered by status): the
            # page and its count from the index.
            models.Index(
                fields=["status", "legal_family_name", "legal_given_name", "date_of_birth"],
                name="patient_status_name",
            ),
        ]

    def __str__(self):
        return self.full_name

    @staticmethod
    def of_user(user):
        """The Patient whose portal login ``user`` is, or None (staff, anonymous). Cached on the user."""
        return getattr(user, "patient_record", None)

    def save(self, *args, **kwargs):
        self.fill_derived_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            if "phone" in update_fields:
                update_fields.add("phone_digits")
            if update_fields & set(NAME_FIELDS):
                update_fields.add("search_name")
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    def fill_derived_fields(self):
        self.phone_digits = digits_of(self.phone)
        self.search_name = " ".join(
            key for key in (search_key(getattr(self, name)) for name in NAME_FIELDS) if key
        )

    @property
    def full_name(self):
        return f"{self.legal_given_name} {self.legal_family_name}"

    @property
    def sortable_name(self):
        return self.sortable_name_of(self.legal_family_name, self.legal_given_name, self.preferred_name)

    @staticmethod
    def sortable_name_of(family_name, given_name, preferred_name=""):
        """ "Family, Given (Preferred)": also for pages that read the names without the whole record."""
        name = f"{family_name}, {given_name}"
        if preferred_name and preferred_name != given_name:
            name += f" ({preferred_name})"
        return name

    @property
    def display_first_name(self):
        return self.preferred_name or self.legal_given_name

    @property
    def age(self):
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def latest_invitation(self):
        return self.invitations.order_by("-created_at").first()


class PortalInvitation(ExternalIdModel):
    """A single-use, expiring link that lets a patient set a password for the portal.

    The link carries the external id signed with SECRET_KEY, so a tampered link fails the signature
    check before the database is asked; state (used, replaced, expired) lives here.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(help_text="Where the link was sent.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a newer invitation replaces this one."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Portal invitation {self.external_id}"

    @property
    def state(self):
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "replaced"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
