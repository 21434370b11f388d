"""Charting a treatment session: each step as a function that checks its rules and writes the chart.

Views stay thin: they turn a form into a call here and a ``ChartingError`` into messages. The
clinical rules themselves live in ``sessions.dosing`` and ``sessions.monitoring`` (plain functions);
the thresholds and limits in force come from ``ClinicSettings`` and are named in every message.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assessments import followups
from clinic import roles
from clinic.models import ClinicSettings
from patients.review import may_treat
from sessions import dosing, ledger, monitoring
from sessions.models import (
    AdverseEvent,
    Appointment,
    SedationObservation,
    SessionAddendum,
    SessionAlert,
    TreatmentSession,
    VitalSignReading,
)
from sessions.models.charting import LOCKED_MESSAGE

log = logging.getLogger(__name__)

#: How far ahead of the clock a reading may be stamped (clocks drift), and how far back a late
#: entry may go before the appointment started.
CLOCK_SKEW = timedelta(minutes=2)
EARLIEST_BEFORE_APPOINTMENT = timedelta(hours=2)


class ChartingError(Exception):
    """Why a charting step was refused: every reason, each shown as it is."""

    def __init__(self, *reasons):
        self.reasons = [r for r in reasons if r]
        super().__init__(" ".join(self.reasons))


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    asked_of: str  # "patient" (the patient's answer) or "nurse" (the nurse's check)
    routes: tuple = ()  # empty: every route
    allows_na: bool = False


#: domain.md, "Pre-session checklist". A "no" holds dosing until a prescriber overrides it with a reason.
CHECKLIST = (
    ChecklistItem("fasting", "Fasted: no solid food for 6 hours, no liquids for 2 hours", "patient"),
    ChecklistItem("escort", "Escort arranged; will not drive until tomorrow", "patient"),
    ChecklistItem("no_substances", "No alcohol, benzodiazepines or cannabis in the last 24 hours", "patient"),
    ChecklistItem(
        "nasal", "No nasal steroid or decongestant in the last hour", "patient", routes=("intranasal",)
    ),
    ChecklistItem("medications", "Current medications reviewed", "nurse"),
    ChecklistItem("pregnancy", "Pregnancy test negative today", "nurse", allows_na=True),
    ChecklistItem("iv_access", "IV access placed and patent", "nurse", routes=("iv",)),
)
ANSWERS = {"yes": "Yes", "no": "No", "na": "Not applicable"}


def checklist_for(route):
    return [item for item in CHECKLIST if not item.routes or route in item.routes]


def _settings():
    return ClinicSettings.load()


def _refuse_if_locked(session):
    if session.is_locked:
        raise ChartingError(LOCKED_MESSAGE)


def _open(session):
    _refuse_if_locked(session)
    if session.status == TreatmentSession.Status.DISCHARGED:
        raise ChartingError("The patient has been discharged; this part of the chart is closed.")


# --- Start ----------------------------------------------------------------------------------------


def start_session(appointment, *, by, now=None):
    """The chart for a checked-in treatment appointment, after the treatment gate. Idempotent."""
    existing = TreatmentSession.objects.filter(appointment=appointment).first()
    if existing:
        return existing
    route = appointment.appointment_type.route
    if not route:
        raise ChartingError(f"{appointment.appointment_type} is not a treatment; there is nothing to chart.")
    if appointment.status not in (Appointment.Status.CHECKED_IN, Appointment.Status.IN_TREATMENT):
        raise ChartingError(
            f"The appointment is {appointment.get_status_display().lower()}: check the patient in first."
        )
    gate = may_treat(appointment.patient, route, on=timezone.localdate(now))
    if not gate.allowed:
        raise ChartingError("The patient may not be treated today:", *gate.reasons)
    with transaction.atomic():
        session = TreatmentSession.objects.create(
            appointment=appointment,
            patient=appointment.patient,
            route=route,
            started_by=by,
            started_at=now or timezone.now(),
        )
        appointment.status = Appointment.Status.IN_TREATMENT
        appointment.save()
    log.info("treatment session %s started", session.external_id)
    return session


# --- Pre-session ----------------------------------------------------------------------------------


def save_pre_session(
    session, *, answers, note="", weight_kg=None, weight_measured_on=None, mood_pre=None, by, now=None
):
    _open(session)
    if session.is_administered:
        raise ChartingError("The dose has been given; the pre-session checklist can no longer change.")
    items = checklist_for(session.route)
    cleaned = {}
    problems = []
    for item in items:
        answer = answers.get(item.key) or ""
        if answer not in ANSWERS or (answer == "na" and not item.allows_na):
            problems.append(f"Answer “{item.label}”.")
        else:
            cleaned[item.key] = answer
    if problems:
        raise ChartingError(*problems)
    if session.is_weight_based and (weight_kg is None or weight_measured_on is None):
        raise ChartingError("Record the patient's weight and the day it was taken.")
    session.checklist = cleaned
    session.checklist_note = (note or "").strip()
    session.weight_kg = weight_kg
    session.weight_measured_on = weight_measured_on
    session.mood_pre = mood_pre
    session.checklist_by = by
    session.checklist_at = now or timezone.now()
    session.save()
    return session


def checklist_rows(session):
    return [
        {
            "item": item,
            "answer": session.checklist.get(item.key),
            "label": ANSWERS.get(session.checklist.get(item.key)),
        }
        for item in checklist_for(session.route)
    ]


# --- Readings -------------------------------------------------------------------------------------


def _check_time(session, taken_at, now):
    now = now or timezone.now()
    if taken_at > now + CLOCK_SKEW:
        raise ChartingError("The time is in the future: chart readings when they are taken.")
    earliest = session.appointment.start - EARLIEST_BEFORE_APPOINTMENT
    if taken_at < earliest:
        raise ChartingError(
            f"The time is before this session (appointment at {timezone.localtime(session.appointment.start):%H:%M})."
        )
    if session.discharged_at and taken_at > session.discharged_at:
        raise ChartingError("The time is after the patient was discharged.")


def _is_pre_dose(session, taken_at):
    return session.dose_started_at is None or taken_at < session.dose_started_at


def record_vitals(session, *, taken_at, by, now=None, **values):
    """Chart one set of vitals; returns the reading. Implausible values are refused; values past a
    threshold are flagged with the threshold and raise an alert that must be acknowledged."""
    _refuse_if_locked(session)
    _check_time(session, taken_at, now)
    reading = monitoring.Reading(**{k: values.get(k) for k in monitoring.PLAUSIBLE})
    errors = monitoring.plausibility_errors(reading)
    if errors:
        raise ChartingError(*errors.values())
    if all(
        v is None for v in (reading.sbp, reading.dbp, reading.hr, reading.spo2, reading.rr, reading.temp_c)
    ):
        raise ChartingError("Enter at least one value.")
    if (reading.sbp is None) != (reading.dbp is None):
        raise ChartingError("Enter both systolic and diastolic, or neither.")
    thresholds = _settings().thresholds()
    pre_dose = _is_pre_dose(session, taken_at)
    if pre_dose and reading.sbp is not None:
        _status, flags = monitoring.pre_dose_check(reading, thresholds)
    elif pre_dose:
        flags = []
    else:
        flags = monitoring.vital_flags(reading, thresholds)
    with transaction.atomic():
        row = VitalSignReading.objects.create(
            session=session,
            taken_at=taken_at,
            recorded_at=now or timezone.now(),
            recorded_by=by,
            pre_dose=pre_dose,
            flags=[f.message for f in flags],
            **{k: getattr(reading, k) for k in monitoring.PLAUSIBLE},
        )
        if flags and not pre_dose:
            SessionAlert.objects.create(
                session=session,
                raised_at=now or timezone.now(),
                vital=row,
                message="; ".join(f.message for f in flags),
            )
    return row


def pre_dose_reading(session):
    """The latest pre-dose reading with a blood pressure: the baseline the hold rule judges."""
    return session.vitals.filter(pre_dose=True, sbp__isnull=False).order_by("-taken_at", "-pk").first()


def pre_dose_status(session):
    """("ok" | "caution" | "hold" | None, flags) for the baseline blood pressure."""
    baseline = pre_dose_reading(session)
    if baseline is None:
        return None, []
    return monitoring.pre_dose_check(baseline.as_reading(), _settings().thresholds())


def record_observation(
    session,
    *,
    taken_at,
    by,
    moaas=None,
    cadss_total=None,
    cadss_depersonalization=None,
    cadss_derealization=None,
    cadss_amnesia=None,
    cadss_items=None,
    note="",
    now=None,
):
    _refuse_if_locked(session)
    _check_time(session, taken_at, now)
    if cadss_items:
        bad = [n for n, v in cadss_items.items() if not isinstance(v, int) or not 0 <= v <= 4]
        if bad:
            raise ChartingError("Each CADSS item is scored 0 to 4.")
        cadss_total = sum(cadss_items.values())
    subscales = [cadss_depersonalization, cadss_derealization, cadss_amnesia]
    if cadss_total is not None:
        if not 0 <= cadss_total <= monitoring.CADSS_MAX:
            raise ChartingError(f"The CADSS total is 0 to {monitoring.CADSS_MAX}.")
        if sum(s for s in subscales if s is not None) > cadss_total:
            raise ChartingError("The CADSS subscales add up to more than the total: check the entry.")
    elif any(s is not None for s in subscales):
        raise ChartingError("Enter the CADSS total with its subscales.")
    if moaas is None and cadss_total is None:
        raise ChartingError("Enter a MOAA/S score or a CADSS total.")
    if moaas is not None and moaas not in monitoring.MOAAS:
        raise ChartingError("MOAA/S is scored 0 to 5.")
    thresholds = _settings().thresholds()
    with transaction.atomic():
        row = SedationObservation.objects.create(
            session=session,
            taken_at=taken_at,
            recorded_at=now or timezone.now(),
            recorded_by=by,
            moaas=moaas,
            cadss_total=cadss_total,
            cadss_depersonalization=cadss_depersonalization,
            cadss_derealization=cadss_derealization,
            cadss_amnesia=cadss_amnesia,
            cadss_items={str(k): v for k, v in (cadss_items or {}).items()},
            note=(note or "").strip(),
        )
        if moaas is not None and monitoring.moaas_alert(moaas, thresholds):
            SessionAlert.objects.create(
                session=session,
                raised_at=now or timezone.now(),
                observation=row,
                message=(
                    f"MOAA/S {moaas} ({monitoring.MOAAS[moaas].lower()}) at or below "
                    f"{thresholds['moaas_alert_at_most']} (sedation alert threshold)"
                ),
            )
    return row


def record_adverse_event(
    session,
    *,
    taken_at,
    by,
    kind,
    severity,
    outcome,
    description="",
    intervention="",
    serious=False,
    now=None,
):
    _refuse_if_locked(session)
    _check_time(session, taken_at, now)
    if kind == AdverseEvent.Kind.OTHER and not (description or "").strip():
        raise ChartingError("Describe the adverse event.")
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            session=session,
            taken_at=taken_at,
            recorded_at=now or timezone.now(),
            recorded_by=by,
            kind=kind,
            severity=severity,
            outcome=outcome,
            description=(description or "").strip(),
            intervention=(intervention or "").strip(),
            serious=serious,
        )
        if serious or severity == AdverseEvent.Severity.SEVERE:
            SessionAlert.objects.create(
                session=session,
                raised_at=now or timezone.now(),
                adverse_event=event,
                message=f"{'Serious' if serious else 'Severe'} adverse event: {event.get_kind_display().lower()}",
            )
    return event


def acknowledge(alert, *, by, note, now=None):
    if alert.session.is_locked:
        raise ChartingError(LOCKED_MESSAGE)
    if not alert.is_open:
        raise ChartingError("This alert has already been acknowledged.")
    if not (note or "").strip():
        raise ChartingError("Say what was done about the alert.")
    alert.acknowledged_by = by
    alert.acknowledged_at = now or timezone.now()
    alert.acknowledgement = note.strip()
    alert.save()
    return alert


# --- Dosing ---------------------------------------------------------------------------------------


def not_ready_to_order(session, today=None):
    """What must be charted before a dose can be ordered (no override: chart it)."""
    # The weight must be from the day of the session (which may have started before midnight).
    today = today or timezone.localdate(session.appointment.start)
    reasons = []
    if not session.checklist_at:
        reasons.append("Complete the pre-session checklist.")
    if session.is_weight_based:
        if session.weight_kg is None or session.weight_measured_on is None:
            reasons.append("Record today's weight.")
        else:
            stale = dosing.check_weight(
                session.weight_measured_on, today, _settings().dose_limits(session.route)
            )
            if stale:
                reasons.append(stale + ".")
    if pre_dose_reading(session) is None:
        reasons.append("Chart pre-dose vital signs with a blood pressure.")
    return reasons


def holds(session):
    """Why dosing is held: each needs a prescriber's override with a reason."""
    reasons = []
    status, flags = pre_dose_status(session)
    if status == "hold":
        reasons.append(
            "Pre-dose blood pressure hold: " + "; ".join(f.message for f in flags if "hold" in f.message)
        )
    for row in checklist_rows(session):
        if row["answer"] == "no":
            reasons.append(f"Checklist: “{row['item'].label}” answered no.")
    return reasons


