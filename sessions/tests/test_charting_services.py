"""Charting a treatment session through the services, step by step and whole (testing.charting)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions.charting import steps
from sessions.charting.checklist import checklist_for
from sessions.charting.steps import ChartingError
from sessions.models import (
    Appointment,
    ChartingSettings,
    LedgerEntry,
    LockedRecord,
    SessionAddendum,
    TreatmentSession,
)
from testing.charting import (
    FULL_ALDRETE,
    charted_session,
    checked_in_visit,
    cleared_patient,
    stock_vial,
)
from testing.factories import TEST_PASSWORD, book_visit


def after_dose(session, minutes):
    return session.dose_started_at + timedelta(minutes=minutes)


def after_start(session, minutes):
    return session.appointment.start + timedelta(minutes=minutes)


def chart_vitals(session, nurse, minutes, **values):
    when = after_dose(session, minutes)
    return steps.record_vitals(session, taken_at=when, by=nurse, now=when, **values)


def discharge_at(session, nurse, minutes, **overrides):
    when = after_dose(session, minutes)
    values = {
        "by": nurse,
        "aldrete": FULL_ALDRETE,
        "vitals_near_baseline": True,
        "alert_and_oriented": True,
        "escort_present": True,
        "escort_name": "Alex Morgan",
        "instructions_given": True,
        "discharged_at": when,
        "now": when,
        **overrides,
    }
    return steps.discharge(session, **values)


def reasons(error):
    return " ".join(error.value.reasons)


# --- Whole sessions -------------------------------------------------------------------------------


def test_nurse_and_prescriber_chart_a_whole_iv_session_and_it_locks(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, adverse_event=True)

    assert session.status == TreatmentSession.Status.SIGNED and session.is_locked
    assert session.appointment.status == Appointment.Status.COMPLETED
    assert (session.ordered_dose_mg, session.ordered_volume_ml, session.ordered_rate_ml_per_h) == (
        Decimal("36.2"),
        Decimal("0.72"),
        Decimal("1.1"),
    )
    assert session.infusion_end == after_dose(session, 40)
    assert session.minutes_from_dose(session.discharged_at) == 120
    assert [row["status"] for row in steps.timepoints(session)] == ["done"] * 10
    assert not session.alerts.exists()
    assert session.adverse_events.get().intervention == "Ondansetron 4 mg IV"
    assert session.observations.count() == 3
    assert (session.nurse_signed_by, session.prescriber_signed_by) == (nurse, prescriber)
    # Charted as it happened: nothing in the future, nothing a late entry.
    now = timezone.now()
    assert session.prescriber_signed_at <= now
    assert all(v.taken_at <= now and not v.late_entry for v in session.vitals.all())


def test_nurse_and_prescriber_chart_a_whole_esketamine_session_with_its_rems_form(
    nurse, prescriber, patient_a
):
    session = charted_session(patient_a, nurse, prescriber, route="intranasal")

    assert session.is_locked
    assert (session.ordered_dose_mg, session.ordered_devices, session.lot_number) == (
        Decimal("56.0"),
        2,
        "ESK26K041",
    )
    assert session.vial is None and session.ledger_entry is None
    assert [(row["minute"], row["status"]) for row in steps.timepoints(session)] == [
        (0, "done"),
        (40, "done"),
        (120, "done"),
    ]
    data = steps.rems_data(session)
    assert (data["dose"], data["total_monitoring_minutes"], data["bp_40_min"]) == (56, 125, "138/86")
    assert data["first_treatment"] is True and data["sedation"] is True
    assert steps.sign_problems(session) == ["The record is already signed."]


def test_builder_clears_a_patient_once_and_keeps_an_existing_clearance(nurse, prescriber, patient_a):
    cleared_patient(patient_a, nurse, prescriber, "iv")
    decisions = patient_a.screening_decisions.count()
    cleared_patient(patient_a, nurse, prescriber, "iv")
    cleared_patient(patient_a, nurse, prescriber, "intranasal")
    assert patient_a.screening_decisions.count() == decisions
    assert patient_a.consent_signatures.count() == 2


# --- Start ----------------------------------------------------------------------------------------


def test_nurse_cannot_start_a_session_before_the_patient_is_checked_in(nurse, prescriber, patient_a):
    cleared_patient(patient_a, nurse, prescriber, "iv")
    booked = book_visit(patient_a, nurse, kind="iv", room_name="Chair 1")
    with pytest.raises(ChartingError) as error:
        steps.start_session(booked, by=nurse)
    assert "check the patient in first" in reasons(error)
    assert not TreatmentSession.objects.exists()


def test_nurse_cannot_start_a_session_for_a_patient_the_gate_refuses(nurse, patient_b):
    visit = checked_in_visit(patient_b, nurse, route="iv")
    with pytest.raises(ChartingError) as error:
        steps.start_session(visit, by=nurse, now=visit.start)
    assert "may not be treated today" in reasons(error)
    assert "No prescriber has reviewed the screening." in error.value.reasons
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN and not TreatmentSession.objects.exists()


def test_a_future_visit_is_booked_through_the_scheduler_and_checked_in(nurse, prescriber, patient_a):
    cleared_patient(patient_a, nurse, prescriber, "intranasal")
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    visit = checked_in_visit(patient_a, nurse, route="intranasal", start=start)
    assert visit.status == Appointment.Status.CHECKED_IN
    assert visit.appointment_type.duration_minutes == 150 and visit.reminders.exists()


def test_starting_twice_gives_the_same_chart(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="started")
    assert steps.start_session(session.appointment, by=nurse) == session
    assert session.appointment.status == Appointment.Status.IN_TREATMENT


# --- Ordering -------------------------------------------------------------------------------------


def test_pre_dose_bp_165_95_holds_the_order_until_the_prescriber_gives_a_reason(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="started")
    when = after_start(session, 7)
    reading = steps.record_vitals(session, taken_at=when, by=nurse, now=when, sbp=165, dbp=95, hr=80)
    assert steps.pre_dose_status(session)[0] == "hold"
    vial = stock_vial(nurse)
    order = {"mg_per_kg": "0.5", "minutes": 40, "concentration": vial.concentration_mg_per_ml}
    # A hold-level reading raises an alert: while it is open, the treatment is stopped.
    (alert,) = session.alerts.filter(vital=reading)
    assert alert.message == "Pre-dose hold: SBP 165 above 160 (pre-dose hold threshold)"
    with pytest.raises(ChartingError) as error:
        steps.order_dose(session, by=prescriber, now=after_start(session, 8), **order)
    assert "Treatment is stopped" in reasons(error)
    steps.acknowledge(alert, by=nurse, note="Prescriber informed; repeat in 5 minutes.", now=when)

    with pytest.raises(ChartingError) as error:
        steps.order_dose(session, by=prescriber, now=after_start(session, 8), **order)
    assert "SBP 165 above 160 (pre-dose hold threshold)" in reasons(error)
    assert "give the reason for overriding the hold" in reasons(error)
    session.refresh_from_db()
    assert not session.is_ordered

    steps.order_dose(
        session,
        by=prescriber,
        now=after_start(session, 9),
        hold_override_reason="Known white-coat hypertension; repeat 150/92 after rest.",
        **order,
    )
    session.refresh_from_db()
    (override,) = session.overrides.all()
    assert session.is_ordered and override.kind == "hold" and override.reason.startswith("Known white-coat")
    assert override.by == prescriber and override.covers == [
        {
            "key": f"reading:{reading.pk}:sbp",
            "text": f"Pre-dose SBP 165 above 160 (pre-dose hold threshold), charted {timezone.localtime(when):%H:%M}.",
        }
    ]


def test_nurse_cannot_order_the_dose(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="started")
    with pytest.raises(ChartingError) as error:
        steps.order_dose(session, by=nurse, mg_per_kg="0.5", minutes=40, concentration="50")
    assert error.value.reasons == ["Only a prescriber can order the dose."]


def test_a_dose_over_the_clinic_maximum_needs_a_limit_override_reason(nurse, prescriber, patient_a):
    clinic = ChartingSettings.load()
    clinic.max_mg_per_kg = Decimal("0.40")
    clinic.save()
    session = charted_session(patient_a, nurse, prescriber, until="started")
    order = {"mg_per_kg": "0.5", "minutes": 40, "concentration": "50", "now": after_start(session, 8)}

    with pytest.raises(ChartingError) as error:
        steps.order_dose(session, by=prescriber, **order)
    assert "0.50 mg/kg is above the clinic maximum of 0.40 mg/kg" in reasons(error)
    assert "give the reason for overriding it" in reasons(error)

    steps.order_dose(
        session, by=prescriber, limit_override_reason="Partial response at 0.4 mg/kg x 3.", **order
    )
    session.refresh_from_db()
    assert session.ordered_dose_mg == Decimal("36.2")
    assert session.limit_override_reason == "Partial response at 0.4 mg/kg x 3."
    assert not session.overrides.exists()


# --- Administration and the ledger ----------------------------------------------------------------


def test_administering_draws_the_ordered_volume_from_the_vial(nurse, prescriber, patient_a):
    vial = stock_vial(nurse)
    session = charted_session(patient_a, nurse, prescriber, vial=vial, until="administered")

    vial.refresh_from_db()
    assert vial.balance_ml == Decimal("10.00") - session.ordered_volume_ml == Decimal("9.28")
    entry = session.ledger_entry
    assert (entry.kind, entry.change_ml, entry.patient, entry.recorded_by) == (
        LedgerEntry.Kind.ADMINISTRATION,
        Decimal("-0.72"),
        patient_a,
        nurse,
    )
    assert (session.vial, session.lot_number, session.administered_volume_ml) == (
        vial,
        vial.lot,
        Decimal("0.72"),
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"concentration_mg_per_ml": Decimal("100")}, "The order is for 50.00 mg/mL; this vial is 100"),
        ({"expiry": "yesterday"}, "expired on"),
    ],
    ids=["wrong-concentration", "expired"],
)
def test_nurse_cannot_give_the_dose_from_a_wrong_vial(nurse, prescriber, patient_a, overrides, message):
    session = charted_session(patient_a, nurse, prescriber, until="ordered")
    if overrides.get("expiry") == "yesterday":
        overrides = {"expiry": timezone.localdate(session.appointment.start) - timedelta(days=1)}
    vial = stock_vial(nurse, **overrides)
    with pytest.raises(ChartingError) as error:
        steps.administer_dose(
            session, by=nurse, vial=vial, started_at=after_start(session, 12), now=after_start(session, 12)
        )
    assert message in reasons(error)
    vial.refresh_from_db()
    session.refresh_from_db()
    assert vial.balance_ml == Decimal("10.00") and vial.entries.count() == 1
    assert not session.is_administered


# --- Vital signs and alerts -----------------------------------------------------------------------


def test_nurse_cannot_chart_an_implausible_blood_pressure(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    with pytest.raises(ChartingError) as error:
        chart_vitals(session, nurse, 10, sbp=400, dbp=90)
    assert error.value.reasons == ["Systolic 400 is not plausible (50–300): check the entry."]
    assert not session.vitals.filter(pre_dose=False).exists()


def test_nurse_cannot_chart_a_reading_in_the_future(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    later = timezone.now() + timedelta(minutes=10)
    with pytest.raises(ChartingError, match="in the future"):
        steps.record_vitals(session, taken_at=later, by=nurse, sbp=120, dbp=80)


def test_sbp_185_after_the_dose_raises_an_alert_naming_the_180_threshold(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    reading = chart_vitals(session, nurse, 10, sbp=185, dbp=100, hr=90)

    alert = session.alerts.get()
    assert alert.vital == reading and alert.is_open
    assert "180" in alert.message and alert.message == "SBP 185 above 180 (alert threshold)"
    assert reading.flags == ["SBP 185 above 180 (alert threshold)"]


def test_a_clinic_threshold_of_190_means_sbp_185_raises_no_alert(nurse, prescriber, patient_a):
    clinic = ChartingSettings.load()
    clinic.alert_sbp_above = 190
    clinic.save()
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    reading = chart_vitals(session, nurse, 10, sbp=185, dbp=100, hr=90)
    assert reading.flags == [] and not session.alerts.exists()


def test_a_moaas_of_2_raises_a_sedation_alert_and_7_is_refused(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    when = after_dose(session, 15)
    steps.record_observation(session, taken_at=when, by=nurse, moaas=2, now=when)
    assert "MOAA/S 2" in session.alerts.get().message
    with pytest.raises(ChartingError, match="MOAA/S is scored 0 to 5"):
        steps.record_observation(session, taken_at=when, by=nurse, moaas=7, now=when)


def test_a_reading_charted_twenty_minutes_later_is_a_late_entry(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    taken = after_dose(session, 10)
    reading = steps.record_vitals(
        session, taken_at=taken, by=nurse, now=taken + timedelta(minutes=20), sbp=130, dbp=82
    )
    assert reading.late_entry and reading.recorded_at == taken + timedelta(minutes=20)


def test_timepoints_are_done_due_overdue_or_upcoming(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    chart_vitals(session, nurse, 10, sbp=128, dbp=80, hr=75)

    rows = steps.timepoints(session, now=after_dose(session, 33))
    assert [(row["minute"], row["status"]) for row in rows[:6]] == [
        (0, "done"),
        (10, "done"),
        (20, "overdue"),
        (30, "due"),
        (40, "upcoming"),
        (55, "upcoming"),
    ]
    assert rows[2]["at"] == after_dose(session, 20)


# --- Discharge ------------------------------------------------------------------------------------


def test_nurse_cannot_discharge_with_an_alert_open(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="monitored")
    chart_vitals(session, nurse, 116, sbp=186, dbp=96, hr=80)
    with pytest.raises(ChartingError) as error:
        discharge_at(session, nurse, 120)
    assert error.value.reasons == ["1 alert not yet acknowledged."]

    alert = session.alerts.get()
    steps.acknowledge(alert, by=nurse, note="Rechecked 150/90 after rest.", now=after_dose(session, 118))
    discharge_at(session, nurse, 120)
    assert session.status == TreatmentSession.Status.DISCHARGED


def test_nurse_cannot_discharge_with_a_modified_aldrete_of_7(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="monitored")
    low = {**FULL_ALDRETE, "activity": 1, "consciousness": 1, "circulation": 1}
    with pytest.raises(ChartingError) as error:
        discharge_at(session, nurse, 120, aldrete=low)
    assert "Modified Aldrete total is 7" in reasons(error)
    session.refresh_from_db()
    assert session.discharged_at is None


def test_nurse_cannot_discharge_esketamine_before_120_minutes(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, route="intranasal", until="monitored")
    with pytest.raises(ChartingError) as error:
        discharge_at(session, nurse, 100)
    assert "Esketamine: 100 minutes since the first device; discharge not before 120 minutes" in reasons(
        error
    )


def test_nurse_cannot_discharge_before_the_infusion_ends(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    chart_vitals(session, nurse, 10, sbp=128, dbp=80, hr=75)
    when = after_dose(session, 10)
    steps.record_observation(session, taken_at=when, by=nurse, moaas=4, now=when)
    with pytest.raises(ChartingError) as error:
        discharge_at(session, nurse, 30)
    assert f"The infusion runs until {timezone.localtime(session.infusion_end):%H:%M}." in error.value.reasons


# --- Signatures, locking, addenda -----------------------------------------------------------------


def test_esketamine_record_cannot_be_signed_until_the_rems_form_is_complete(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, route="intranasal", rems=False, sign=False)
    with pytest.raises(ChartingError) as error:
        steps.sign(session, by=nurse, password=TEST_PASSWORD)
    assert "REMS form: Patient enrolled in the Spravato REMS (yes/no)" in error.value.reasons
    session.refresh_from_db()
    assert session.nurse_signed_at is None

    answers = {
        "enrolled": True,
        "benzodiazepines": False,
        "sedative_hypnotics": False,
        "psychostimulants": False,
        "maois": False,
        "opioids": False,
        "ready_without_minimum": "at 80 minutes",
        "sedation": False,
        "dissociation": True,
        "dissociation_details": "CADSS 14 at 20 minutes, resolved by 90.",
        "respiratory_depression": False,
        "serious_adverse_events": "None",
    }
    steps.save_rems(session, answers)
    steps.sign(session, by=nurse, password=TEST_PASSWORD)
    steps.sign(session, by=prescriber, password=TEST_PASSWORD)
    assert session.is_locked


def test_a_wrong_password_does_not_sign(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, sign=False)
    with pytest.raises(ChartingError, match="password is not correct"):
        steps.sign(session, by=nurse, password="not-my-password")
    session.refresh_from_db()
    assert session.nurse_signed_at is None and session.status == TreatmentSession.Status.DISCHARGED


def test_one_signature_does_not_lock_and_the_same_role_cannot_sign_twice(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, sign=False)
    steps.sign(session, by=nurse, password=TEST_PASSWORD)
    assert not session.is_locked
    with pytest.raises(ChartingError, match="nurse has already signed"):
        steps.sign(session, by=nurse, password=TEST_PASSWORD)


def test_after_both_signatures_nothing_on_the_record_can_change(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, adverse_event=True, bp_alert=True)
    rows = [
        session,
        session.vitals.first(),
        session.observations.first(),
        session.adverse_events.get(),
        session.alerts.get(),
    ]
    for row in rows:
        with pytest.raises(LockedRecord):
            row.save()

    when = after_dose(session, 100)
    with pytest.raises(ChartingError, match="signed and locked"):
        steps.record_vitals(session, taken_at=when, by=nurse, now=when, sbp=120, dbp=80)
    with pytest.raises(ChartingError, match="signed and locked"):
        steps.record_observation(session, taken_at=when, by=nurse, moaas=5, now=when)
    with pytest.raises(ChartingError, match="signed and locked"):
        steps.save_rems(session, {"enrolled": True})
    with pytest.raises(ChartingError):
        discharge_at(session, nurse, 125)
    with pytest.raises(ValidationError):
        session.vitals.first().delete()


def test_an_addendum_is_added_only_to_a_locked_record_and_never_changes(nurse, prescriber, patient_a):
    draft = charted_session(patient_a, nurse, prescriber, sign=False)
    with pytest.raises(ChartingError, match="not signed yet"):
        steps.add_addendum(draft, by=nurse, reason="Late note", text="Phoned: home safely.")

    steps.sign(draft, by=nurse, password=TEST_PASSWORD)
    steps.sign(draft, by=prescriber, password=TEST_PASSWORD)
    addendum = steps.add_addendum(draft, by=nurse, reason="Late note", text="Phoned: home safely.")
    assert (addendum.author, addendum.reason) == (nurse, "Late note")
    with pytest.raises(ChartingError, match="Say why"):
        steps.add_addendum(draft, by=nurse, reason=" ", text="x")
    addendum.text = "Changed."
    with pytest.raises(ValidationError):
        addendum.save()
    assert SessionAddendum.objects.get().text == "Phoned: home safely."


def test_the_baseline_closes_when_the_dose_starts_even_before_the_booked_time(nurse, prescriber, patient_a):
    from assessments.models import QuestionnaireAssignment

    cleared_patient(patient_a, nurse, prescriber)
    start = (timezone.now() + timedelta(minutes=60)).replace(second=0, microsecond=0)
    visit = checked_in_visit(patient_a, nurse, start=start)  # booked: the baseline PHQ-9 opens
    baseline = patient_a.assignments.get(is_baseline=True)
    assert baseline.is_available and baseline.expires_at == visit.end
    session = steps.start_session(visit, by=nurse)
    now = timezone.now()
    steps.save_pre_session(
        session,
        answers=dict.fromkeys((i.key for i in checklist_for("iv")), "yes"),
        weight_kg=Decimal("70"),
        weight_measured_on=timezone.localdate(),
        by=nurse,
    )
    steps.record_vitals(session, taken_at=now, by=nurse, sbp=124, dbp=78, hr=70)
    vial = stock_vial(nurse)
    steps.order_dose(
        session, by=prescriber, mg_per_kg="0.5", minutes=40, concentration=vial.concentration_mg_per_ml
    )
    steps.administer_dose(session, by=nurse, vial=vial)  # the patient was early: before the booked time
    baseline.refresh_from_db()
    assert baseline.status == QuestionnaireAssignment.Status.EXPIRED
    assert baseline.expires_at == session.dose_started_at and baseline.is_expired


def test_a_session_that_runs_past_midnight_keeps_the_weight_taken_that_evening(nurse, prescriber, patient_a):
    import zoneinfo

    local = zoneinfo.ZoneInfo(timezone.get_current_timezone_name())
    yesterday = timezone.localdate() - timedelta(days=1)
    start = timezone.make_aware(datetime.combine(yesterday, time(23, 52)), local)
    session = charted_session(patient_a, nurse, prescriber, until="ordered", start=start)
    assert session.is_ordered and timezone.localdate(session.ordered_at) != session.weight_measured_on
