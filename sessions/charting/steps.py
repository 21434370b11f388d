"""Charting a treatment session: each step as a function that checks its rules and writes the chart.

Views stay thin: they turn a form into a call here and a ``ChartingError`` into messages. The
clinical rules themselves live in ``sessions.charting.dosing`` and ``sessions.charting.monitoring`` (plain functions);
the thresholds and limits in force come from ``ChartingSettings`` and are named in every message. Every
step that moves the treatment forward (start, order, each administration, each esketamine device)
asks ``sessions.charting.safety`` first: the treatment gate and the pre-dose hold hold at every step, not only
when the chart opens.

Entries made from a form carry the form's ``submission_id``: the same form sent twice (resent after a
lost answer, or after signing in again) returns what it already charted instead of charting it twice.
"""

import logging
import re
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import roles
from clinic.models import ClinicSettings
from clinic.refusals import Refusal
from patients.review import may_treat
from sessions.charting import dosing, monitoring, safety
from sessions.charting.checklist import ANSWERS, checklist_for
from sessions.charting.models import LOCKED_MESSAGE
from sessions.integration import followups
from sessions.ledger import entries
from sessions.models import (
    AdverseEvent,
    Appointment,
    ChartingSettings,
    EsketamineDevice,
    SedationObservation,
    SessionAddendum,
    SessionAlert,
    TreatmentSession,
    VitalSignReading,
)

log = logging.getLogger(__name__)

#: How far ahead of the clock a reading may be stamped (clocks drift), and how far back a late
#: entry may go before the appointment started.
CLOCK_SKEW = timedelta(minutes=2)
EARLIEST_BEFORE_APPOINTMENT = timedelta(hours=2)


class ChartingError(Refusal):
    """Why a charting step was refused: every reason, each shown as it is."""


def _settings():
    return ChartingSettings.load()


def _refuse_if_locked(session):
    if session.is_locked:
        raise ChartingError(LOCKED_MESSAGE)


def _open(session):
    _refuse_if_locked(session)
    if session.status == TreatmentSession.Status.DISCHARGED:
        raise ChartingError("The patient has been discharged; this part of the chart is closed.")


def _refuse_if_stopped(session, *kinds, now=None):
    """The treatment gate and the pre-dose hold, checked at the step (sessions.charting.safety)."""
    on = timezone.localdate(now) if now else None
    stops = [stop for kind in kinds for stop in safety.open_stops(session, kind, on=on)]
    if stops:
        raise ChartingError(*safety.refusal(stops))


class ResentWithChanges(ChartingError):
    """A form that had already charted something came back with other values."""


def _already(model, session, submission_id, **values):
    """What this form already charted, when it is sent again with the same values. The same form with
    other values is refused: it is not a resend, and silently keeping the first values would lose
    the new ones."""
    if submission_id is None:
        return None
    done = model.objects.filter(session=session, submission_id=submission_id).first()
    if done is None:
        return None
    changed = [name for name, value in values.items() if not _same(getattr(done, name), value)]
    if changed:
        when = getattr(done, "taken_at", None) or done.created_at
        raise ResentWithChanges(
            f"Not charted: this form had already charted an entry at {timezone.localtime(when):%H:%M} "
            "with other values. Check the values and press the button again to chart them as a new entry."
        )
    return done


def _same(stored, sent):
    if stored is None or sent is None:
        return stored is None and sent is None
    if isinstance(stored, Decimal) or isinstance(sent, float):
        return Decimal(str(stored)) == Decimal(str(sent))
    return stored == sent


def _create(model, submission_id, **fields):
    """Create an entry; the same form sent twice at once finds the first one's entry (unique id).
    Another form that made the same entry at the same moment (a second nurse giving device 2) is a
    refusal to show, not a server error."""
    try:
        with transaction.atomic():
            return model.objects.create(submission_id=submission_id, **fields), True
    except IntegrityError:
        done = model.objects.filter(submission_id=submission_id).first() if submission_id else None
        if done is None:
            raise ChartingError(
                "Someone charted this at the same moment: nothing was added. Reload the chart to see it."
            ) from None
        return done, False


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