def plan_defaults(session):
    plan = session.appointment.plan
    return {
        "mg_per_kg": plan.mg_per_kg if plan else None,
        "minutes": plan.infusion_minutes if plan else None,
        "dose_mg": plan.fixed_dose_mg if plan else None,
        "protocol": plan.protocol if plan else "",
    }


def calculate(session, *, mg_per_kg=None, minutes=None, concentration=None, dose_mg=None):
    """The dose for this session's route and weight under the clinic's limits (raises DoseError)."""
    limits = _settings().dose_limits(session.route)
    if session.route == TreatmentSession.Route.INTRANASAL:
        if dose_mg is None:
            raise dosing.DoseError("Choose the esketamine dose.")
        return dosing.intranasal(dose_mg=dose_mg, limits=limits)
    if session.weight_kg is None:
        raise dosing.DoseError("Record the patient's weight first.")
    for value, name in ((mg_per_kg, "mg/kg"), (concentration, "the vial concentration")):
        if value is None:
            raise dosing.DoseError(f"Enter {name}.")
    return dosing.weight_based(
        route=session.route,
        weight_kg=session.weight_kg,
        mg_per_kg=mg_per_kg,
        concentration_mg_per_ml=concentration,
        minutes=minutes if session.route == TreatmentSession.Route.IV else None,
        limits=limits,
    )


