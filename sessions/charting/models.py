"""Treatment-session charting: one chart per treatment appointment, from checklist to signatures.

A chart is written by a nurse and a prescriber during the session. Once both have signed it is
locked: the chart and every reading, observation, adverse event and alert on it refuse to change
(here, in every view and in admin), and corrections are addenda beside the original
(docs/clinical-reference.md, "Privacy and security": signed clinical notes lock; later changes are addenda).
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.models import ExternalIdModel, SingletonSettings
from patients.alerts import AlertQuerySet
from patients.models import Patient
from sessions.charting.dosing import Limits, plain
from sessions.charting.monitoring import CADSS_MAX, PLAUSIBLE, Reading
from sessions.ledger.models import LedgerEntry, Vial
from sessions.scheduling.models import Appointment

#: A reading charted more than this long after it was taken is shown as a late entry.
LATE_ENTRY_AFTER = timedelta(minutes=5)

LOCKED_MESSAGE = "This session record is signed and locked; add an addendum instead."


class LockedRecord(ValidationError):
    def __init__(self):
        super().__init__(LOCKED_MESSAGE)


def _range(field):
    low, high = PLAUSIBLE[field]
    return [MinValueValidator(low), MaxValueValidator(high)]


class TreatmentSession(ExternalIdModel):
    class Route(models.TextChoices):
        IV = "iv", "IV infusion"
        IM = "im", "IM injection"
        INTRANASAL = "intranasal", "Intranasal esketamine"

    class Status(models.TextChoices):
        CHARTING = "charting", "Charting"
        DISCHARGED = "discharged", "Discharged, awaiting signatures"
        SIGNED = "signed", "Signed and locked"

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="treatment_session"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_sessions")
    route = models.CharField(max_length=12, choices=Route.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CHARTING)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    # Pre-session: the checklist ({key: "yes" | "no" | "na"}), today's weight, a mood rating.
    checklist = models.JSONField(default=dict, blank=True)
    checklist_note = models.CharField(max_length=300, blank=True)
    checklist_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checklist_at = models.DateTimeField(null=True, blank=True)
    weight_kg = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("25")), MaxValueValidator(Decimal("350"))],
    )
    weight_measured_on = models.DateField(null=True, blank=True)
    mood_pre = models.PositiveSmallIntegerField(
        "pre-dose mood (0–10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )

    # The prescriber's order. A dose over the clinic maximum carries a reason; a hold or a closed treatment
    # gate is lifted by a SafetyOverride. A diluted IV order gives the final volume in 0.9 % sodium
    # chloride; the rate is then of the final volume, rounded to the pump resolution in force.
    ordered_mg_per_kg = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    ordered_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    ordered_dose_mg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    ordered_concentration = models.DecimalField(
        "concentration (mg/mL)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    ordered_volume_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    ordered_rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    ordered_final_volume_ml = models.DecimalField(
        "final volume (mL)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    ordered_diluent_volume_ml = models.DecimalField(
        "diluent volume (mL)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    ordered_final_concentration = models.DecimalField(
        "final concentration (mg/mL)", max_digits=7, decimal_places=3, null=True, blank=True
    )
    ordered_rate_resolution = models.DecimalField(
        "pump rate resolution (mL/h)", max_digits=4, decimal_places=2, null=True, blank=True
    )
    ordered_devices = models.PositiveSmallIntegerField(null=True, blank=True)
    limit_override_reason = models.TextField(blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(null=True, blank=True)

    # The nurse's administration, drawn on a vial in the ledger (IV, IM) or from a device lot (esketamine).
    vial = models.ForeignKey(Vial, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ledger_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="treatment_session"
    )
    lot_number = models.CharField(max_length=60, blank=True)
    administered_volume_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dose_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Infusion start, injection, or the first esketamine device."
    )
    # Esketamine: the nurse may stop before every ordered device is given (a reason is required).
    devices_stopped_reason = models.TextField(blank=True)
    devices_stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    devices_stopped_at = models.DateTimeField(null=True, blank=True)

    # Discharge.
    aldrete = models.JSONField(default=dict, blank=True)
    vitals_near_baseline = models.BooleanField(null=True)
    alert_and_oriented = models.BooleanField(null=True)
    escort_present = models.BooleanField(null=True)
    escort_name = models.CharField(max_length=150, blank=True)
    instructions_given = models.BooleanField(null=True)
    discharge_note = models.TextField(blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Spravato REMS answers that the chart cannot supply by itself.
    rems = models.JSONField(default=dict, blank=True)

    nurse_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    nurse_signed_at = models.DateTimeField(null=True, blank=True)
    prescriber_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prescriber_signed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at"]
        permissions = [
            ("order_dose", "Can order a dose and override a pre-dose hold"),
            ("sign_session", "Can sign a treatment session record"),
        ]

    def __str__(self):
        return f"{self.get_route_display()} {timezone.localtime(self.started_at):%Y-%m-%d}"

    @property
    def is_locked(self):
        return self.status == self.Status.SIGNED

    @property
    def is_ordered(self):
        return self.ordered_at is not None

    @property
    def is_administered(self):
        return self.dose_started_at is not None

    @property
    def is_weight_based(self):
        return self.route in (self.Route.IV, self.Route.IM)

    @property
    def is_diluted(self):
        return self.ordered_final_volume_ml is not None

    @property
    def rate_text(self):
        """The ordered pump rate to the pump's resolution: "1.1", "0.05", "75"."""
        if self.ordered_rate_ml_per_h is None:
            return ""
        step = self.ordered_rate_resolution or Decimal("0.1")
        return str(self.ordered_rate_ml_per_h.quantize(step.normalize()))

    @property
    def rate_resolution_text(self):
        step = self.ordered_rate_resolution
        return "" if step is None else plain(step)

    @property
    def infusion_end(self):
        if self.route == self.Route.IV and self.dose_started_at and self.ordered_minutes:
            return self.dose_started_at + timedelta(minutes=self.ordered_minutes)
        return None

    def minutes_from_dose(self, when):
        if self.dose_started_at is None:
            return None
        return int((when - self.dose_started_at).total_seconds() // 60)

    def save(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, status=self.Status.SIGNED).exists():
            raise LockedRecord()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Session records are never deleted.")


def _refuse_if_signed(session_id):
    if TreatmentSession.objects.filter(pk=session_id, status=TreatmentSession.Status.SIGNED).exists():
        raise LockedRecord()


class ChartEntry(models.Model):
    """Something charted on a session at a time: refuses changes once the session is signed.

    ``submission_id`` is the id of the form that charted it: a form sent twice (resent after a lost
    answer, or after signing in again) finds the entry it already made instead of charting it twice.
    """

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT)
    taken_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["taken_at", "pk"]

    def save(self, *args, **kwargs):
        _refuse_if_signed(self.session_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Charted entries are never deleted; record an addendum instead.")

    @property
    def late_entry(self):
        return self.recorded_at - self.taken_at > LATE_ENTRY_AFTER


class VitalSignReading(ChartEntry):
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="vitals")
    sbp = models.PositiveSmallIntegerField("systolic", null=True, blank=True, validators=_range("sbp"))
    dbp = models.PositiveSmallIntegerField("diastolic", null=True, blank=True, validators=_range("dbp"))
    hr = models.PositiveSmallIntegerField("heart rate", null=True, blank=True, validators=_range("hr"))
    spo2 = models.PositiveSmallIntegerField("SpO2", null=True, blank=True, validators=_range("spo2"))
    rr = models.PositiveSmallIntegerField("respiratory rate", null=True, blank=True, validators=_range("rr"))
    temp_c = models.DecimalField(
        "temperature (°C)",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("43"))],
    )
    pre_dose = models.BooleanField(default=False)
    flags = models.JSONField(default=list, blank=True, help_text="Threshold messages in force when charted.")

    class Meta(ChartEntry.Meta):
        pass

    def __str__(self):
        return f"{self.bp} HR {self.hr or '–'}"

    @property
    def bp(self):
        return f"{self.sbp}/{self.dbp}" if self.sbp and self.dbp else "–"

    @property
    def flagged_fields(self):
        """The vitals this reading was flagged for ("sbp", "hr", …): each stored flag message starts with
        the vital's short name (sessions.charting.monitoring)."""
        return flagged_fields(self.flags)

    def as_reading(self):
        return Reading(
            sbp=self.sbp,
            dbp=self.dbp,
            hr=self.hr,
            spo2=self.spo2,
            rr=self.rr,
            temp_c=float(self.temp_c) if self.temp_c is not None else None,
        )