def record_vitals(session, *, taken_at, by, now=None, submission_id=None, **values):
    """Chart one set of vitals; returns the reading. Implausible values are refused.

    Before the dose every value is checked against the pre-dose hold and caution levels; after it,
    against the alert thresholds (high and low blood pressure included). A pre-dose value at hold level
    and any value past an alert threshold raise an alert that must be acknowledged; each message names
    the threshold in force. ``reading.is_new`` is False when this form had already charted it."""
    done = _already(
        VitalSignReading, session, submission_id, **{k: values.get(k) for k in monitoring.PLAUSIBLE}
    )
    if done is not None:
        done.is_new = False
        return done
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
    if pre_dose:
        status, flags = monitoring.pre_dose_check(reading, thresholds)
        alert = safety.hold_alert_message(flags) if status == "hold" else ""
    else:
        flags = monitoring.vital_flags(reading, thresholds)
        alert = "; ".join(f.message for f in flags)
    with transaction.atomic():
        row, made = _create(
            VitalSignReading,
            submission_id,
            session=session,
            taken_at=taken_at,
            recorded_at=now or timezone.now(),
            recorded_by=by,
            pre_dose=pre_dose,
            flags=[f.message for f in flags],
            **{k: getattr(reading, k) for k in monitoring.PLAUSIBLE},
        )
        if made and alert:
            SessionAlert.objects.create(
                session=session, raised_at=now or timezone.now(), vital=row, message=alert
            )
    row.is_new = made
    return row


def pre_dose_reading(session):
    """The latest pre-dose reading with a blood pressure: the baseline that discharge compares with."""
    return session.vitals.filter(pre_dose=True, sbp__isnull=False).order_by("-taken_at", "-pk").first()