def order_dose(
    session,
    *,
    by,
    mg_per_kg=None,
    minutes=None,
    concentration=None,
    dose_mg=None,
    hold_override_reason="",
    limit_override_reason="",
    now=None,
):
    """The prescriber's order. Holds and a dose over the clinic maximum need an override reason."""
    _open(session)
    if not by.has_perm(roles.ORDER_DOSE):
        raise ChartingError("Only a prescriber can order the dose.")
    if session.is_administered:
        raise ChartingError("The dose has already been given.")
    missing = not_ready_to_order(session, today=timezone.localdate(now) if now else None)
    if missing:
        raise ChartingError(*missing)
    try:
        dose = calculate(
            session, mg_per_kg=mg_per_kg, minutes=minutes, concentration=concentration, dose_mg=dose_mg
        )
    except dosing.DoseError as error:
        raise ChartingError(str(error)) from None
    held = holds(session)
    hold_override_reason = (hold_override_reason or "").strip()
    limit_override_reason = (limit_override_reason or "").strip()
    problems = []
    if held and not hold_override_reason:
        problems += [*held, "Dosing is held: give the reason for overriding the hold."]
    if dose.over_limit and not limit_override_reason:
        problems += [
            *dose.over_limit,
            "This dose is over the clinic maximum: give the reason for overriding it.",
        ]
    if problems:
        raise ChartingError(*problems)
    session.ordered_mg_per_kg = Decimal(str(mg_per_kg)) if dose.mg_per_kg is not None else None
    session.ordered_minutes = dose.minutes
    session.ordered_dose_mg = dose.mg
    session.ordered_concentration = Decimal(str(concentration)) if dose.volume_ml is not None else None
    session.ordered_volume_ml = dose.volume_ml
    session.ordered_rate_ml_per_h = dose.rate_ml_per_h
    session.ordered_devices = dose.devices
    session.hold_override_reason = hold_override_reason if held else ""
    session.limit_override_reason = limit_override_reason if dose.over_limit else ""
    session.ordered_by = by
    session.ordered_at = now or timezone.now()
    session.save()
    log.info("dose ordered on session %s", session.external_id)
    return dose