#: The short names that start a flag message (sessions.charting.monitoring), and the field each one flags.
FLAG_FIELDS = {"SBP": "sbp", "DBP": "dbp", "HR": "hr", "SpO2": "spo2", "RR": "rr", "Temp": "temp_c"}


def flagged_fields(messages):
    return {FLAG_FIELDS[name] for name in (m.split(" ", 1)[0] for m in messages) if name in FLAG_FIELDS}


class EsketamineDevice(ChartEntry):
    """One esketamine nasal spray device (28 mg) given, at ``taken_at``. The treatment gate is checked
    before each one; they are at least 5 minutes apart (docs/clinical-reference.md, "Routes and dosing")."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="devices")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(3)])
    lot_number = models.CharField(max_length=60)

    class Meta(ChartEntry.Meta):
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="one_row_per_device")]

    def __str__(self):
        return f"Device {self.number} ({timezone.localtime(self.taken_at):%H:%M})"


class CadssItem(models.Model):
    """A CADSS item, loaded by a clinic that holds the licence (the wording is copyrighted: none ships)."""

    class Subscale(models.TextChoices):
        DEPERSONALIZATION = "depersonalization", "Depersonalization"
        DEREALIZATION = "derealization", "Derealization"
        AMNESIA = "amnesia", "Amnesia"
        OTHER = "other", "Other"

    number = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(23)]
    )
    text = models.TextField()
    subscale = models.CharField(max_length=20, choices=Subscale.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "CADSS item"

    def __str__(self):
        return f"CADSS {self.number}"


class SedationObservation(ChartEntry):
    """MOAA/S sedation and CADSS dissociation at a timepoint."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="observations")
    moaas = models.PositiveSmallIntegerField(
        "MOAA/S", null=True, blank=True, validators=[MaxValueValidator(5)]
    )
    cadss_total = models.PositiveSmallIntegerField(
        "CADSS total", null=True, blank=True, validators=[MaxValueValidator(CADSS_MAX)]
    )
    cadss_depersonalization = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(CADSS_MAX)]
    )
    cadss_derealization = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(CADSS_MAX)]
    )
    cadss_amnesia = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(CADSS_MAX)]
    )
    cadss_items = models.JSONField(
        default=dict, blank=True, help_text="{item number: 0–4} when items are loaded"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta(ChartEntry.Meta):
        pass

    def __str__(self):
        return f"MOAA/S {self.moaas} CADSS {self.cadss_total}"


class AdverseEvent(ChartEntry):
    class Kind(models.TextChoices):
        NAUSEA = "nausea_vomiting", "Nausea / vomiting"
        HYPERTENSION = "hypertension", "Hypertension"
        TACHYCARDIA = "tachycardia", "Tachycardia"
        AGITATION = "agitation", "Agitation"
        EMERGENCE = "emergence_reaction", "Emergence reaction"
        RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory depression"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        IMPROVING = "improving", "Improving"
        ONGOING = "ongoing", "Ongoing"
        TRANSFERRED = "transferred", "Transferred to emergency care"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(max_length=25, choices=Kind.choices)
    description = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    intervention = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. ondansetron 4 mg IV, labetalol, clonidine, paused infusion",
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    serious = models.BooleanField("serious adverse event", default=False)

    class Meta(ChartEntry.Meta):
        pass

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_severity_display().lower()})"


