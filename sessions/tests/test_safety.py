"""Safety at every step of a treatment (sessions.charting.safety): the treatment gate and the pre-dose hold are
checked when the chart starts, at the order, at the dose and at each esketamine device, and only a
prescriber's written override, later than what caused the stop, lets the treatment go on."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.services import current_version_for, submit_response
from patients import alerts
from patients.intake import save_section, sections_of
from patients.models import Patient
from patients.review import record_decision
from sessions.charting import safety, steps
from sessions.charting.safety import SafetyError
from sessions.charting.steps import ChartingError
from sessions.models import (
    ChartingSettings,
    EsketamineDevice,
    LedgerEntry,
    SafetyOverride,
    TreatmentSession,
)
from testing.charting import charted_session, checked_in_visit, stock_vial
from testing.factories import consent_document

pytestmark = pytest.mark.django_db

ORDER = {"mg_per_kg": "0.5", "minutes": 40, "concentration": Decimal("50")}


def at(session, minutes):
    return session.appointment.start + timedelta(minutes=minutes)


def reasons(error):
    return " ".join(error.value.reasons)


def order(session, prescriber, minute=8, **extra):
    return steps.order_dose(session, by=prescriber, now=at(session, minute), **{**ORDER, **extra})


def administer(session, nurse, vial, minute=12):
    when = at(session, minute)
    return steps.administer_dose(session, by=nurse, vial=vial, started_at=when, now=when)


def vitals(session, nurse, minute, **values):
    when = at(session, minute)
    return steps.record_vitals(session, taken_at=when, by=nurse, now=when, **values)


# --- What closes the gate mid-session ----------------------------------------------------------------


def _phq9_item9(patient, nurse):
    raw = {str(n): 0 for n in range(1, 9)} | {"9": 1, "10": 0}
    submit_response(
        patient=patient, version=current_version_for("PHQ-9"), raw=raw, entered_by=nurse, mode="clinic"
    )


def _on_hold(patient, nurse):
    patient.status = Patient.Status.ON_HOLD
    patient.save()


def _declined(patient, prescriber):
    record_decision(
        patient,
        outcome="declined",
        note="Uncontrolled hypertension.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )


def _intake_changed(patient, nurse):
    section = sections_of(patient)["allergies"]
    save_section(patient, "allergies", {**section.data, "details": "Penicillin: rash (new)."}, nurse)


def _new_consent_version(patient, nurse):
    consent_document("iv", version=2)


GATE_CLOSERS = {
    "a PHQ-9 with item 9 answered": (_phq9_item9, "Questionnaire alert not yet acknowledged: PHQ-9 item 9"),
    "the patient put on hold": (_on_hold, "Status is “On hold”, not Active."),
    "a prescriber declining": (_declined, "The latest screening decision is “Decline”"),
    "the intake changing": (_intake_changed, "The intake changed after the approval"),
    "a new consent version": (_new_consent_version, "version 2 is current and must be signed"),
}


@pytest.fixture
def started(patient_a, nurse, prescriber):
    return charted_session(patient_a, nurse, prescriber, until="started")


@pytest.mark.parametrize("why", GATE_CLOSERS)
def test_the_gate_closing_between_start_and_order_refuses_the_order(why, started, nurse, prescriber):
    close, expected = GATE_CLOSERS[why]
    close(started.patient, prescriber if why == "a prescriber declining" else nurse)
    with pytest.raises(ChartingError) as error:
        order(started, prescriber)
    assert "Treatment is stopped" in reasons(error) and expected in reasons(error)
    started.refresh_from_db()
    assert not started.is_ordered


@pytest.mark.parametrize("why", GATE_CLOSERS)
def test_the_gate_closing_between_order_and_dose_refuses_the_dose_and_draws_nothing(
    why, started, nurse, prescriber
):
    vial = stock_vial(nurse)
    order(started, prescriber)
    close, expected = GATE_CLOSERS[why]
    close(started.patient, prescriber if why == "a prescriber declining" else nurse)
    with pytest.raises(ChartingError) as error:
        administer(started, nurse, vial)
    assert expected in reasons(error)
    started.refresh_from_db()
    assert not started.is_administered
    assert not LedgerEntry.objects.filter(kind="administered").exists()


def test_an_unacknowledged_alert_on_an_earlier_abandoned_chart_closes_the_gate(patient_a, nurse, prescriber):
    earlier = charted_session(
        patient_a, nurse, prescriber, until="started", start=timezone.now() - timedelta(days=2)
    )
    alert = earlier.alerts.create(
        raised_at=earlier.appointment.start, message="SBP 190 above 180 (alert threshold)"
    )
    visit = checked_in_visit(patient_a, nurse, route="iv", room_name="Chair 2")
    with pytest.raises(ChartingError) as error:
        steps.start_session(visit, by=nurse)
    assert "Treatment session alert not yet acknowledged: SBP 190 above 180" in reasons(error)
    assert alerts.open_count(patient_a) == 1

    steps.acknowledge(alert, by=nurse, note="Chart abandoned; BP rechecked 132/80.")
    assert steps.start_session(visit, by=nurse).pk


def test_a_session_alert_counts_everywhere_open_alerts_are_counted(patient_a, nurse, prescriber, therapist):
    session = charted_session(patient_a, nurse, prescriber, until="started")
    session.alerts.create(raised_at=timezone.now(), message="SBP 190 above 180 (alert threshold)")
    _phq9_item9(patient_a, nurse)
    assert alerts.open_count(patient_a) == 2
    assert alerts.open_counts([patient_a.pk]) == {patient_a.pk: 2}
    assert alerts.open_total(therapist) == 2
    found = alerts.open_alerts_for(patient_a)
    assert len(found["risk"]) == 1 and len(found["session"]) == 1
    patients, total = alerts.patients_with_open_alerts(nurse)
    assert total == 1 and patients[0].open_alert_count == 2


# --- Overriding the gate ---------------------------------------------------------------------------


def test_a_prescriber_overrides_the_closed_gate_with_a_reason_and_the_treatment_goes_on(
    started, nurse, prescriber
):
    vial = stock_vial(nurse)
    _phq9_item9(started.patient, nurse)
    with pytest.raises(SafetyError) as error:
        safety.override(started, kind="gate", reason="", by=prescriber)
    assert reasons(error) == "Write the reason for overriding."
    with pytest.raises(SafetyError) as error:
        safety.override(started, kind="gate", reason="Seen", by=nurse)
    assert reasons(error) == "Only a prescriber can override a stop."

    made = safety.override(
        started,
        kind="gate",
        reason="Passive ideation, long-standing; safety plan reviewed in person.",
        by=prescriber,
        now=at(started, 7),
    )
    assert made.covers[0]["text"].startswith("Questionnaire alert not yet acknowledged")
    order(started, prescriber)
    administer(started, nurse, vial)
    started.refresh_from_db()
    assert started.is_administered


def test_a_stop_that_arises_after_the_override_stops_the_treatment_again(started, nurse, prescriber):
    vial = stock_vial(nurse)
    _phq9_item9(started.patient, nurse)
    safety.override(started, kind="gate", reason="Reviewed in person.", by=prescriber)
    order(started, prescriber)
    _on_hold(started.patient, nurse)  # a new fact: not covered by the override
    with pytest.raises(ChartingError) as error:
        administer(started, nurse, vial)
    assert "On hold" in reasons(error) and "PHQ-9" not in reasons(error)


def test_an_override_with_nothing_stopped_is_refused(started, prescriber):
    with pytest.raises(SafetyError) as error:
        safety.override(started, kind="gate", reason="Just in case.", by=prescriber)
    assert reasons(error) == "Nothing is stopped: there is nothing to override."
    assert not SafetyOverride.objects.exists()


def test_the_same_override_form_sent_twice_records_one_override(started, nurse, prescriber):
    _on_hold(started.patient, nurse)
    submission = uuid.uuid4()
    first = safety.override(
        started, kind="gate", reason="Hold is for billing only.", by=prescriber, submission_id=submission
    )
    again = safety.override(
        started, kind="gate", reason="Hold is for billing only.", by=prescriber, submission_id=submission
    )
    assert first == again and SafetyOverride.objects.count() == 1


# --- The pre-dose hold where the dose is given ------------------------------------------------------


def test_a_hold_level_reading_after_the_order_refuses_the_dose_and_raises_an_alert(
    started, nurse, prescriber
):
    vial = stock_vial(nurse)
    order(started, prescriber)
    reading = vitals(started, nurse, 10, sbp=195, dbp=118, hr=84)
    (alert,) = started.alerts.filter(vital=reading)
    assert alert.message == (
        "Pre-dose hold: SBP 195 above 160 (pre-dose hold threshold); DBP 118 above 100 (pre-dose hold threshold)"
    )
    with pytest.raises(ChartingError) as error:
        administer(started, nurse, vial)
    assert "Dosing is held." in reasons(error) and "Pre-dose SBP 195 above 160" in reasons(error)

    steps.acknowledge(alert, by=nurse, note="Prescriber told; patient anxious.", now=at(started, 11))
    with pytest.raises(ChartingError) as error:  # the alert is seen; the hold still stands
        administer(started, nurse, vial)
    assert "Dosing is held." in reasons(error) and "Treatment is stopped" not in reasons(error)

    safety.override(
        started, kind="hold", reason="Anxious; repeat after the dose.", by=prescriber, now=at(started, 11)
    )
    administer(started, nurse, vial)
    assert TreatmentSession.objects.get(pk=started.pk).is_administered


def test_an_override_earlier_than_the_hold_reading_does_not_allow_the_dose(started, nurse, prescriber):
    vial = stock_vial(nurse)
    first = vitals(started, nurse, 6, sbp=165, dbp=95, hr=80)
    steps.acknowledge(started.alerts.get(vital=first), by=nurse, note="Prescriber informed.")
    order(started, prescriber, hold_override_reason="White-coat hypertension, known.")
    later = vitals(started, nurse, 10, sbp=172, dbp=104, hr=82)  # a newer hold: the override is older
    steps.acknowledge(started.alerts.get(vital=later), by=nurse, note="Prescriber informed.")
    with pytest.raises(ChartingError) as error:
        administer(started, nurse, vial)
    assert "Pre-dose SBP 172 above 160" in reasons(error)
    safety.override(
        started, kind="hold", reason="Rechecked after rest, still acceptable to me.", by=prescriber
    )
    administer(started, nurse, vial, minute=13)
    assert [o.kind for o in started.overrides.all()] == ["hold", "hold"]


def test_a_new_reading_within_limits_lifts_the_hold_and_each_measure_is_judged_by_its_own_latest_value(
    started, nurse, prescriber
):
    reading = vitals(started, nurse, 5, sbp=195, dbp=118, hr=84)
    steps.acknowledge(started.alerts.get(vital=reading), by=nurse, note="Rechecking.")
    vitals(started, nurse, 6, spo2=98)  # SpO2 alone does not clear a blood pressure
    assert [s.key for s in safety.open_stops(started, "hold")] == [
        f"reading:{reading.pk}:sbp",
        f"reading:{reading.pk}:dbp",
    ]
    vitals(started, nurse, 8, sbp=138, dbp=86, hr=76)
    assert safety.open_stops(started, "hold") == []
    order(started, prescriber)


@pytest.mark.parametrize(
    ("values", "stop"),
    [
        ({"sbp": 124, "dbp": 78, "spo2": 85, "hr": 135}, ["SpO2 85 below 92", "HR 135 above 120"]),
        ({"sbp": 124, "dbp": 78, "hr": 48}, ["HR 48 below 50"]),
        ({"sbp": 124, "dbp": 78, "rr": 26}, ["RR 26 above 24"]),
        ({"sbp": 124, "dbp": 78, "temp_c": 38.0}, ["Temp 38.0 at or above 38"]),
    ],
)
def test_pre_dose_spo2_heart_rate_respiration_and_temperature_hold_the_dose(
    started, nurse, prescriber, values, stop
):
    reading = vitals(started, nurse, 5, **values)
    texts = [s.text for s in safety.open_stops(started, "hold")]
    assert [any(part in text for text in texts) for part in stop] == [True] * len(stop)
    assert started.alerts.get(vital=reading).message.startswith("Pre-dose hold: ")
    with pytest.raises(ChartingError):
        order(started, prescriber)


def test_a_caution_is_shown_and_does_not_hold(started, nurse, prescriber):
    reading = vitals(started, nurse, 5, sbp=124, dbp=78, spo2=94, hr=105)
    assert reading.flags == [
        "HR 105 above 100 (pre-dose caution threshold)",
        "SpO2 94 below 95 (pre-dose caution threshold)",
    ]
    assert steps.pre_dose_status(started)[0] == "caution"
    assert not started.alerts.exists()
    order(started, prescriber)


def test_the_clinic_s_own_pre_dose_and_hypotension_thresholds_are_applied_and_named(
    started, nurse, prescriber
):
    clinic = ChartingSettings.load()
    clinic.hold_spo2_below = 90
    clinic.hold_temp_c = Decimal("38.5")
    clinic.alert_sbp_below = 95
    clinic.save()
    reading = vitals(started, nurse, 5, sbp=124, dbp=78, spo2=91, temp_c=38.2)
    assert reading.flags == ["SpO2 91 below 95 (pre-dose caution threshold)"]
    assert steps.pre_dose_status(started)[0] == "caution"
    vial = stock_vial(nurse)
    order(started, prescriber)
    administer(started, nurse, vial)
    low = vitals(started, nurse, 30, sbp=92, dbp=60, hr=70)
    assert low.flags == ["SBP 92 below 95 (alert threshold)"]
    assert started.alerts.get(vital=low).message == "SBP 92 below 95 (alert threshold)"


@pytest.mark.parametrize(
    ("sbp", "dbp", "flags"),
    [
        (90, 50, []),
        (89, 50, ["SBP 89 below 90 (alert threshold)"]),
        (90, 49, ["DBP 49 below 50 (alert threshold)"]),
        (70, 40, ["SBP 70 below 90 (alert threshold)", "DBP 40 below 50 (alert threshold)"]),
    ],
)
def test_low_blood_pressure_during_and_after_the_dose_raises_an_alert(
    patient_a, nurse, prescriber, sbp, dbp, flags
):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    when = session.dose_started_at + timedelta(minutes=20)
    reading = steps.record_vitals(session, taken_at=when, by=nurse, now=when, sbp=sbp, dbp=dbp, hr=60)
    assert reading.flags == flags
    assert session.alerts.filter(vital=reading).exists() == bool(flags)


# --- Esketamine: each device -------------------------------------------------------------------------


@pytest.fixture
def first_device(patient_a, nurse, prescriber):
    session = charted_session(patient_a, nurse, prescriber, route="intranasal", until="ordered", dose_mg=84)
    when = session.appointment.start + timedelta(minutes=12)
    steps.administer_dose(session, by=nurse, lot_number="ESK1", started_at=when, now=when)
    return TreatmentSession.objects.get(pk=session.pk)


def test_each_esketamine_device_is_five_minutes_after_the_one_before(first_device, nurse):
    start = first_device.dose_started_at
    with pytest.raises(ChartingError) as error:
        steps.give_device(
            first_device, by=nurse, taken_at=start + timedelta(minutes=4), now=start + timedelta(minutes=4)
        )
    assert f"device 2 not before {timezone.localtime(start + timedelta(minutes=5)):%H:%M}" in reasons(error)
    steps.give_device(
        first_device, by=nurse, taken_at=start + timedelta(minutes=5), now=start + timedelta(minutes=5)
    )
    assert [d.lot_number for d in first_device.devices.all()] == ["ESK1", "ESK1"]


def test_an_alert_after_the_first_device_stops_the_next_one(first_device, nurse, prescriber):
    start = first_device.dose_started_at
    high = steps.record_vitals(
        first_device,
        taken_at=start + timedelta(minutes=4),
        by=nurse,
        now=start + timedelta(minutes=4),
        sbp=186,
        dbp=100,
        hr=90,
    )
    later = start + timedelta(minutes=6)
    with pytest.raises(ChartingError) as error:
        steps.give_device(first_device, by=nurse, taken_at=later, now=later)
    assert "SBP 186 above 180" in reasons(error)
    steps.acknowledge(
        first_device.alerts.get(vital=high), by=nurse, note="Rechecked 150/90; prescriber agrees."
    )
    steps.give_device(first_device, by=nurse, taken_at=later, now=later)
    assert first_device.devices.count() == 2


def test_the_gate_closing_between_devices_stops_the_next_one(first_device, nurse):
    _phq9_item9(first_device.patient, nurse)
    later = first_device.dose_started_at + timedelta(minutes=6)
    with pytest.raises(ChartingError) as error:
        steps.give_device(first_device, by=nurse, taken_at=later, now=later)
    assert "PHQ-9 item 9" in reasons(error)


def test_discharge_waits_for_every_device_or_a_reason_for_stopping(first_device, nurse):
    from sessions.tests.test_charting_services import discharge_at

    start = first_device.dose_started_at
    for minute in (20, 40, 120):
        when = start + timedelta(minutes=minute)
        steps.record_vitals(
            first_device, taken_at=when, by=nurse, now=when, sbp=128, dbp=80, hr=72, spo2=98, rr=14
        )
    when = start + timedelta(minutes=30)
    steps.record_observation(first_device, taken_at=when, by=nurse, now=when, moaas=5)
    with pytest.raises(ChartingError) as error:
        discharge_at(first_device, nurse, 125)
    assert "2 esketamine devices of 3 not given" in reasons(error)
    steps.stop_devices(
        first_device,
        by=nurse,
        reason="Nausea after the first device; patient declined more.",
        now=start + timedelta(minutes=15),
    )
    discharge_at(first_device, nurse, 125)
    data = steps.rems_data(first_device)
    assert data["dose"] == "other" and data["other_dose_mg"] == Decimal("28")


# --- Diluted infusions --------------------------------------------------------------------------------


def test_a_diluted_infusion_is_ordered_and_the_ledger_draws_only_the_stock(patient_a, nurse, prescriber):
    vial = stock_vial(nurse)
    session = charted_session(
        patient_a,
        nurse,
        prescriber,
        vial=vial,
        weight_kg=Decimal("82.4"),
        final_volume_ml=Decimal("100"),
        until="administered",
    )
    # 82.4 kg × 0.5 mg/kg = 41.2 mg = 0.82 mL of 50 mg/mL; + 99.18 mL saline = 100 mL at 0.412 mg/mL,
    # 100 mL over 40 min = 150.0 mL/h.
    assert session.ordered_dose_mg == Decimal("41.2") and session.ordered_volume_ml == Decimal("0.82")
    assert session.ordered_diluent_volume_ml == Decimal("99.18")
    assert session.ordered_final_concentration == Decimal("0.412")
    assert session.ordered_rate_ml_per_h == Decimal("150.0") and session.rate_text == "150.0"
    assert session.ledger_entry.change_ml == Decimal("-0.82")
    vial.refresh_from_db()
    assert vial.balance_ml == Decimal("9.18")


def test_an_undiluted_rate_that_the_pump_cannot_give_is_refused_with_a_dilution(started, nurse, prescriber):
    started.weight_kg = Decimal("50")
    started.save()
    vitals(started, nurse, 5, sbp=124, dbp=78)
    with pytest.raises(ChartingError) as error:
        order(started, prescriber, mg_per_kg="0.1", minutes=60, concentration=Decimal("100"))
    text = reasons(error)
    assert "The pump rate 0.05 mL/h rounds to 0.1 mL/h" in text and "(+100 %)" in text
    assert "with 49.95 mL of 0.9 % sodium chloride to 50 mL (0.100 mg/mL), run at 50.0 mL/h" in text
    order(
        started,
        prescriber,
        mg_per_kg="0.1",
        minutes=60,
        concentration=Decimal("100"),
        final_volume_ml=Decimal("50"),
    )
    started.refresh_from_db()
    assert started.ordered_rate_ml_per_h == Decimal("50.0") and started.ordered_dose_mg == Decimal("5.0")


def test_the_pump_resolution_is_a_clinic_setting(started, nurse, prescriber):
    clinic = ChartingSettings.load()
    clinic.pump_rate_resolution = Decimal("1")
    clinic.save()
    vitals(started, nurse, 5, sbp=124, dbp=78)
    # 72.4 kg × 0.5 = 36.2 mg = 0.724 mL undiluted over 40 min = 1.086 mL/h -> 1 mL/h: 33.3 mg (−7.9 %).
    with pytest.raises(ChartingError) as error:
        order(started, prescriber)
    assert "rounds to 1 mL/h at this pump's 1 mL/h resolution" in reasons(error)
    order(started, prescriber, final_volume_ml=Decimal("50"))
    started.refresh_from_db()
    assert started.rate_text == "75" and started.rate_resolution_text == "1"


# --- A form sent twice ------------------------------------------------------------------------------


def test_a_reading_sent_twice_with_the_same_submission_is_charted_once(started, nurse):
    submission = uuid.uuid4()
    first = steps.record_vitals(
        started,
        taken_at=at(started, 5),
        by=nurse,
        now=at(started, 5),
        submission_id=submission,
        sbp=124,
        dbp=78,
    )
    again = steps.record_vitals(
        started,
        taken_at=at(started, 5),
        by=nurse,
        now=at(started, 9),
        submission_id=submission,
        sbp=124,
        dbp=78,
    )
    assert first.pk == again.pk and first.is_new and not again.is_new
    assert started.vitals.filter(submission_id=submission).count() == 1


def test_two_nurses_giving_the_same_device_at_once_get_a_refusal_not_an_error(first_device, nurse):
    # The race itself: both read "device 2 is next"; the second insert meets the unique (session,
    # number) constraint. It must come back as a refusal to show, not a server error.
    later = first_device.dose_started_at + timedelta(minutes=6)
    device = {"session": first_device, "lot_number": "ESK1", "taken_at": later, "recorded_at": later}
    steps._create(EsketamineDevice, uuid.uuid4(), number=2, recorded_by=nurse, **device)
    with pytest.raises(ChartingError) as error:
        steps._create(EsketamineDevice, uuid.uuid4(), number=2, recorded_by=nurse, **device)
    assert "Someone charted this at the same moment: nothing was added." in reasons(error)
    assert first_device.devices.count() == 2