def administer_dose(session, *, by, vial=None, lot_number="", started_at=None, now=None):
    """The nurse gives the ordered dose: IV and IM draw the ordered volume from a vial in the ledger."""
    _open(session)
    if not session.is_ordered:
        raise ChartingError("There is no order to give yet.")
    if session.is_administered:
        raise ChartingError("The dose has already been given.")
    now = now or timezone.now()
    started_at = started_at or now
    if started_at > now + CLOCK_SKEW:
        raise ChartingError("The start time is in the future.")
    if started_at < session.ordered_at - CLOCK_SKEW:
        raise ChartingError("The dose cannot start before it was ordered.")
    later = session.vitals.filter(pre_dose=True, taken_at__gte=started_at)
    if later.exists():
        raise ChartingError("Readings charted as pre-dose were taken after this start time: check the time.")
    with transaction.atomic():
        if session.is_weight_based:
            if vial is None:
                raise ChartingError("Choose the vial the dose is drawn from.")
            if vial.expiry < timezone.localdate(started_at):
                raise ChartingError(f"Vial lot {vial.lot} expired on {vial.expiry:%b %-d, %Y}.")
            if vial.concentration_mg_per_ml != session.ordered_concentration:
                raise ChartingError(
                    f"The order is for {session.ordered_concentration} mg/mL; this vial is "
                    f"{vial.concentration_mg_per_ml} mg/mL."
                )
            try:
                entry = ledger.administer(vial, ml=session.ordered_volume_ml, patient=session.patient, by=by)
            except ledger.LedgerError as error:
                raise ChartingError(str(error)) from None
            session.vial = vial
            session.ledger_entry = entry
            session.lot_number = vial.lot
            session.administered_volume_ml = session.ordered_volume_ml
        else:
            if not (lot_number or "").strip():
                raise ChartingError("Enter the lot number of the devices.")
            session.lot_number = lot_number.strip()
        session.administered_by = by
        session.dose_started_at = started_at
        session.save()
    return session