class SessionAlert(models.Model):
    """A value past a threshold during a session: shown until someone acknowledges it."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="alerts")
    raised_at = models.DateTimeField(default=timezone.now)
    message = models.CharField(max_length=300)
    vital = models.ForeignKey(
        VitalSignReading, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    observation = models.ForeignKey(
        SedationObservation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adverse_event = models.ForeignKey(
        AdverseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.CharField("action taken", max_length=300, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "pk"]
        indexes = [
            models.Index(
                fields=["session"], condition=Q(acknowledged_at__isnull=True), name="session_alert_open"
            )
        ]

    def __str__(self):
        return self.message

    def save(self, *args, **kwargs):
        _refuse_if_signed(self.session_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Alerts are never deleted; acknowledge them.")

    @property
    def is_open(self):
        return self.acknowledged_at is None


class SafetyOverride(models.Model):
    """A prescriber's written decision to go on although the treatment is stopped.

    ``covers`` lists the stops it was given for, each ``{"key", "text"}`` as shown at the time
    (sessions.charting.safety): a stop that arises later (a newer hold-level reading, a new alert) has another key
    and stops the treatment again. Never changed or deleted; printed on the session record.
    """

    class Kind(models.TextChoices):
        GATE = "gate", "Treatment gate"
        HOLD = "hold", "Pre-dose hold"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="overrides")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    reason = models.TextField()
    covers = models.JSONField(default=list)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} override {timezone.localtime(self.at):%H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("An override is never changed; give another one.")
        _refuse_if_signed(self.session_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Overrides are never deleted.")

    @property
    def covered_texts(self):
        return [item.get("text", "") for item in self.covers]


class SessionAddendum(models.Model):
    """A correction or late note on a signed session: who, when, why, beside the original."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField("why", max_length=200)
    text = models.TextField()
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "session addenda"

    def __str__(self):
        return f"Addendum {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("An addendum is never changed; add another one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Addenda are never deleted.")


