"""Builders that chart a treatment session through the real services, for tests and demo data.

Every clinical value goes in the way the screens put it in: ``patients.intake`` / ``patients.review``
clear the patient, ``sessions.ledger.entries`` stocks the vial, ``sessions.charting.steps`` writes the chart. Nothing
here writes a clinical field on a model directly, so a builder that runs is also proof that the
services accept a whole, realistic session.

Sessions are charted in the past with explicit clock times (the appointment starts three hours ago by
default), so no step is stamped in the future and every expected vital-sign timepoint can be filled.
Each step is charted "as it happened" (``now`` = the time of the step), so nothing shows as a late
entry. The demo-data command uses these builders too: no pytest here, any users, any password.
Every name, lot and number is invented.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from clinic.models import ClinicSettings
from patients.intake import save_section, sections_of, verify_section
from patients.models import Patient
from patients.review import current_consent, latest_decision, may_treat, record_decision, sign_consent
from patients.screening import CONDITIONS
from sessions.charting import steps
from sessions.charting.checklist import checklist_for
from sessions.ledger import entries
from sessions.models import AdverseEvent, Appointment, TreatmentSession, Vial
from sessions.scheduling.booking import BookingError, book, clashes, set_status
from testing.factories import TEST_PASSWORD, appointment_type, consent_document, room

#: The default appointment start for charting a whole session: long enough ago that the dose, two hours
#: of monitoring, discharge and both signatures all fall before now.
SESSION_LEAD = timedelta(hours=3)

#: Appointment types by route, named and timed like the demo data's (seed_demo).
APPOINTMENT_TYPES = {
    "iv": ("IV infusion", 120),
    "im": ("IM injection", 90),
    "intranasal": ("Intranasal esketamine", 150),
}

#: Minutes from the appointment start of each step before the dose, and of the dose itself.
CHECKLIST_AT, PRE_DOSE_VITALS_AT, ORDER_AT, DOSE_AT = 2, 5, 8, 12

#: A ketamine stock vial: 50 mg/mL in a 10 mL multi-dose vial (ketamine also comes as 10 and
#: 100 mg/mL). The order's stock concentration must match the vial's, so an IV order here is 50 mg/mL and
#: the volume drawn from the vial is small (0.5 mg/kg × 72.4 kg = 36.2 mg = 0.72 mL), as it is in the
#: ledger; ``final_volume_ml`` dilutes it in 0.9 % sodium chloride (the ledger still draws the stock).
STOCK_VIAL = {
    "concentration_mg_per_ml": Decimal("50"),
    "volume_ml": Decimal("10"),
    "supplier": "Example Pharma (fake)",
}
ESKETAMINE_LOT = "ESK26K041"

_CLEAN_HISTORY = dict.fromkeys((key for key, _ in CONDITIONS), "no")


def _intake_sections(measured_on):
    """An intake with nothing wrong in it (the same answers as the screening tests' ``complete_intake``)."""
    return {
        "medical_history": {**_CLEAN_HISTORY, "details": ""},
        "psychiatric_history": {"rows": []},
        "medications": {"no_medications": True, "rows": []},
        "allergies": {"ketamine_hypersensitivity": "no", "details": ""},
        "substance_use": {
            "alcohol_drinks_per_week": 2,
            "cannabis": "none",
            "ketamine_nonmedical": "never",
            "substance_use_disorder": "no",
            "other": "",
        },
        "pregnancy": {"status": "not_pregnant", "breastfeeding": "no"},
        "goals": {"goals": "Feel like myself again."},
        "referral": {"source": "self", "referring_clinician": "", "referring_contact": "", "reason": ""},
        "diagnoses": {
            "rows": [
                {
                    "code": "F33.2",
                    "description": "Major depressive disorder, recurrent, severe",
                    "primary": True,
                }
            ]
        },
        "measurements": {
            "measured_on": measured_on.isoformat(),
            "height_cm": 170,
            "weight_kg": 72,
            "bp_systolic": 124,
            "bp_diastolic": 78,
            "heart_rate": 70,
            "spo2": 98,
            "resp_rate": 14,
        },
    }


def complete_intake(patient, staff):
    """Fill the intake sections the patient does not have yet and verify every section."""
    present = sections_of(patient)
    for key, data in _intake_sections(timezone.localdate()).items():
        if key not in present:
            save_section(patient, key, data, staff)
    for section in sections_of(patient).values():
        if not section.is_verified:
            verify_section(section, staff)


def cleared_patient(patient, nurse, prescriber, route="iv"):
    """Make ``patient`` treatable by ``route``: intake entered and verified, a prescriber's approval,
    the current consent for the route signed. Does nothing when the patient may already be treated;
    an intake the patient already has is kept (and an absolute contraindication in it still stops
    the approval, as it should). Raises ``ValueError`` if the treatment gate still refuses."""
    if may_treat(patient, route).allowed:
        return patient
    if patient.status == Patient.Status.INQUIRY:
        patient.status = Patient.Status.SCREENING
    if patient.treatment_route != route:
        patient.treatment_route = route
    patient.save()
    decision = latest_decision(patient)
    intake_changed = decision is not None and any(
        section.entered_at > decision.signed_at for section in sections_of(patient).values()
    )
    if decision is None or not decision.is_approval or intake_changed:
        complete_intake(patient, nurse)
        record_decision(
            patient,
            outcome="approved",
            note="Reviewed intake, history and baseline vitals: suitable.",
            conditions="",
            override_reason="",
            prescriber=prescriber,
        )
        patient.refresh_from_db()
    if current_consent(patient, route) is None:
        # A patient without a portal login signs on the clinic's tablet, with the nurse signed in.
        sign_consent(
            patient,
            consent_document(route),
            typed_name=patient.full_name,
            confirmed=True,
            user=patient.user or nurse,
            ip_address="127.0.0.1",
            on_clinic_tablet=patient.user is None,
        )
    gate = may_treat(patient, route)
    if not gate.allowed:
        raise ValueError("The patient still may not be treated: " + " ".join(gate.reasons))
    return patient


def default_start(now=None):
    """An appointment start ``SESSION_LEAD`` before now, on the minute."""
    return ((now or timezone.now()) - SESSION_LEAD).replace(second=0, microsecond=0)


def checked_in_visit(patient, nurse, *, route="iv", start=None, plan=None, room_name="Chair 1"):
    """A treatment appointment for ``route`` with ``nurse`` as clinician, checked in.

    A future start is booked through ``sessions.scheduling.booking.book`` (reminders and the treatment gate
    included); a start in the past (the default, three hours ago) is entered as a visit that already
    happened, after the same clash check, since booking refuses a time that has passed."""
    name, minutes = APPOINTMENT_TYPES[route]
    kind = appointment_type(route, minutes, name=name)
    chair = room(room_name)
    start = start or default_start()
    if start > timezone.now():
        visit = book(
            patient=patient,
            appointment_type=kind,
            start=start,
            room=chair,
            clinician=nurse,
            by=nurse,
            plan=plan,
        )
    else:
        end = start + timedelta(minutes=kind.duration_minutes)
        reasons = clashes(start=start, end=end, room=chair, clinician=nurse, patient=patient)
        if reasons:
            raise BookingError(reasons)
        visit = Appointment.objects.create(
            patient=patient,
            appointment_type=kind,
            start=start,
            end=end,
            room=chair,
            clinician=nurse,
            created_by=nurse,
            plan=plan,
        )
    return set_status(visit, Appointment.Status.CHECKED_IN, by=nurse)


def stock_vial(by, **overrides):
    """A ketamine vial received into the ledger (``STOCK_VIAL``: 50 mg/mL, 10 mL), expiring in a year."""
    number = Vial.objects.count() + 1
    values = {
        **STOCK_VIAL,
        "lot": f"KET{timezone.localdate():%y%m}{number:03d}",
        "expiry": timezone.localdate() + timedelta(days=365),
        "invoice_number": f"INV-{number:05d}",
        **overrides,
    }
    return entries.receive_vial(by=by, **values)


def clinic_contact():
    """The clinic's phone and address, which the REMS form asks for: fake ones only where blank."""
    clinic = ClinicSettings.load()
    changed = False
    for field, fake in (
        ("phone", "(555) 010-0000"),
        ("address", "100 Example Street, Springfield"),
        ("email", "frontdesk@clinic.example"),
    ):
        if not getattr(clinic, field):
            setattr(clinic, field, fake)
            changed = True
    if changed:
        clinic.save()
    return clinic


# --- A whole session ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vitals:
    minute: int  # from the dose start
    sbp: int
    dbp: int
    hr: int
    spo2: int
    rr: int
    temp_c: float | None = None  # a float, as the vitals form gives it

    def values(self):
        return {
            "sbp": self.sbp,
            "dbp": self.dbp,
            "hr": self.hr,
            "spo2": self.spo2,
            "rr": self.rr,
            "temp_c": self.temp_c,
        }


#: The pre-dose reading, taken ``DOSE_AT - PRE_DOSE_VITALS_AT`` minutes before the dose.
BASELINE = Vitals(0, 124, 78, 72, 98, 14, 36.7)

#: Readings at every expected timepoint (sessions.charting.monitoring.expected_timepoints), blood pressure
#: rising a little towards 40 minutes and settling after (docs/clinical-reference.md: peaks near 40 min).
VITALS = {
    # every 10 minutes during a 40-minute infusion, every 15 after, to 120 minutes
    "iv": [
        Vitals(10, 128, 80, 75, 98, 14),
        Vitals(20, 133, 83, 78, 97, 13),
        Vitals(30, 137, 86, 80, 97, 14),
        Vitals(40, 141, 88, 82, 97, 14),
        Vitals(55, 134, 84, 78, 98, 14),
        Vitals(70, 129, 81, 75, 98, 14),
        Vitals(85, 126, 79, 73, 98, 14),
        Vitals(100, 125, 78, 72, 98, 14),
        Vitals(115, 123, 77, 71, 99, 14, 36.8),
    ],
    "im": [
        Vitals(15, 132, 82, 78, 98, 14),
        Vitals(30, 138, 86, 81, 97, 14),
        Vitals(45, 136, 85, 79, 97, 14),
        Vitals(60, 131, 82, 76, 98, 14),
        Vitals(75, 128, 80, 74, 98, 14),
        Vitals(90, 126, 79, 73, 98, 14),
        Vitals(105, 125, 78, 72, 98, 14),
        Vitals(120, 123, 77, 71, 99, 14, 36.8),
    ],
    # Spravato REMS: before dosing, at about 40 minutes and before discharge; more in between
    "intranasal": [
        Vitals(20, 132, 83, 76, 98, 14),
        Vitals(40, 138, 86, 79, 97, 14),
        Vitals(60, 133, 83, 76, 98, 14),
        Vitals(90, 127, 80, 73, 98, 14),
        Vitals(120, 124, 78, 72, 98, 14, 36.8),
    ],
}

#: (minute, MOAA/S, CADSS total, depersonalization, derealization, amnesia, note)
OBSERVATIONS = {
    "iv": [
        (20, 4, 18, 8, 7, 2, "Eyes closed, responds to name."),
        (40, 4, 12, 5, 5, 1, ""),
        (70, 5, 2, 1, 1, 0, "Talking, oriented."),
    ],
    "im": [
        (15, 4, 16, 7, 6, 2, "Eyes closed, responds to name."),
        (30, 4, 10, 4, 4, 1, ""),
        (60, 5, 2, 1, 1, 0, "Talking, oriented."),
    ],
    "intranasal": [
        (20, 4, 14, 6, 6, 1, "Drowsy, responds to name."),
        (40, 5, 8, 3, 4, 0, ""),
        (90, 5, 1, 1, 0, 0, "Talking, oriented."),
    ],
}

#: A blood pressure past the alert threshold at 40 minutes, then its recheck five minutes later.
ALERT_VITALS = Vitals(40, 184, 104, 88, 97, 15)
RECHECK_VITALS = Vitals(45, 156, 94, 84, 97, 14)

FULL_ALDRETE = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}