# --- Timepoints -----------------------------------------------------------------------------------


def monitoring_minutes(session):
    minutes = _settings().monitoring_minutes
    if session.route == TreatmentSession.Route.INTRANASAL:
        minutes = max(minutes, monitoring.ESKETAMINE_MIN_MONITORING_MINUTES)
    if session.route == TreatmentSession.Route.IV and session.ordered_minutes:
        minutes = max(minutes, session.ordered_minutes + 15)
    return minutes


def timepoints(session, now=None):
    """Expected vital-sign timepoints with their clock time and status (done, due, overdue, upcoming)."""
    if not session.is_administered:
        return []
    now = now or timezone.now()
    expected = monitoring.expected_timepoints(
        session.route,
        infusion_minutes=session.ordered_minutes,
        monitoring_minutes=monitoring_minutes(session),
    )
    recorded = [
        0 if v.pre_dose else session.minutes_from_dose(v.taken_at)
        for v in session.vitals.all()
        if v.sbp is not None
    ]
    end = session.discharged_at or now
    rows = monitoring.timepoint_status(expected, recorded, session.minutes_from_dose(end))
    for row in rows:
        row["at"] = session.dose_started_at + timedelta(minutes=row["minute"])
        if session.discharged_at and row["status"] in ("due", "upcoming"):
            row["status"] = "not reached"
    return rows


# --- Discharge ------------------------------------------------------------------------------------