class ChartingSettings(SingletonSettings):
    """Dose limits, monitoring time and the vital-sign thresholds the chart applies: one row an
    administrator edits in Django admin (Treatment sessions › Charting settings). Its history is what
    a session record shows as the thresholds in force at the time of the session
    (sessions.charting.records)."""

    # Charting: doses and monitoring (docs/clinical-reference.md, "Routes and dosing" and "Monitoring").
    # Defaults, not advice.
    max_mg_per_kg = models.DecimalField(
        "maximum mg/kg (IV, IM)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("2"))],
        help_text="An order above this is a hard stop that only a prescriber can override, with a reason.",
    )
    max_dose_mg = models.DecimalField(
        "maximum dose mg (IV, IM)",
        max_digits=5,
        decimal_places=1,
        default=Decimal("150.0"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    max_esketamine_mg = models.DecimalField(
        "maximum esketamine dose mg", max_digits=4, decimal_places=1, default=Decimal("84.0")
    )
    weight_valid_days = models.PositiveSmallIntegerField(
        "weight valid for (days)",
        default=0,
        validators=[MaxValueValidator(30)],
        help_text="0: the weight for a weight-based dose must be taken the same day.",
    )
    monitoring_minutes = models.PositiveSmallIntegerField(
        "monitoring after the dose starts (minutes)",
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(360)],
        help_text="Vitals are expected until then; esketamine always at least 120.",
    )
    pump_rate_resolution = models.DecimalField(
        "pump rate resolution (mL/h)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.1"),
        choices=[(Decimal("0.01"), "0.01 mL/h"), (Decimal("0.1"), "0.1 mL/h"), (Decimal("1"), "1 mL/h")],
        help_text="The smallest rate step of the clinic's infusion pumps (syringe pumps commonly 0.1 mL/h, "
        "large-volume pumps 1 mL/h). An order whose rate, rounded to it, changes the dose by more than "
        "5 % is refused and a dilution is proposed.",
    )
    # Before the dose: a hold needs a prescriber's written override later than the reading.
    hold_sbp = models.PositiveSmallIntegerField("pre-dose hold: systolic above", default=160)
    hold_dbp = models.PositiveSmallIntegerField("pre-dose hold: diastolic above", default=100)
    hold_spo2_below = models.PositiveSmallIntegerField(
        "pre-dose hold: SpO2 below (%)", default=92, validators=[MaxValueValidator(100)]
    )
    hold_hr_above = models.PositiveSmallIntegerField("pre-dose hold: heart rate above", default=120)
    hold_hr_below = models.PositiveSmallIntegerField("pre-dose hold: heart rate below", default=50)
    hold_rr_below = models.PositiveSmallIntegerField("pre-dose hold: respiratory rate below", default=10)
    hold_rr_above = models.PositiveSmallIntegerField("pre-dose hold: respiratory rate above", default=24)
    hold_temp_c = models.DecimalField(
        "pre-dose hold: temperature at or above (°C)",
        max_digits=3,
        decimal_places=1,
        default=Decimal("38.0"),
        validators=[MinValueValidator(Decimal("36")), MaxValueValidator(Decimal("42"))],
    )
    caution_sbp = models.PositiveSmallIntegerField("pre-dose caution: systolic above", default=140)
    caution_dbp = models.PositiveSmallIntegerField("pre-dose caution: diastolic above", default=90)
    caution_spo2_below = models.PositiveSmallIntegerField(
        "pre-dose caution: SpO2 below (%)", default=95, validators=[MaxValueValidator(100)]
    )
    caution_hr_above = models.PositiveSmallIntegerField("pre-dose caution: heart rate above", default=100)
    # During and after the dose: a value past one of these raises an alert to acknowledge.
    alert_sbp_above = models.PositiveSmallIntegerField("alert: systolic above", default=180)
    alert_dbp_above = models.PositiveSmallIntegerField("alert: diastolic above", default=110)
    alert_sbp_below = models.PositiveSmallIntegerField(
        "alert: systolic below", default=90, help_text="Before the dose, a caution."
    )
    alert_dbp_below = models.PositiveSmallIntegerField(
        "alert: diastolic below", default=50, help_text="Before the dose, a caution."
    )
    alert_hr_above = models.PositiveSmallIntegerField("alert: heart rate above", default=120)
    alert_hr_below = models.PositiveSmallIntegerField("alert: heart rate below", default=50)
    alert_spo2_below = models.PositiveSmallIntegerField("alert: SpO2 below", default=92)
    alert_rr_below = models.PositiveSmallIntegerField("alert: respiratory rate below", default=10)
    alert_rr_above = models.PositiveSmallIntegerField("alert: respiratory rate above", default=24)
    moaas_alert_at_most = models.PositiveSmallIntegerField(
        "alert: MOAA/S at or below", default=2, validators=[MaxValueValidator(5)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "charting settings"
        verbose_name_plural = "charting settings"

    def clean(self):
        problems = {}
        pairs = (
            ("caution_sbp", "hold_sbp", "The systolic caution level must not be above the hold level."),
            ("caution_dbp", "hold_dbp", "The diastolic caution level must not be above the hold level."),
            (
                "caution_hr_above",
                "hold_hr_above",
                "The heart-rate caution level must not be above the hold level.",
            ),
            (
                "hold_spo2_below",
                "caution_spo2_below",
                "The SpO2 hold level must not be above the caution level.",
            ),
            ("hold_hr_below", "hold_hr_above", "The low heart-rate hold must be below the high one."),
            ("hold_rr_below", "hold_rr_above", "The low respiratory-rate hold must be below the high one."),
            ("alert_hr_below", "alert_hr_above", "The low heart-rate alert must be below the high one."),
            (
                "alert_rr_below",
                "alert_rr_above",
                "The low respiratory-rate alert must be below the high one.",
            ),
            ("alert_sbp_below", "alert_sbp_above", "The low systolic alert must be below the high one."),
            ("alert_dbp_below", "alert_dbp_above", "The low diastolic alert must be below the high one."),
        )
        for low, high, message in pairs:
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                problems[low] = message
        if problems:
            raise ValidationError(problems)

    def thresholds(self):
        """The alert thresholds in force, in the shape sessions.charting.monitoring expects."""
        return {
            "pre_dose_hold": {
                "sbp": self.hold_sbp,
                "dbp": self.hold_dbp,
                "spo2_below": self.hold_spo2_below,
                "hr_above": self.hold_hr_above,
                "hr_below": self.hold_hr_below,
                "rr_below": self.hold_rr_below,
                "rr_above": self.hold_rr_above,
                "temp_c_at_or_above": self.hold_temp_c,
            },
            "pre_dose_caution": {
                "sbp": self.caution_sbp,
                "dbp": self.caution_dbp,
                "spo2_below": self.caution_spo2_below,
                "hr_above": self.caution_hr_above,
            },
            "during": {
                "sbp_above": self.alert_sbp_above,
                "dbp_above": self.alert_dbp_above,
                "sbp_below": self.alert_sbp_below,
                "dbp_below": self.alert_dbp_below,
                "hr_above": self.alert_hr_above,
                "hr_below": self.alert_hr_below,
                "spo2_below": self.alert_spo2_below,
                "rr_below": self.alert_rr_below,
                "rr_above": self.alert_rr_above,
            },
            "moaas_alert_at_most": self.moaas_alert_at_most,
        }

    def dose_limits(self, route):
        if route == "intranasal":
            return Limits(max_mg_per_kg=self.max_mg_per_kg, max_mg=self.max_esketamine_mg)
        return Limits(
            max_mg_per_kg=self.max_mg_per_kg,
            max_mg=self.max_dose_mg,
            weight_max_age_days=self.weight_valid_days,
        )
