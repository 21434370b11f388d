"""Front desk and screening (issue 15, item 8): the front desk enters intake and follows the screening
queue, and sees a decision's outcome where booking needs it (the patient page's "May be treated
today?"), but does not open the prescriber's screening review: its findings, risk alerts and decision
notes are clinical reasoning beyond what registration and scheduling need (HIPAA minimum necessary,
45 CFR 164.502(b)). clinic/roles.py gives the front desk no VIEW_SCREENING; no page links it there."""

from django.urls import reverse

from clinic import roles
from patients.models import Patient
from patients.review import record_decision


def screening(patient):
    patient.status = Patient.Status.SCREENING
    patient.treatment_route = "iv"
    patient.save()
    return patient


def test_front_desk_can_enter_intake_and_follow_the_screening_queue(client_for, front_desk, patient_a):
    client = client_for(front_desk)
    screening(patient_a)
    assert client.get(reverse("patients:queue")).status_code == 200
    assert client.get(reverse("patients:intake", args=[patient_a.external_id])).status_code == 200
    assert front_desk.has_perm(roles.CHANGE_INTAKE) and not front_desk.has_perm(roles.DECIDE_SCREENING)


def test_front_desk_cannot_open_the_screening_review_and_no_page_links_it_there(
    client_for, front_desk, patient_a
):
    client = client_for(front_desk)
    screening(patient_a)
    review = reverse("patients:screening", args=[patient_a.external_id])
    assert client.get(review).status_code == 403
    for page in ("patients:intake", "patients:detail"):
        assert review not in client.get(reverse(page, args=[patient_a.external_id])).content.decode()
    assert review not in client.get(reverse("patients:queue")).content.decode()


def test_nurse_reaches_the_screening_review_from_the_intake(client_for, nurse, patient_a):
    screening(patient_a)
    review = reverse("patients:screening", args=[patient_a.external_id])
    assert (
        review
        in client_for(nurse).get(reverse("patients:intake", args=[patient_a.external_id])).content.decode()
    )
    assert client_for(nurse).get(review).status_code == 200


def test_front_desk_sees_the_decision_s_outcome_on_the_patient_page(
    client_for, front_desk, prescriber, patient_a
):
    screening(patient_a)
    record_decision(
        patient_a,
        outcome="declined",
        note="Uncontrolled hypertension at review.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    page = (
        client_for(front_desk).get(reverse("patients:detail", args=[patient_a.external_id])).content.decode()
    )
    assert "Screening: declined by" in page
    assert "Uncontrolled hypertension" not in page  # the prescriber's reasoning stays in the review