def discharge(
    session,
    *,
    by,
    aldrete,
    vitals_near_baseline,
    alert_and_oriented,
    escort_present,
    escort_name="",
    instructions_given,
    note="",
    discharged_at=None,
    now=None,
):
    _open(session)
    now = now or timezone.now()
    discharged_at = discharged_at or now
    reasons = []
    if not session.is_administered:
        reasons.append("No dose has been given.")
    else:
        if discharged_at > now + CLOCK_SKEW:
            reasons.append("The discharge time is in the future.")
        if session.infusion_end and discharged_at < session.infusion_end:
            reasons.append(f"The infusion runs until {timezone.localtime(session.infusion_end):%H:%M}.")
        last = session.vitals.order_by("-taken_at").first()
        if last and discharged_at < last.taken_at:
            reasons.append(
                f"The discharge time is before the last charted reading ({timezone.localtime(last.taken_at):%H:%M})."
            )
        if not session.vitals.filter(pre_dose=False).exists():
            reasons.append("Chart vital signs after the dose.")
        if not session.observations.filter(moaas__isnull=False).exists():
            reasons.append("Chart at least one MOAA/S sedation score.")
        minutes = max(session.minutes_from_dose(discharged_at), 0)
        reasons += monitoring.discharge_ready(
            aldrete=aldrete,
            vitals_near_baseline=vitals_near_baseline,
            alert_and_oriented=alert_and_oriented,
            escort_present=escort_present,
            instructions_given=instructions_given,
            route=session.route,
            minutes_since_first_dose=minutes,
        )
    if escort_present and not (escort_name or "").strip():
        reasons.append("Name the escort.")
    open_alerts = session.alerts.filter(acknowledged_at__isnull=True).count()
    if open_alerts:
        reasons.append(f"{open_alerts} alert{'s' if open_alerts > 1 else ''} not yet acknowledged.")
    if reasons:
        raise ChartingError(*reasons)
    with transaction.atomic():
        # A second discharge of the same chart (a double click, two tabs) waits here, then finds it done.
        current = (
            TreatmentSession.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
        )
        if current != TreatmentSession.Status.CHARTING:
            raise ChartingError("The patient has already been discharged.")
        session.aldrete = dict(aldrete)
        session.vitals_near_baseline = vitals_near_baseline
        session.alert_and_oriented = alert_and_oriented
        session.escort_present = escort_present
        session.escort_name = (escort_name or "").strip()
        session.instructions_given = instructions_given
        session.discharge_note = (note or "").strip()
        session.discharged_at = discharged_at
        session.discharged_by = by
        session.status = TreatmentSession.Status.DISCHARGED
        session.save()
        appointment = session.appointment
        if appointment.status != Appointment.Status.COMPLETED:
            appointment.status = Appointment.Status.COMPLETED
            appointment.save()
        followups.on_session_completed(appointment, by=by, completed_at=discharged_at)
    return session


def near_baseline_hint(session):
    """A hint for the nurse: the last reading against the pre-dose baseline (Aldrete circulation)."""
    baseline = pre_dose_reading(session)
    last = session.vitals.filter(pre_dose=False, sbp__isnull=False).order_by("-taken_at").first()
    if not baseline or not last:
        return ""
    difference = last.sbp - baseline.sbp
    return (
        f"Last BP {last.bp} at {timezone.localtime(last.taken_at):%H:%M}; pre-dose {baseline.bp} "
        f"(systolic {difference:+d} mmHg)."
    )


# --- REMS -----------------------------------------------------------------------------------------

REMS_ENTERED = (
    "enrolled",
    "benzodiazepines",
    "sedative_hypnotics",
    "psychostimulants",
    "maois",
    "opioids",
    "ready_without_minimum",
    "sedation",
    "sedation_details",
    "dissociation",
    "dissociation_details",
    "respiratory_depression",
    "respiratory_depression_details",
    "serious_adverse_events",
)


def _reading_near(session, minute, window=10):
    candidates = [
        v
        for v in session.vitals.all()
        if v.sbp is not None
        and not v.pre_dose
        and abs(session.minutes_from_dose(v.taken_at) - minute) <= window
    ]
    return min(candidates, key=lambda v: abs(session.minutes_from_dose(v.taken_at) - minute), default=None)


