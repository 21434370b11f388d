"""The charting screens as staff use them: who may do what, refusals shown on the form, and a signed
record read-only in every view and in admin, with addenda beside it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sessions.charting import steps
from sessions.models import ChartingSettings, TreatmentSession, VitalSignReading
from testing.charting import charted_session, checked_in_visit, cleared_patient, stock_vial
from testing.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def url(session, name="chart"):
    return reverse(f"sessions:{name}", args=[session.patient.external_id, session.external_id])


@pytest.fixture
def signed(patient_a, nurse, prescriber):
    return charted_session(patient_a, nurse, prescriber, route="iv")


@pytest.fixture
def started(patient_a, nurse, prescriber):
    cleared_patient(patient_a, nurse, prescriber, "iv")
    visit = checked_in_visit(patient_a, nurse, route="iv")
    return steps.start_session(visit, by=nurse)


def test_nurse_starts_the_chart_from_a_checked_in_appointment(client_for, nurse, prescriber, patient_a):
    cleared_patient(patient_a, nurse, prescriber, "iv")
    visit = checked_in_visit(patient_a, nurse, route="iv")
    start = reverse("sessions:start_chart", args=[patient_a.external_id, visit.external_id])
    response = client_for(nurse).post(start)
    session = TreatmentSession.objects.get(appointment=visit)
    assert response.status_code == 302 and response["Location"] == url(session)
    visit.refresh_from_db()
    assert visit.status == "in_treatment"
    assert client_for(nurse).post(start)["Location"] == url(session)  # a second click opens the same chart
    assert TreatmentSession.objects.count() == 1


def test_the_chart_cannot_start_when_the_gate_is_closed(client_for, nurse, prescriber, patient_a):
    cleared_patient(patient_a, nurse, prescriber, "iv")
    visit = checked_in_visit(patient_a, nurse, route="iv")
    patient_a.status = "on_hold"
    patient_a.save()
    start = reverse("sessions:start_chart", args=[patient_a.external_id, visit.external_id])
    response = client_for(nurse).post(start, follow=True)
    assert "may not be treated today" in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_implausible_vitals_are_refused_on_the_flowsheet_with_the_reason(client_for, nurse, started):
    response = client_for(nurse).post(
        url(started, "chart_vitals"), {"sbp": "400", "dbp": "80", "hr": "72"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Systolic 400 is not plausible (50–300)" in response.content.decode()
    assert not VitalSignReading.objects.exists()


def test_a_reading_past_a_threshold_is_flagged_and_raises_an_alert(client_for, nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="administered")
    response = client_for(nurse).post(
        url(session, "chart_vitals"),
        {"sbp": "186", "dbp": "98", "hr": "88", "spo2": "97", "rr": "16"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "SBP 186 above 180 (alert threshold)" in body
    assert 'id="alerts" aria-live="assertive" hx-swap-oob="true"' in body
    assert session.alerts.filter(acknowledged_at__isnull=True).count() == 1


def test_nurse_cannot_order_the_dose(client_for, nurse, started):
    assert client_for(nurse).post(url(started, "chart_order"), {"mg_per_kg": "0.5"}).status_code == 403


def test_a_dose_over_the_clinic_maximum_is_a_hard_stop_without_a_reason(
    client_for, nurse, prescriber, patient_a
):
    session = charted_session(patient_a, nurse, prescriber, until="started")
    stock_vial(nurse)  # 50 mg/mL: the order offers only concentrations in stock
    settings = ChartingSettings.load()
    settings.max_mg_per_kg = Decimal("0.6")
    settings.save()
    data = {"mg_per_kg": "0.75", "minutes": "40", "concentration": "50"}
    response = client_for(prescriber).post(url(session, "chart_order"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "0.75 mg/kg is above the clinic maximum of 0.60 mg/kg" in body
    session.refresh_from_db()
    assert not session.is_ordered
    data["limit_override_reason"] = (
        "Partial response at 0.5 mg/kg over four sessions; discussed with patient."
    )
    assert client_for(prescriber).post(url(session, "chart_order"), data).status_code == 302
    session.refresh_from_db()
    assert session.ordered_dose_mg == Decimal("54.3") and session.limit_override_reason


def test_therapist_reads_the_chart_but_cannot_chart(client_for, therapist, signed, started):
    assert client_for(therapist).get(url(signed)).status_code == 200
    response = client_for(therapist).post(url(started, "chart_vitals"), {"sbp": "120", "dbp": "80"})
    assert response.status_code == 403


def test_front_desk_cannot_open_a_chart(client_for, front_desk, signed):
    assert client_for(front_desk).get(url(signed)).status_code == 403


def test_another_patients_session_is_not_found_under_this_patient(client_for, nurse, signed, patient_b):
    wrong = reverse("sessions:chart", args=[patient_b.external_id, signed.external_id])
    assert client_for(nurse).get(wrong).status_code == 404


def test_a_signed_record_is_read_only_in_every_view(client_for, nurse, prescriber, signed):
    page = client_for(nurse).get(url(signed)).content.decode()
    assert "Signed and locked" in page and "vitals-entry" not in page and "Add observation" not in page
    before = signed.vitals.count()
    response = client_for(nurse).post(url(signed, "chart_vitals"), {"sbp": "120", "dbp": "80"}, follow=True)
    assert "signed and locked" in response.content.decode()
    for name, data in [
        ("chart_observation", {"moaas": "5"}),
        ("chart_adverse_event", {"kind": "nausea_vomiting", "severity": "mild", "outcome": "resolved"}),
        ("chart_discharge", {}),
        ("chart_pre_session", {}),
        ("chart_sign", {"password": TEST_PASSWORD}),
    ]:
        client_for(nurse).post(url(signed, name), data)
    assert signed.vitals.count() == before
    assert signed.observations.count() == 3 and not signed.adverse_events.exists()
    with pytest.raises(Exception, match="signed and locked"):
        VitalSignReading.objects.create(
            session=signed, taken_at=signed.started_at, recorded_by=nurse, sbp=120, dbp=80
        )


def test_an_addendum_sits_beside_the_signed_record(client_for, prescriber, signed):
    response = client_for(prescriber).post(
        url(signed, "chart_addendum"), {"reason": "Late note", "text": "Patient called: well."}, follow=True
    )
    body = response.content.decode()
    assert "Patient called: well." in body and "why: Late note" in body
    addendum = signed.addenda.get()
    assert addendum.author == prescriber


def test_an_addendum_is_refused_before_signing(client_for, nurse, started):
    response = client_for(nurse).post(
        url(started, "chart_addendum"), {"reason": "x", "text": "y"}, follow=True
    )
    assert "not signed yet" in response.content.decode()
    assert not started.addenda.exists()


def test_the_wrong_password_does_not_sign(client_for, nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, sign=False)
    response = client_for(nurse).post(url(session, "chart_sign"), {"password": "wrong password"})
    assert "Your password is not correct" in response.content.decode()
    session.refresh_from_db()
    assert session.nurse_signed_at is None


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@test.example", is_staff=True, is_superuser=True)


def test_admin_shows_a_signed_session_read_only(client, superuser, signed):
    client.force_login(superuser)
    change = reverse("admin:treatment_sessions_treatmentsession_change", args=[signed.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change, {"status": "charting"}).status_code == 403
    delete = reverse("admin:treatment_sessions_treatmentsession_delete", args=[signed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    signed.refresh_from_db()
    assert signed.is_locked


def test_the_session_record_pdf_downloads(client_for, nurse, signed):
    response = client_for(nurse).get(url(signed, "chart_record_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_rems_pdf_is_only_for_esketamine(client_for, nurse, signed):
    response = client_for(nurse).get(url(signed, "chart_rems_pdf"), follow=True)
    assert "for esketamine sessions only" in response.content.decode()


def test_administration_lists_only_vials_that_match_the_order(client_for, nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="ordered")
    stock_vial(nurse, lot="WRONG-CONC", concentration_mg_per_ml=Decimal("10"))
    page = client_for(nurse).get(url(session)).content.decode()
    assert "WRONG-CONC" not in page
