"""A NUL byte anywhere in what a browser sends is refused with a clear 400 before any view runs.

PostgreSQL text cannot hold NUL: without this, each of these requests was a server error (issue 15).
The fuzz test (test_fuzz.py) sends one to every form; these name the cases that broke.
"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinic.middleware import NUL_REFUSED
from patients.models import ScreeningDecision
from sessions.models import Appointment
from testing.factories import book_visit

NUL = "Smith\x00"


def assert_refused(response):
    assert response.status_code == 400
    page = response.content.decode()
    assert "The form contained a character Clinic cannot store (NUL)" in page
    assert "nothing was saved" in page
    return page


def test_front_desk_searching_with_a_nul_byte_is_told_so(client_for, front_desk, patient_a):
    client = client_for(front_desk)
    assert_refused(client.get(reverse("patients:list"), {"q": NUL}))
    assert_refused(client.post(reverse("patients:list"), {"q": NUL}))
    assert_refused(client.get(reverse("sessions:calendar"), {"q": NUL, "date": "2026-01-01"}))


def test_patient_changing_an_appointment_with_a_nul_byte_changes_nothing(client_for, patient_a, nurse):
    appointment = book_visit(patient_a, nurse, days_ahead=6)
    url = reverse("portal:appointment_change", args=[appointment.external_id])
    page = assert_refused(client_for(patient_a.user).post(url, {"action": "cancel", "note": NUL}))
    assert "Go back" in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED and not appointment.reschedule_requested_at


def test_staff_cancelling_with_a_nul_byte_in_the_reason_cancel_nothing(
    client_for, front_desk, nurse, patient_a
):
    appointment = book_visit(patient_a, nurse, days_ahead=6)
    url = reverse("sessions:appointment_cancel", args=[patient_a.external_id, appointment.external_id])
    assert_refused(client_for(front_desk).post(url, {"reason": NUL}))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED


def test_prescriber_signing_a_decision_with_a_nul_byte_signs_nothing(client_for, prescriber, patient_a):
    url = reverse("patients:screening", args=[patient_a.external_id])
    assert_refused(client_for(prescriber).post(url, {"outcome": "declined", "note": NUL}))
    # In a field's name too, and in the address.
    assert_refused(client_for(prescriber).post(url, {"outcome": "declined", "note": "No.", "x\x00": "1"}))
    assert_refused(client_for(prescriber).get(url + "%00/"))
    assert not ScreeningDecision.objects.exists()


def test_an_htmx_request_with_a_nul_byte_gets_the_reason_as_short_text(client_for, therapist, patient_a):
    response = client_for(therapist).post(
        reverse("patients:screening", args=[patient_a.external_id]),
        {"note": NUL},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith(NUL_REFUSED) and len(text) < 300  # static/js/unsaved.js shows it in the form


def test_a_file_holding_nul_bytes_is_not_refused(client_for, nurse):
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\x00\x00binary", content_type="application/pdf")
    response = client_for(nurse).post(reverse("keepalive"), {"note": "scan", "file": upload})
    assert response.status_code == 204