#: How far a session is charted.
STAGES = ("started", "ordered", "administered", "monitored", "discharged", "signed")


def _vitals_for(route, bp_alert):
    rows = list(VITALS[route])
    if bp_alert:
        rows = [ALERT_VITALS if row.minute == ALERT_VITALS.minute else row for row in rows]
        rows.append(RECHECK_VITALS)
    return sorted(rows, key=lambda row: row.minute)


def _rems_answers(session, ready_minutes):
    """The REMS answers a nurse gives, the yes/no parts as the chart suggests them."""
    suggested = steps.rems_suggestions(session)
    observations = list(session.observations.all())
    answers = {
        "enrolled": True,
        "benzodiazepines": False,
        "sedative_hypnotics": False,
        "psychostimulants": False,
        "maois": False,
        "opioids": False,
        "ready_without_minimum": f"at {ready_minutes} minutes",
        "sedation": suggested["sedation"],
        "dissociation": suggested["dissociation"],
        "respiratory_depression": suggested["respiratory_depression"],
        "serious_adverse_events": suggested["serious_adverse_events"],
    }
    sedated = [o for o in observations if o.moaas is not None]
    if answers["sedation"] and sedated:
        lowest = min(sedated, key=lambda o: o.moaas)
        answers["sedation_details"] = (
            f"MOAA/S {lowest.moaas} at {session.minutes_from_dose(lowest.taken_at)} minutes; "
            f"{sedated[-1].moaas} at {session.minutes_from_dose(sedated[-1].taken_at)} minutes."
        )
    dissociated = [o for o in observations if o.cadss_total is not None]
    if answers["dissociation"] and dissociated:
        highest = max(dissociated, key=lambda o: o.cadss_total)
        answers["dissociation_details"] = (
            f"CADSS total {highest.cadss_total} at {session.minutes_from_dose(highest.taken_at)} minutes; "
            f"{dissociated[-1].cadss_total} at {session.minutes_from_dose(dissociated[-1].taken_at)} minutes."
        )
    if answers["respiratory_depression"]:
        answers["respiratory_depression_details"] = "See adverse events on the session record."
    return answers


