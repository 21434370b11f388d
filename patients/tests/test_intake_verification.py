"""Verifying intake sections: several at once, and a section verified by whoever entered it flagged to
the prescriber (or refused, as a clinic setting). The prescriber's review shows open alerts."""

import pytest
from django.urls import reverse

from assessments.services import current_version_for, submit_response
from patients.intake import save_section, sections_of
from patients.models import Patient, PatientSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening_patient(patient_a):
    patient_a.status = Patient.Status.SCREENING
    patient_a.treatment_route = "iv"
    patient_a.save()
    return patient_a


@pytest.fixture
def entered(screening_patient, nurse, front_desk):
    """Goals entered by the nurse, referral by the front desk."""
    save_section(screening_patient, "goals", {"goals": "Sleep better"}, nurse)
    save_section(
        screening_patient,
        "referral",
        {"source": "self", "referring_clinician": "", "referring_contact": "", "reason": ""},
        front_desk,
    )
    return screening_patient


def test_the_nurse_verifies_several_sections_in_one_step_and_her_own_is_flagged(
    client_for, nurse, prescriber, entered
):
    client = client_for(nurse)
    page = client.get(reverse("patients:intake", args=[entered.external_id])).content.decode()
    assert "Verify your goals (you entered it)" in page and "Verify the ticked sections" in page
    response = client.post(
        reverse("patients:intake_verify_many", args=[entered.external_id]),
        {"keys": ["goals", "referral"]},
        follow=True,
    )
    text = response.content.decode()
    assert "Verified: Your goals, Referral." in text
    assert (
        "You entered these yourself (Your goals): the prescriber sees that no second person checked them."
        in text
    )
    sections = sections_of(entered)
    assert sections["goals"].self_verified and not sections["referral"].self_verified
    review = (
        client_for(prescriber).get(reverse("patients:screening", args=[entered.external_id])).content.decode()
    )
    assert "Verified by the same person who entered it (no second check): Your goals." in review


def test_with_the_clinic_setting_a_nurse_cannot_verify_her_own_entry(client_for, nurse, entered):
    settings = PatientSettings.load()
    settings.intake_self_verification = "refuse"
    settings.save()
    response = client_for(nurse).post(
        reverse("patients:intake_verify_many", args=[entered.external_id]),
        {"keys": ["goals", "referral"]},
        follow=True,
    )
    text = response.content.decode()
    assert "Verified: Referral." in text
    assert (
        "Not verified. Your goals: you entered it, so another staff member verifies it (clinic setting)."
        in text
    )
    assert not sections_of(entered)["goals"].is_verified


def test_nothing_ticked_verifies_nothing_and_says_so(client_for, nurse, entered):
    response = client_for(nurse).post(
        reverse("patients:intake_verify_many", args=[entered.external_id]), {}, follow=True
    )
    assert "Tick the sections to verify: nothing was verified." in response.content.decode()
    assert not any(s.is_verified for s in sections_of(entered).values())


def test_the_screening_review_shows_an_open_item_9_alert(client_for, nurse, prescriber, screening_patient):
    raw = {str(n): 0 for n in range(1, 9)} | {"9": 1, "10": 0}
    submit_response(
        patient=screening_patient,
        version=current_version_for("PHQ-9"),
        raw=raw,
        entered_by=nurse,
        mode="clinic",
    )
    page = (
        client_for(prescriber)
        .get(reverse("patients:screening", args=[screening_patient.external_id]))
        .content.decode()
    )
    assert 'id="review-open-alerts"' in page and "PHQ-9 item 9" in page
