"""In Chromium on a tablet: a nurse charts a whole IV session (checklist, dose, six vitals, MOAA/S
and CADSS, discharge, signatures) with a prescriber ordering and co-signing. The server's clock is
moved on between readings so the timepoints fill as they would in a real session. Screenshots go to
artifacts/screenshots/; the session record PDF is saved to artifacts/ as well."""

import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from sessions.ledger.entries import receive_vial
from sessions.models import Appointment, LedgerEntry, TreatmentSession
from testing.browser import sign_in
from testing.factories import TEST_PASSWORD, appointment_type, room, treatment_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TABLET = {"width": 820, "height": 1180}
ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "artifacts")


def _vitals(page, sbp, dbp, hr, spo2, rr):
    form = page.locator("form.vitals-entry")
    for label, value in (("Systolic", sbp), ("Diastolic", dbp), ("HR", hr), ("SpO2 %", spo2), ("RR", rr)):
        form.get_by_label(label, exact=True).fill(str(value))
    form.get_by_role("button", name="Add vitals").click()
    expect(page.get_by_text(re.compile(f"harted:? {sbp}/{dbp}"))).to_be_visible()


def test_nurse_charts_a_whole_iv_session_on_a_tablet(
    live_server, cleared, nurse, prescriber, browser, screenshot
):
    site = live_server.url
    clinic = ClinicSettings.load()
    clinic.staff_idle_minutes = 60  # the clock jumps 15 minutes between some readings
    clinic.save()
    start = timezone.now().replace(second=0, microsecond=0)
    plan = treatment_plan(cleared, prescriber)
    visit = Appointment.objects.create(
        patient=cleared,
        appointment_type=appointment_type("iv", 150, name="IV infusion"),
        room=room("Chair 1"),
        clinician=nurse,
        start=start,
        end=start + timedelta(minutes=150),
        status=Appointment.Status.CHECKED_IN,
        plan=plan,
        series_number=1,
        created_by=nurse,
    )
    vial = receive_vial(
        lot="KET-2291",
        expiry=date.today() + timedelta(days=300),
        concentration_mg_per_ml=Decimal("50"),
        volume_ml=Decimal("10"),
        supplier="Example Pharma",
        invoice_number="INV-77",
        by=nurse,
    )

    with time_machine.travel(start + timedelta(minutes=5), tick=True) as clock:
        tablet = browser.new_context(viewport=TABLET, has_touch=True, reduced_motion="reduce")
        tablet.set_default_timeout(10_000)
        page = tablet.new_page()
        sign_in(page, site, nurse.email)
        expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
        page.get_by_role("button", name="Start chart").first.click()
        expect(page.get_by_role("heading", name=re.compile("IV infusion"))).to_be_visible()

        # Checklist: the patient's answers and the nurse's checks, weight, mood.
        checklist = page.locator("#checklist")
        for group in checklist.get_by_role("group").all():
            group.locator("label", has_text=re.compile("^(Yes)$")).first.click()
        checklist.get_by_label("Weight today (kg)").fill("82.4")
        checklist.get_by_label("Mood now, 0 (worst) to 10 (best)").fill("4")
        checklist.get_by_role("button", name="Save checklist").click()
        expect(page.get_by_text("Pre-session checklist saved.")).to_be_visible()
        screenshot(page, "charting-01-checklist")

        # Pre-dose vitals.
        _vitals(page, 128, 82, 74, 98, 14)
        expect(page.locator("#dose")).to_contain_text("OK")
        tablet.close()

        # The prescriber orders from the plan's protocol; the calculator shows the arithmetic.
        desk = browser.new_context(viewport=TABLET, has_touch=True, reduced_motion="reduce")
        desk.set_default_timeout(10_000)
        doctor = desk.new_page()
        sign_in(doctor, site, prescriber.email)
        session = TreatmentSession.objects.get(appointment=visit)
        doctor.goto(f"{site}/patients/{cleared.external_id}/sessions/{session.external_id}/#dose")
        dose = doctor.locator("#dose")
        expect(dose.get_by_label("mg/kg")).to_have_value("0.500")
        expect(dose.get_by_label("Vial concentration (mg/mL)")).to_have_value("50")  # the one in stock
        expect(dose.locator("#calculation")).to_contain_text("41.2 mg")
        expect(dose.locator("#calculation")).to_contain_text("0.82 mL")
        expect(dose.locator("#calculation")).to_contain_text("1.2 mL/h")
        screenshot(doctor, "charting-02-calculator")
        dose.get_by_role("button", name="Order this dose").click()
        expect(doctor.get_by_text("Dose ordered.")).to_be_visible()
        desk.close()

        tablet = browser.new_context(viewport=TABLET, has_touch=True, reduced_motion="reduce")
        tablet.set_default_timeout(10_000)
        page = tablet.new_page()
        sign_in(page, site, nurse.email)
        page.goto(f"{site}/patients/{cleared.external_id}/sessions/{session.external_id}/#dose")
        dose = page.locator("#dose")
        dose.get_by_label("Draw from vial").select_option(value=str(vial.pk))
        dose.get_by_role("button", name="Start the dose").click()
        expect(page.get_by_text("Dose started: the monitoring")).to_be_visible()

        # Five readings during and after the infusion, one past the alert threshold.
        readings = [
            (10, (134, 85, 80, 97, 15)),
            (20, (141, 88, 84, 97, 16)),
            (30, (184, 96, 88, 96, 16)),
            (40, (150, 92, 86, 97, 15)),
            (55, (138, 86, 80, 98, 14)),
        ]
        elapsed = 0
        for minute, values in readings:
            clock.shift(timedelta(minutes=minute - elapsed))
            elapsed = minute
            page.reload()
            _vitals(page, *values)
            if minute == 30:
                expect(page.locator("#alerts")).to_contain_text("SBP 184 above 180")
                screenshot(page, "charting-03-alert")
                alerts = page.locator("#alerts")
                alerts.get_by_placeholder(re.compile("Action taken")).fill(
                    "Rechecked after 5 min, prescriber told"
                )
                alerts.get_by_role("button", name="Acknowledge").click()
                expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
            if minute == 40:
                sedation = page.locator("#sedation")
                sedation.get_by_label(re.compile("4 — Lethargic")).check()
                sedation.get_by_label("CADSS total").fill("18")
                sedation.get_by_label("Depersonalization").fill("6")
                sedation.get_by_label("Derealization").fill("9")
                sedation.get_by_label("Amnesia").fill("1")
                sedation.get_by_role("button", name="Add observation").click()
                expect(page.get_by_text("Sedation and dissociation charted.")).to_be_visible()
        expect(page.locator("#flowsheet table")).to_contain_text("184/96")
        expect(page.locator("#flowsheet svg")).to_be_visible()
        screenshot(page, "charting-04-flowsheet")

        # Recovery: MOAA/S back to 5, then discharge.
        clock.shift(timedelta(minutes=15))
        page.reload()
        sedation = page.locator("#sedation")
        sedation.get_by_label(re.compile("5 — Responds readily")).check()
        sedation.get_by_label("CADSS total").fill("2")
        sedation.get_by_role("button", name="Add observation").click()
        expect(page.get_by_text("Sedation and dissociation charted.")).to_be_visible()
        _vitals(page, 130, 82, 76, 98, 14)

        discharge = page.locator("#discharge")
        discharge.get_by_role("button", name="Discharge").click()
        expect(discharge).to_contain_text("Modified Aldrete score is incomplete")
        for item in ("Activity", "Respiration", "Circulation", "Consciousness", "SpO2"):
            discharge.get_by_role("group", name=item).get_by_label(re.compile("2 — ")).check()
        for box in ("Vital signs near baseline", "Alert and oriented", "Escort present"):
            discharge.get_by_label(box).check()
        discharge.get_by_label("Written discharge instructions given").check()
        discharge.get_by_label("Escort's name").fill("Sam Rivera")
        screenshot(page, "charting-05-discharge")
        discharge.get_by_role("button", name="Discharge").click()
        expect(page.get_by_text("Discharged.")).to_be_visible()

        sign = page.locator("#sign")
        sign.get_by_label("Your password").fill("not my password")
        sign.get_by_role("button", name="Sign as nurse").click()
        expect(page.locator("#sign")).to_contain_text("Your password is not correct")
        page.locator("#sign").get_by_label("Your password").fill(TEST_PASSWORD)
        page.locator("#sign").get_by_role("button", name="Sign as nurse").click()
        expect(page.get_by_text("Waiting for the other signature")).to_be_visible()
        tablet.close()

        desk = browser.new_context(viewport=TABLET, has_touch=True, reduced_motion="reduce")
        desk.set_default_timeout(10_000)
        doctor = desk.new_page()
        sign_in(doctor, site, prescriber.email)
        doctor.goto(f"{site}/patients/{cleared.external_id}/sessions/{session.external_id}/#sign")
        doctor.locator("#sign").get_by_label("Your password").fill(TEST_PASSWORD)
        doctor.locator("#sign").get_by_role("button", name="Sign as prescriber").click()
        expect(doctor.get_by_text("Signed and locked.")).to_be_visible()
        expect(doctor.locator("form.vitals-entry")).to_have_count(0)
        screenshot(doctor, "charting-06-signed")

        addenda = doctor.locator("#addenda")
        addenda.get_by_label("Why").fill("Late note")
        addenda.get_by_label("Addendum").fill("Patient called at 17:00: feeling well.")
        screenshot(doctor, "charting-07-addendum")
        addenda.get_by_role("button", name="Add addendum").click()
        expect(doctor.locator("#addenda")).to_contain_text("Patient called at 17:00")

        pdf = doctor.request.get(
            f"{site}/patients/{cleared.external_id}/sessions/{session.external_id}/record.pdf"
        )
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, "session-record.pdf"), "wb") as out:
            out.write(pdf.body())
        desk.close()

    session.refresh_from_db()
    assert session.is_locked
    assert session.ordered_dose_mg == Decimal("41.2")
    assert session.vitals.count() == 7
    assert session.observations.count() == 2
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADMINISTRATION)
    assert entry.change_ml == Decimal("-0.82") and entry.patient == cleared
    vial.refresh_from_db()
    assert vial.balance_ml == Decimal("9.18")