def charted_session(
    patient,
    nurse,
    prescriber,
    *,
    route="iv",
    start=None,
    sign=True,
    vial=None,
    rems=True,
    password=TEST_PASSWORD,
    appointment=None,
    until=None,
    weight_kg=Decimal("72.4"),
    mg_per_kg=Decimal("0.5"),
    infusion_minutes=40,
    final_volume_ml=None,
    dose_mg=56,
    lot_number=ESKETAMINE_LOT,
    adverse_event=False,
    bp_alert=False,
    room_name="Chair 1",
):
    """Chart a whole treatment session through the services and return it (refreshed).

    The patient is cleared for ``route`` first if needed (``cleared_patient``) and checked in for an
    appointment at ``start`` (three hours ago by default), or ``appointment`` (checked in) is used.
    Then, with explicit past times: the pre-session checklist all yes, today's weight and a mood; the
    pre-dose vitals; the prescriber's order (IV / IM: ``mg_per_kg`` of ``weight_kg`` at the vial's
    concentration, IV over ``infusion_minutes``, diluted to ``final_volume_ml`` when given; intranasal:
    ``dose_mg``); the nurse's administration from ``vial`` (a new ``stock_vial`` when None) or, for
    esketamine, each device of the lot ``lot_number`` 5 minutes apart; vitals at every
    expected timepoint; MOAA/S and CADSS three times; with ``adverse_event`` a mild nausea treated with
    ondansetron and resolved; with ``bp_alert`` a blood pressure past the alert threshold at 40 minutes,
    acknowledged, and rechecked; discharge with a full modified Aldrete score; the REMS answers for
    intranasal esketamine (``rems``; the clinic's phone and address, which the form also needs, are
    filled by ``clinic_contact`` where blank); the nurse's and then the prescriber's signature with
    ``password``.

    ``until`` stops after one of ``STAGES`` (default "signed", or "discharged" with ``sign=False``).
    """
    until = until or ("signed" if sign else "discharged")
    if until not in STAGES:
        raise ValueError(f"until must be one of {', '.join(STAGES)}.")

    cleared_patient(patient, nurse, prescriber, route)
    if route == TreatmentSession.Route.INTRANASAL:
        clinic_contact()
    if appointment is None:
        appointment = checked_in_visit(patient, nurse, route=route, start=start, room_name=room_name)
    begin = appointment.start

    def at(minutes):
        return begin + timedelta(minutes=minutes)

    dose_start = at(DOSE_AT)

    def after_dose(minutes):
        return dose_start + timedelta(minutes=minutes)

    vitals = _vitals_for(route, bp_alert)
    discharge_minute = vitals[-1].minute + 5
    signed_at = after_dose(discharge_minute + 15)
    if STAGES.index(until) >= STAGES.index("monitored") and signed_at > timezone.now():
        raise ValueError(
            f"A whole session needs about {discharge_minute + DOSE_AT + 15} minutes before now: "
            "start the appointment earlier."
        )

    session = steps.start_session(appointment, by=nurse, now=at(0))
    steps.save_pre_session(
        session,
        answers=dict.fromkeys((item.key for item in checklist_for(route)), "yes"),
        weight_kg=weight_kg if session.is_weight_based else None,
        weight_measured_on=timezone.localdate(at(CHECKLIST_AT)) if session.is_weight_based else None,
        mood_pre=4,
        by=nurse,
        now=at(CHECKLIST_AT),
    )
    steps.record_vitals(
        session, taken_at=at(PRE_DOSE_VITALS_AT), by=nurse, now=at(PRE_DOSE_VITALS_AT), **BASELINE.values()
    )
    if until == "started":
        return _fresh(session)

    if session.is_weight_based:
        vial = vial or stock_vial(nurse)
        steps.order_dose(
            session,
            by=prescriber,
            mg_per_kg=mg_per_kg,
            minutes=infusion_minutes if route == TreatmentSession.Route.IV else None,
            concentration=vial.concentration_mg_per_ml,
            final_volume_ml=final_volume_ml,
            now=at(ORDER_AT),
        )
    else:
        steps.order_dose(session, by=prescriber, dose_mg=dose_mg, now=at(ORDER_AT))
    if until == "ordered":
        return _fresh(session)

    steps.administer_dose(
        session,
        by=nurse,
        vial=vial if session.is_weight_based else None,
        lot_number="" if session.is_weight_based else lot_number,
        started_at=dose_start,
        now=dose_start,
    )
    for number in range(2, (session.ordered_devices or 0) + 1):
        # Spravato: each further device 5 minutes after the one before.
        given = dose_start + timedelta(minutes=5 * (number - 1))
        steps.give_device(session, by=nurse, taken_at=given, now=given)
    if until == "administered":
        return _fresh(session)

    nausea_charted = not adverse_event
    observations = iter(OBSERVATIONS[route])
    next_observation = next(observations, None)
    for row in vitals:
        when = after_dose(row.minute)
        while next_observation and next_observation[0] <= row.minute:
            _observe(session, nurse, after_dose(next_observation[0]), next_observation)
            next_observation = next(observations, None)
        reading = steps.record_vitals(session, taken_at=when, by=nurse, now=when, **row.values())
        for alert in session.alerts.filter(vital=reading):
            steps.acknowledge(
                alert,
                by=nurse,
                note="Prescriber informed at the chair; patient calm, no symptoms. Rechecked at 45 minutes.",
                now=when + timedelta(minutes=2),
            )
        if not nausea_charted and row.minute >= 20:
            nausea_charted = True
            steps.record_adverse_event(
                session,
                taken_at=when + timedelta(minutes=5),
                by=nurse,
                kind=AdverseEvent.Kind.NAUSEA,
                severity=AdverseEvent.Severity.MILD,
                outcome=AdverseEvent.Outcome.RESOLVED,
                description="Nausea without vomiting.",
                intervention=(
                    "Ondansetron 4 mg IV"
                    if route == TreatmentSession.Route.IV
                    else "Ondansetron 4 mg orally disintegrating tablet"
                ),
                now=when + timedelta(minutes=5),
            )
    while next_observation:
        _observe(session, nurse, after_dose(next_observation[0]), next_observation)
        next_observation = next(observations, None)
    if until == "monitored":
        return _fresh(session)

    discharged_at = after_dose(discharge_minute)
    discharge(session, nurse, at=discharged_at)
    if rems and route == TreatmentSession.Route.INTRANASAL:
        steps.save_rems(session, _rems_answers(session, ready_minutes=75))
    if until == "discharged":
        return _fresh(session)

    steps.sign(session, by=nurse, password=password, now=discharged_at + timedelta(minutes=5))
    steps.sign(session, by=prescriber, password=password, now=signed_at)
    return _fresh(session)


def discharge(session, nurse, *, at=None):
    """Discharge with every criterion met and the escort named, at ``at`` (default now)."""
    return steps.discharge(
        session,
        by=nurse,
        aldrete=FULL_ALDRETE,
        vitals_near_baseline=True,
        alert_and_oriented=True,
        escort_present=True,
        escort_name=session.patient.escort_name or "Alex Morgan (partner)",
        instructions_given=True,
        note="Walked to the car with the escort; written instructions given.",
        discharged_at=at,
        now=at,
    )


def _observe(session, nurse, when, row):
    _minute, moaas, total, depersonalization, derealization, amnesia, note = row
    steps.record_observation(
        session,
        taken_at=when,
        by=nurse,
        moaas=moaas,
        cadss_total=total,
        cadss_depersonalization=depersonalization,
        cadss_derealization=derealization,
        cadss_amnesia=amnesia,
        note=note,
        now=when,
    )


def _fresh(session):
    return TreatmentSession.objects.get(pk=session.pk)