def rems_data(session):
    """Every field of the Spravato REMS patient monitoring form, from the chart and the REMS answers."""
    clinic = _settings()
    patient = session.patient
    data = {key: session.rems.get(key) for key in REMS_ENTERED}
    earlier = TreatmentSession.objects.filter(
        patient=patient, route=TreatmentSession.Route.INTRANASAL, dose_started_at__isnull=False
    ).exclude(pk=session.pk)
    if session.dose_started_at:
        earlier = earlier.filter(dose_started_at__lt=session.dose_started_at)
    baseline = pre_dose_reading(session)
    status, _flags = pre_dose_status(session)
    last = session.vitals.filter(sbp__isnull=False).order_by("-taken_at").first()
    at_40 = _reading_near(session, 40) if session.is_administered else None
    dose = session.ordered_dose_mg
    data.update(
        patient_name=patient.full_name,
        patient_dob=patient.date_of_birth,
        patient_sex=patient.get_sex_at_birth_display(),
        first_treatment=not earlier.exists(),
        provider_name=session.ordered_by.get_full_name() if session.ordered_by else None,
        provider_phone=clinic.phone or None,
        provider_email=session.ordered_by.email if session.ordered_by else None,
        clinic_name=clinic.name,
        clinic_address=clinic.address or None,
        treatment_date=timezone.localdate(session.dose_started_at) if session.dose_started_at else None,
        dose=None if dose is None else (int(dose) if dose in (56, 84) else "other"),
        other_dose_mg=dose if dose is not None and dose not in (56, 84) else None,
        lot_number=session.lot_number or None,
        total_monitoring_minutes=(
            session.minutes_from_dose(session.discharged_at) if session.discharged_at else None
        ),
        vitals_ok_pre_dose=None if status is None else status != "hold",
        vitals_ok_at_completion=session.vitals_near_baseline,
        bp_pre_dose=baseline.bp if baseline else None,
        bp_40_min=at_40.bp if at_40 else None,
        bp_before_completion=last.bp if last and not last.pre_dose else None,
    )
    return data


def save_rems(session, answers):
    _refuse_if_locked(session)
    session.rems = {key: answers.get(key) for key in REMS_ENTERED if answers.get(key) not in (None, "")}
    session.save()
    return session


def rems_suggestions(session):
    """Answers the chart suggests for the REMS yes/no questions (the nurse confirms them)."""
    observations = list(session.observations.all())
    events = list(session.adverse_events.all())
    return {
        "sedation": any(o.moaas is not None and o.moaas < 5 for o in observations),
        "dissociation": any(o.cadss_total for o in observations),
        "respiratory_depression": any(e.kind == AdverseEvent.Kind.RESPIRATORY_DEPRESSION for e in events),
        "serious_adverse_events": "; ".join(str(e) for e in events if e.serious) or "None",
    }


# --- Signatures -----------------------------------------------------------------------------------


def sign_problems(session):
    problems = []
    if session.is_locked:
        return ["The record is already signed."]
    if session.status != TreatmentSession.Status.DISCHARGED:
        problems.append("Record the discharge before signing.")
    open_alerts = session.alerts.filter(acknowledged_at__isnull=True).count()
    if open_alerts:
        problems.append(f"{open_alerts} alert{'s' if open_alerts > 1 else ''} not yet acknowledged.")
    if session.route == TreatmentSession.Route.INTRANASAL:
        missing = monitoring.rems_missing(rems_data(session))
        problems += [f"REMS form: {m}" for m in missing]
    return problems


def signature_role(user):
    names = user.role_names
    if roles.PRESCRIBER in names:
        return "prescriber"
    if roles.NURSE in names:
        return "nurse"
    return None


def sign(session, *, by, password, now=None):
    """The nurse and the prescriber each sign with their password; with both, the record locks."""
    problems = sign_problems(session)
    if problems:
        raise ChartingError(*problems)
    role = signature_role(by)
    if role is None or not by.has_perm(roles.SIGN_SESSION):
        raise ChartingError("Only the nurse and the prescriber sign a session record.")
    if not by.check_password(password or ""):
        raise ChartingError("Your password is not correct; the record was not signed.")
    if getattr(session, f"{role}_signed_at"):
        raise ChartingError(f"The {role} has already signed.")
    now = now or timezone.now()
    setattr(session, f"{role}_signed_by", by)
    setattr(session, f"{role}_signed_at", now)
    if session.nurse_signed_at and session.prescriber_signed_at:
        session.status = TreatmentSession.Status.SIGNED
    session.save()
    log.info("session %s signed by the %s", session.external_id, role)
    return session


def add_addendum(session, *, by, reason, text):
    if not session.is_locked:
        raise ChartingError("The record is not signed yet: correct the chart itself.")
    if not (reason or "").strip() or not (text or "").strip():
        raise ChartingError("Say why, and what the addendum records.")
    return SessionAddendum.objects.create(
        session=session, author=by, reason=reason.strip(), text=text.strip()
    )
