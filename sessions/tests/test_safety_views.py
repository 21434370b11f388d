"""The safety checks as staff meet them on the chart page: what stops the treatment shown at the top,
the prescriber's override, refusals that save nothing, a form sent twice charted once, and no failed
save that looks like a success (a signed-out htmx request is a 401, never a sign-in page)."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments.services import current_version_for, submit_response
from sessions.charting import steps
from sessions.charting.records import session_record_pdf
from sessions.models import LedgerEntry, SafetyOverride, VitalSignReading
from sessions.tests.test_records import pdf_text
from testing.charting import charted_session, stock_vial

pytestmark = pytest.mark.django_db


def url(session, name="chart"):
    return reverse(f"sessions:{name}", args=[session.patient.external_id, session.external_id])


def phq9_item9(patient, nurse):
    raw = {str(n): 0 for n in range(1, 9)} | {"9": 1, "10": 0}
    submit_response(
        patient=patient, version=current_version_for("PHQ-9"), raw=raw, entered_by=nurse, mode="clinic"
    )


@pytest.fixture
def ordered(patient_a, nurse, prescriber):
    vial = stock_vial(nurse)
    session = charted_session(
        patient_a, nurse, prescriber, vial=vial, until="ordered", start=timezone.now() - timedelta(minutes=20)
    )
    session.test_vial = vial
    return session


def test_the_chart_shows_why_the_treatment_stopped_at_the_top_and_offers_no_dose(client_for, nurse, ordered):
    phq9_item9(ordered.patient, nurse)
    page = client_for(nurse).get(url(ordered)).content.decode()
    top = page.index('id="treatment-stopped"')
    assert top < page.index('id="checklist"')
    assert "Treatment stopped: the patient is not cleared for treatment now" in page
    assert "Questionnaire alert not yet acknowledged: PHQ-9 item 9" in page
    assert "Start the dose" not in page and "the dose cannot be given while the treatment is stopped" in page
    assert "Override as prescriber" not in page  # a nurse cannot override
    assert "A prescriber can override this on this page." in page


def test_the_nurse_s_dose_is_refused_with_the_reasons_and_nothing_is_drawn(client_for, nurse, ordered):
    phq9_item9(ordered.patient, nurse)
    response = client_for(nurse).post(url(ordered, "chart_administer"), {"vial": ordered.test_vial.pk})
    page = response.content.decode()
    assert response.status_code == 200 and "Treatment is stopped" in page and "PHQ-9 item 9" in page
    assert not LedgerEntry.objects.filter(kind="administered").exists()
    ordered.refresh_from_db()
    assert not ordered.is_administered


def test_the_prescriber_overrides_on_the_chart_and_the_nurse_gives_the_dose(
    client_for, nurse, prescriber, ordered
):
    phq9_item9(ordered.patient, nurse)
    assert (
        client_for(nurse).post(url(ordered, "chart_override"), {"kind": "gate", "reason": "x"}).status_code
        == 403
    )
    refused = client_for(prescriber).post(url(ordered, "chart_override"), {"kind": "gate", "reason": "  "})
    assert "This field is required." in refused.content.decode() and not SafetyOverride.objects.exists()
    response = client_for(prescriber).post(
        url(ordered, "chart_override"),
        {
            "kind": "gate",
            "reason": "Passive ideation, known; safety plan reviewed with me today.",
            "submission_id": uuid.uuid4(),
        },
    )
    assert response.status_code == 302
    page = client_for(nurse).get(url(ordered)).content.decode()
    assert 'id="treatment-stopped"' not in page and "Treatment gate overridden" in page
    assert "Passive ideation, known; safety plan reviewed with me today." in page
    response = client_for(nurse).post(url(ordered, "chart_administer"), {"vial": ordered.test_vial.pk})
    assert response.status_code == 302
    ordered.refresh_from_db()
    assert ordered.is_administered

    text = pdf_text(session_record_pdf(ordered, nurse))
    assert "Treatment gate overridden" in text and "Passive ideation, known" in text
    assert "Covering: Questionnaire alert not yet acknowledged: PHQ-9 item 9" in text


def test_a_hold_reading_after_the_order_shows_the_hold_and_its_override_form(
    client_for, nurse, prescriber, ordered
):
    when = timezone.now() - timedelta(minutes=1)
    reading = steps.record_vitals(ordered, taken_at=when, by=nurse, now=when, sbp=195, dbp=118, hr=84)
    alert = ordered.alerts.get(vital=reading)
    steps.acknowledge(alert, by=nurse, note="Prescriber at the chair.")
    page = client_for(prescriber).get(url(ordered)).content.decode()
    held = page[page.index('id="dosing-held"') :]
    assert "Pre-dose SBP 195 above 160 (pre-dose hold threshold)" in held
    assert "Override as prescriber" in held and 'name="kind" value="hold"' in held
    assert "Start the dose" not in page
    response = client_for(nurse).post(url(ordered, "chart_administer"), {"vial": ordered.test_vial.pk})
    assert "Dosing is held." in response.content.decode()


def test_a_reading_flagged_on_systolic_and_diastolic_is_highlighted_once(
    client_for, nurse, prescriber, patient_a
):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    when = session.dose_started_at + timedelta(minutes=20)
    steps.record_vitals(session, taken_at=when, by=nurse, now=when, sbp=190, dbp=115, hr=80, temp_c=38.4)
    page = client_for(nurse).get(url(session)).content.decode()
    assert "flaggedflagged" not in page
    assert re.search(r'<td class="flagged"[^>]*>190/115</td>', page)
    assert "SBP &gt; 180 or &lt; 90, DBP &gt; 110 or &lt; 50" in page


# --- A form sent twice, and forms after signing out ---------------------------------------------------


def test_the_same_vitals_form_sent_twice_charts_one_reading(client_for, nurse, ordered):
    form = {"sbp": "128", "dbp": "80", "hr": "72", "submission_id": str(uuid.uuid4())}
    client = client_for(nurse)
    first = client.post(url(ordered, "chart_vitals"), form, HTTP_HX_REQUEST="true")
    second = client.post(url(ordered, "chart_vitals"), form, HTTP_HX_REQUEST="true")
    assert first.status_code == second.status_code == 200
    assert VitalSignReading.objects.filter(submission_id=form["submission_id"]).count() == 1
    changed = client.post(url(ordered, "chart_vitals"), {**form, "sbp": "150"}, HTTP_HX_REQUEST="true")
    text = changed.content.decode()
    assert "Not charted: this form had already charted an entry" in text
    assert form["submission_id"] not in text  # it comes back with a new id: pressing again charts it
    assert not VitalSignReading.objects.filter(sbp=150).exists()


def test_a_signed_out_htmx_request_gets_401_and_saves_nothing(client, client_for, nurse, ordered):
    anonymous = client.post(url(ordered, "chart_vitals"), {"sbp": "128", "dbp": "80"}, HTTP_HX_REQUEST="true")
    assert anonymous.status_code == 401 and "nothing was saved" in anonymous.content.decode()
    signed_in = client_for(nurse)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert signed_in.get(url(ordered)).status_code == 200
        clock.shift(timedelta(minutes=16))
        expired = signed_in.post(
            url(ordered, "chart_vitals"), {"sbp": "128", "dbp": "80"}, HTTP_HX_REQUEST="true"
        )
    assert expired.status_code == 401
    assert not ordered.vitals.filter(sbp=128).exists()


def test_a_plain_form_sent_after_idle_sign_out_returns_to_its_page_after_sign_in(client_for, nurse, ordered):
    client = client_for(nurse)
    chart = url(ordered)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(chart)
        clock.shift(timedelta(minutes=16))
        response = client.post(
            url(ordered, "chart_observation"), {"moaas": "4"}, HTTP_REFERER=f"http://testserver{chart}"
        )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={chart.replace(':', '%3A')}"
    assert not ordered.observations.exists()
    other_site = client.post(
        url(ordered, "chart_observation"), {"moaas": "4"}, HTTP_REFERER="https://evil.example/x"
    )
    assert other_site["Location"] == f"{reverse('account_login')}?next=/"


def test_a_saved_form_is_listed_once_for_the_page_that_follows(client_for, nurse, ordered):
    client = client_for(nurse)
    submission = str(uuid.uuid4())
    when = (timezone.localtime() - timedelta(minutes=1)).strftime("%H:%M")
    client.post(
        url(ordered, "chart_observation"), {"moaas": "5", "taken_at": when, "submission_id": submission}
    )
    page = client.get(url(ordered)).content.decode()
    assert f'<meta name="clinic-saved-submissions" content="{submission}">' in page
    assert '<meta name="clinic-saved-submissions" content="">' in client.get(url(ordered)).content.decode()


# --- One definition of open alerts on every page -----------------------------------------------------


def test_an_alert_on_a_chart_is_counted_in_the_badge_today_and_the_alerts_page(
    client_for, nurse, therapist, ordered
):
    ordered.alerts.create(raised_at=timezone.now(), message="SBP 190 above 180 (alert threshold)")
    phq9_item9(ordered.patient, nurse)
    client = client_for(nurse)
    today = client.get(reverse("sessions:today")).content.decode()
    assert 'aria-label="2 open">2</span>' in today
    assert "Open alerts for 1 patient:" in today and f"{ordered.patient.sortable_name}</a> (2)" in today
    alerts_page = client.get(reverse("assessments:alerts")).content.decode()
    assert "SBP 190 above 180 (alert threshold)" in alerts_page and "Acknowledge on the chart" in alerts_page
    assert "PHQ-9 item 9" in alerts_page
    patient_page = client.get(reverse("patients:detail", args=[ordered.patient.external_id])).content.decode()
    assert "SBP 190 above 180" in patient_page and "acknowledge it on the chart" in patient_page
    assert 'aria-label="2 open"' in client_for(therapist).get(reverse("sessions:today")).content.decode()


def test_the_alerts_page_is_paginated(client_for, nurse, ordered):
    for n in range(30):
        ordered.alerts.create(
            raised_at=timezone.now() - timedelta(minutes=n),
            message=f"HR {121 + n} above 120 (alert threshold)",
        )
    page = client_for(nurse).get(reverse("assessments:alerts")).content.decode()
    assert page.count("Acknowledge on the chart") == 25 and "Page 1 of 2" in page
    assert (
        client_for(nurse)
        .get(reverse("assessments:alerts") + "?page=2")
        .content.decode()
        .count("Acknowledge on the chart")
        == 5
    )


# --- Dilution on the screen and in the record ---------------------------------------------------------


def test_the_calculator_warns_and_proposes_a_dilution(client_for, prescriber, patient_a, nurse):
    session = charted_session(patient_a, nurse, prescriber, until="started", weight_kg=Decimal("50"))
    stock_vial(nurse, concentration_mg_per_ml=Decimal("100"), lot="KET-100")
    calc = url(session, "chart_calculate")
    page = (
        client_for(prescriber)
        .get(calc, {"mg_per_kg": "0.1", "minutes": "60", "concentration": "100"})
        .content.decode()
    )
    assert "The pump cannot give this dose:" in page and "(+100 %)" in page
    assert (
        'data-final-volume="50"' in page and "49.95 mL 0.9 % sodium chloride to 50 mL (0.100 mg/mL)" in page
    )
    page = (
        client_for(prescriber)
        .get(calc, {"mg_per_kg": "0.1", "minutes": "60", "concentration": "100", "final_volume_ml": "50"})
        .content.decode()
    )
    assert "rate-warning" not in page and "50.0 mL/h" in page and "0.100 mg/mL" in page


def test_the_session_record_shows_the_whole_preparation(nurse, prescriber, patient_a):
    session = charted_session(
        patient_a, nurse, prescriber, weight_kg=Decimal("82.4"), final_volume_ml=Decimal("100")
    )
    text = pdf_text(session_record_pdf(session, nurse))
    assert "0.82 mL stock + 99.18 mL 0.9 % sodium chloride = 100 mL at 0.412 mg/mL" in text
    assert "pump rate 150.0 mL/h (diluted; pump steps of 0.1 mL/h)" in text
    assert "the ledger records the 0.82 mL of stock" in text


def test_the_esketamine_record_lists_each_device(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, route="intranasal", dose_mg=84)
    text = pdf_text(session_record_pdf(session, nurse))
    first = timezone.localtime(session.dose_started_at)
    for number in (1, 2, 3):
        at = first + timedelta(minutes=5 * (number - 1))
        assert f"Device {number} {at:%H:%M} · lot ESK26K041" in text


def test_the_nurse_gives_each_esketamine_device_from_the_chart(client_for, nurse, prescriber, patient_a):
    session = charted_session(
        patient_a,
        nurse,
        prescriber,
        route="intranasal",
        until="ordered",
        dose_mg=56,
        start=timezone.now() - timedelta(minutes=20),
    )
    client = client_for(nurse)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.post(url(session, "chart_administer"), {"lot_number": "ESK9"}).status_code == 302
        clock.shift(timedelta(minutes=3))
        page = client.post(url(session, "chart_device"), {}).content.decode()
        assert page.count("5 minutes between devices: device 2 not before") == 1
        assert session.devices.count() == 1 and "Give device 2" in page
        clock.shift(timedelta(minutes=3))
        response = client.post(
            url(session, "chart_device"), {"submission_id": str(uuid.uuid4())}, follow=True
        )
    assert "Device 2 given." in response.content.decode()
    assert [d.lot_number for d in session.devices.all()] == ["ESK9", "ESK9"]
    assert "Give device 3" not in response.content.decode()


def test_the_key_for_unsaved_copies_is_given_only_to_the_signed_in_user_who_typed(
    client, client_for, nurse, prescriber, ordered
):
    def key_in(page):
        found = re.search(r'data-unsaved-key="([^"]+)"', page)
        return found and found.group(1)

    nurse_key = key_in(client_for(nurse).get(url(ordered)).content.decode())
    assert nurse_key and nurse_key == key_in(
        client_for(nurse).get(reverse("sessions:today")).content.decode()
    )
    assert key_in(client_for(prescriber).get(url(ordered)).content.decode()) not in (None, nurse_key)
    assert key_in(client.get(reverse("account_login")).content.decode()) is None