def pre_dose_status(session):
    """("ok" | "caution" | "hold" | None, flags): the latest pre-dose value of each vital sign."""
    status, flags, _latest = safety.pre_dose_status(session, _settings().thresholds())
    return status, flags


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
    submission_id=None,
):
    done = _already(SedationObservation, session, submission_id, moaas=moaas, note=(note or "").strip())
    if done is not None:
        return done
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
        row, made = _create(
            SedationObservation,
            submission_id,
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
        if made and moaas is not None and monitoring.moaas_alert(moaas, thresholds):
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
    submission_id=None,
):
    done = _already(AdverseEvent, session, submission_id, kind=kind, severity=severity, outcome=outcome)
    if done is not None:
        return done
    _refuse_if_locked(session)
    _check_time(session, taken_at, now)
    if kind == AdverseEvent.Kind.OTHER and not (description or "").strip():
        raise ChartingError("Describe the adverse event.")
    with transaction.atomic():
        event, made = _create(
            AdverseEvent,
            submission_id,
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
        if made and (serious or severity == AdverseEvent.Severity.SEVERE):
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


def plan_defaults(session):
    plan = session.appointment.plan
    return {
        "mg_per_kg": plan.mg_per_kg if plan else None,
        "minutes": plan.infusion_minutes if plan else None,
        "dose_mg": plan.fixed_dose_mg if plan else None,
        "protocol": plan.protocol if plan else "",
    }


#: The dose calculator names its inputs as Python does; the chart names them as the form does.
_DOSE_WORDS = (
    ("a more dilute concentration_mg_per_ml", "a more dilute concentration"),
    ("concentration_mg_per_ml", "the vial concentration"),
    ("final_volume_ml", "the final volume"),
    ("rate_resolution", "the pump rate resolution"),
    ("weight_kg", "the weight"),
    ("mg_per_kg", "the dose in mg/kg"),
    ("dose_mg", "the dose"),
)


def plain_dose_error(error):
    """A DoseError in the words of the order form: "mg/kg must be between 0.05 and 2 mg/kg, got 5 …",
    not "mg_per_kg must be …"."""
    text = str(error)
    for name, words in _DOSE_WORDS:
        text = re.sub(rf"\b{name}\b", words, text)
    text = re.sub(r"^minutes\b", "the infusion time", text)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def calculate(
    session, *, mg_per_kg=None, minutes=None, concentration=None, dose_mg=None, final_volume_ml=None
):
    """The dose for this session's route and weight under the clinic's limits (raises DoseError). An IV
    dose is given undiluted, or diluted in 0.9 % sodium chloride to ``final_volume_ml``; its pump rate
    is rounded to the clinic's pump resolution, and a rounding that changes the dose by more than 5 %
    comes back as ``rate_warning`` with a proposed dilution."""
    clinic = _settings()
    limits = clinic.dose_limits(session.route)
    if session.route == TreatmentSession.Route.INTRANASAL:
        if dose_mg is None:
            raise dosing.DoseError("Choose the esketamine dose.")
        try:
            return dosing.intranasal(dose_mg=dose_mg, limits=limits)
        except dosing.DoseError as error:
            raise dosing.DoseError(plain_dose_error(error)) from None
    if session.weight_kg is None:
        raise dosing.DoseError("Record the patient's weight first.")
    for value, name in ((mg_per_kg, "mg/kg"), (concentration, "the vial concentration")):
        if value is None:
            raise dosing.DoseError(f"Enter {name}.")
    iv = session.route == TreatmentSession.Route.IV
    extra = {"final_volume_ml": final_volume_ml, "rate_resolution": clinic.pump_rate_resolution} if iv else {}
    try:
        return dosing.weight_based(
            route=session.route,
            weight_kg=session.weight_kg,
            mg_per_kg=mg_per_kg,
            concentration_mg_per_ml=concentration,
            minutes=minutes if iv else None,
            limits=limits,
            **extra,
        )
    except dosing.DoseError as error:
        raise dosing.DoseError(plain_dose_error(error)) from None


def order_dose(
    session,
    *,
    by,
    mg_per_kg=None,
    minutes=None,
    concentration=None,
    dose_mg=None,
    final_volume_ml=None,
    hold_override_reason="",
    limit_override_reason="",
    now=None,
):
    """The prescriber's order. A closed treatment gate refuses it (a prescriber overrides that on the
    chart first); a pre-dose hold needs ``hold_override_reason`` (recorded as an override covering the
    holds seen now), a dose over the clinic maximum ``limit_override_reason``. A pump rate that cannot
    deliver the dose within 5 % is refused, with a dilution that can."""
    _open(session)
    if not by.has_perm(roles.ORDER_DOSE):
        raise ChartingError("Only a prescriber can order the dose.")
    if session.is_administered:
        raise ChartingError("The dose has already been given.")
    # The weight is judged on the day the session started (it may run past midnight).
    missing = not_ready_to_order(session)
    if missing:
        raise ChartingError(*missing)
    _refuse_if_stopped(session, safety.GATE, now=now)
    try:
        dose = calculate(
            session,
            mg_per_kg=mg_per_kg,
            minutes=minutes,
            concentration=concentration,
            dose_mg=dose_mg,
            final_volume_ml=final_volume_ml,
        )
    except dosing.DoseError as error:
        raise ChartingError(str(error)) from None
    if dose.rate_warning:
        raise ChartingError(dose.rate_warning, *proposal_lines(dose))
    held = safety.open_stops(session, safety.HOLD)
    hold_override_reason = (hold_override_reason or "").strip()
    limit_override_reason = (limit_override_reason or "").strip()
    problems = []
    if held and not hold_override_reason:
        problems += [*(s.text for s in held), "Dosing is held: give the reason for overriding the hold."]
    if dose.over_limit and not limit_override_reason:
        problems += [
            *dose.over_limit,
            "This dose is over the clinic maximum: give the reason for overriding it.",
        ]
    if problems:
        raise ChartingError(*problems)
    diluted = dose.final_volume_ml is not None
    with transaction.atomic():
        if held:
            safety.override(
                session, kind=safety.HOLD, reason=hold_override_reason, by=by, now=now, stops=held
            )
        session.ordered_mg_per_kg = Decimal(str(mg_per_kg)) if dose.mg_per_kg is not None else None
        session.ordered_minutes = dose.minutes
        session.ordered_dose_mg = dose.mg
        session.ordered_concentration = Decimal(str(concentration)) if dose.volume_ml is not None else None
        session.ordered_volume_ml = dose.volume_ml
        session.ordered_rate_ml_per_h = dose.rate_ml_per_h
        session.ordered_final_volume_ml = dose.final_volume_ml if diluted else None
        session.ordered_diluent_volume_ml = dose.diluent_volume_ml if diluted else None
        session.ordered_final_concentration = dose.final_concentration if diluted else None
        session.ordered_rate_resolution = (
            _settings().pump_rate_resolution if dose.rate_ml_per_h is not None else None
        )
        session.ordered_devices = dose.devices
        session.limit_override_reason = limit_override_reason if dose.over_limit else ""
        session.ordered_by = by
        session.ordered_at = now or timezone.now()
        session.save()
    log.info("dose ordered on session %s", session.external_id)
    return dose


def proposal_lines(dose):
    """The proposed dilution in words, for a refusal or the calculator."""
    proposal = dose.proposal
    if proposal is None:
        return ["No standard dilution (50, 100 or 250 mL) delivers this dose at this pump's resolution."]
    return [
        f"Proposed: dilute {dose.volume_ml} mL of stock with {proposal.diluent_volume_ml} mL of 0.9 % sodium "
        f"chloride to {proposal.final_volume_ml} mL ({proposal.final_concentration} mg/mL), run at "
        f"{proposal.rate_ml_per_h} mL/h."
    ]


def administer_dose(session, *, by, vial=None, lot_number="", started_at=None, now=None, submission_id=None):
    """The nurse gives the ordered dose: IV and IM draw the ordered stock volume from a vial in the
    ledger (the diluent is not drug); esketamine records the first device. The treatment gate and the
    pre-dose hold are checked here, at the dose, whatever they were at the order."""
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
    _refuse_if_stopped(session, safety.GATE, safety.HOLD, now=now)
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
                entry = entries.administer(vial, ml=session.ordered_volume_ml, patient=session.patient, by=by)
            except entries.LedgerError as error:
                raise ChartingError(str(error)) from None
            session.vial = vial
            session.ledger_entry = entry
            session.lot_number = vial.lot
            session.administered_volume_ml = session.ordered_volume_ml
        else:
            if not (lot_number or "").strip():
                raise ChartingError("Enter the lot number of the devices.")
            session.lot_number = lot_number.strip()
            _create(
                EsketamineDevice,
                submission_id,
                session=session,
                number=1,
                lot_number=session.lot_number,
                taken_at=started_at,
                recorded_at=now,
                recorded_by=by,
            )
        session.administered_by = by
        session.dose_started_at = started_at
        session.save()
        followups.close_baseline(session.appointment, at=started_at)
    return session


def give_device(session, *, by, lot_number="", taken_at=None, now=None, submission_id=None):
    """The next esketamine device, at least 5 minutes after the one before; the treatment gate is
    checked again (an alert raised since the first device stops the next one until acknowledged)."""
    done = _already(EsketamineDevice, session, submission_id)
    if done is not None:
        return done
    _open(session)
    if session.route != TreatmentSession.Route.INTRANASAL:
        raise ChartingError("Devices are for esketamine sessions.")
    if not session.is_administered:
        raise ChartingError("Give the first device first.")
    if session.devices_stopped_at:
        raise ChartingError("Dosing was stopped; no more devices are given.")
    if safety.devices_left(session) == 0:
        raise ChartingError("Every ordered device has been given.")
    now = now or timezone.now()
    taken_at = taken_at or now
    if taken_at > now + CLOCK_SKEW:
        raise ChartingError("The time is in the future.")
    last = session.devices.order_by("-number").first()
    earliest = last.taken_at + timedelta(minutes=dosing.MINUTES_BETWEEN_DEVICES)
    if taken_at < earliest:
        raise ChartingError(
            f"{dosing.MINUTES_BETWEEN_DEVICES} minutes between devices: device {last.number + 1} not before "
            f"{timezone.localtime(earliest):%H:%M}."
        )
    _refuse_if_stopped(session, safety.GATE, safety.HOLD, now=now)
    device, _made = _create(
        EsketamineDevice,
        submission_id,
        session=session,
        number=last.number + 1,
        lot_number=(lot_number or "").strip() or last.lot_number,
        taken_at=taken_at,
        recorded_at=now,
        recorded_by=by,
    )
    return device


def stop_devices(session, *, by, reason, now=None):
    """Stop esketamine dosing before every ordered device is given, with the reason."""
    _open(session)
    if not session.is_administered or safety.devices_left(session) == 0:
        raise ChartingError("There are no devices left to stop.")
    if not (reason or "").strip():
        raise ChartingError("Say why dosing stopped.")
    session.devices_stopped_reason = reason.strip()
    session.devices_stopped_by = by
    session.devices_stopped_at = now or timezone.now()
    session.save()
    return session


def given_dose_mg(session):
    """What was given: the order, or for esketamine the devices given × 28 mg."""
    if session.route == TreatmentSession.Route.INTRANASAL:
        return dosing.ESKETAMINE_DEVICE_MG * session.devices.count() if session.is_administered else None
    return session.ordered_dose_mg if session.is_administered else None


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
    left = safety.devices_left(session)
    if session.is_administered and left:
        reasons.append(
            f"{left} esketamine device{'s' if left > 1 else ''} of {session.ordered_devices} not given: "
            "give them, or record why dosing stopped."
        )
    if escort_present and not (escort_name or "").strip():
        reasons.append("Name the escort.")
    open_alerts = session.alerts.open().count()
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
    clinic = ClinicSettings.load()
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
    dose = given_dose_mg(session) if session.is_administered else session.ordered_dose_mg
    lots = sorted({device.lot_number for device in session.devices.all()}) or [session.lot_number]
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
        lot_number=", ".join(lot for lot in lots if lot) or None,
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
    open_alerts = session.alerts.open().count()
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


def add_addendum(session, *, by, reason, text, submission_id=None):
    done = _already(SessionAddendum, session, submission_id, text=(text or "").strip())
    if done is not None:
        return done
    if not session.is_locked:
        raise ChartingError("The record is not signed yet: correct the chart itself.")
    if not (reason or "").strip() or not (text or "").strip():
        raise ChartingError("Say why, and what the addendum records.")
    addendum, _made = _create(
        SessionAddendum, submission_id, session=session, author=by, reason=reason.strip(), text=text.strip()
    )
    return addendum
