"""Intake, screening review, consent and the treatment gate through the views."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients.intake import save_section, sections_of
from patients.models import ConsentSignature, Patient, ScreeningDecision
from patients.review import may_treat, record_decision, screening_queue
from patients.screening import CONDITIONS
from testing.factories import consent_document, sign_consent_for

CLEAN_HISTORY = dict.fromkeys((key for key, _ in CONDITIONS), "no")
MEASUREMENTS = {
    "measured_on": "2026-11-01",
    "height_cm": 170,
    "weight_kg": 72,
    "bp_systolic": 124,
    "bp_diastolic": 78,
    "heart_rate": 70,
    "spo2": 98,
    "resp_rate": 14,
}


def post_section(client, url, fields=None, rows=None):
    """POST one section the way its form names fields (prefix "section", rows prefix "rows")."""
    data = {f"section-{key}": value for key, value in (fields or {}).items()}
    rows = rows or []
    data.update({"rows-TOTAL_FORMS": str(len(rows)), "rows-INITIAL_FORMS": "0"})
    for index, row in enumerate(rows):
        data.update({f"rows-{index}-{key}": value for key, value in row.items()})
    return client.post(url, data)


def complete_intake(patient, staff, **overrides):
    """Every section entered and verified, with nothing wrong unless overridden."""
    sections = {
        "medical_history": {**CLEAN_HISTORY, "details": ""},
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
        "measurements": MEASUREMENTS,
    }
    sections.update(overrides)
    for key, data in sections.items():
        section = save_section(patient, key, data, staff)
        section.verified_by, section.verified_at = staff, timezone.now()
        section.save()


@pytest.fixture
def screening_patient(patient_a):
    patient_a.status = Patient.Status.SCREENING
    patient_a.treatment_route = "iv"
    patient_a.sex_at_birth = "female"
    patient_a.save()
    return patient_a


def test_patient_fills_intake_step_by_step_and_can_resume(client_for, screening_patient):
    client = client_for(screening_patient.user)
    first = reverse("portal:intake_step", args=["medical_history"])
    response = post_section(client, first, {**CLEAN_HISTORY, "psychosis": "yes"})
    assert response["Location"] == reverse("portal:intake_step", args=["psychiatric_history"])
    overview = client.get(reverse("portal:intake")).content.decode()
    assert "1 of 7 forms done" in overview
    page = client.get(first).content.decode()
    assert len(re.findall(r'type="radio"[^>]*checked', page)) == len(CLEAN_HISTORY)
    stored = sections_of(screening_patient)["medical_history"]
    assert stored.data["psychosis"] == "yes"
    assert stored.entered_by == screening_patient.user and not stored.is_verified


def test_an_unanswered_checklist_item_is_refused_and_nothing_saved(client_for, screening_patient):
    client = client_for(screening_patient.user)
    fields = dict(CLEAN_HISTORY)
    fields.pop("aneurysm")
    response = post_section(client, reverse("portal:intake_step", args=["medical_history"]), fields)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert sections_of(screening_patient) == {}


def test_medicines_need_rows_or_a_tick_for_none(client_for, screening_patient):
    client = client_for(screening_patient.user)
    url = reverse("portal:intake_step", args=["medications"])
    response = post_section(client, url, {})
    assert "Add your medicines" in response.content.decode()
    response = post_section(
        client,
        url,
        {},
        rows=[{"name": "Lorazepam", "dose": "1 mg", "frequency": "night", "drug_class": "benzodiazepine"}],
    )
    assert response.status_code == 302
    assert sections_of(screening_patient)["medications"].data["rows"][0]["name"] == "Lorazepam"


def test_a_patient_cannot_fill_staff_sections_or_change_intake_once_active(client_for, screening_patient):
    client = client_for(screening_patient.user)
    assert client.get(reverse("portal:intake_step", args=["measurements"])).status_code == 404
    assert client.get(reverse("portal:intake_step", args=["nonsense"])).status_code == 404
    screening_patient.status = Patient.Status.ACTIVE
    screening_patient.save()
    response = post_section(client, reverse("portal:intake_step", args=["goals"]), {"goals": "x"})
    assert response["Location"] == reverse("portal:intake")
    assert "goals" not in sections_of(screening_patient)


def test_implausible_vitals_are_refused_with_a_message(client_for, nurse, screening_patient):
    url = reverse("patients:intake_section", args=[screening_patient.external_id, "measurements"])
    response = post_section(client_for(nurse), url, {**MEASUREMENTS, "bp_systolic": 400, "spo2": 30})
    page = response.content.decode()
    assert "less than or equal to 300" in page and "greater than or equal to 50" in page
    assert "measurements" not in sections_of(screening_patient)


def test_nurse_verifies_and_a_later_change_clears_the_verification(client_for, nurse, screening_patient):
    client = client_for(nurse)
    post_section(
        client,
        reverse("patients:intake_section", args=[screening_patient.external_id, "goals"]),
        {"goals": "Sleep better"},
    )
    client.post(reverse("patients:intake_verify", args=[screening_patient.external_id, "goals"]))
    section = sections_of(screening_patient)["goals"]
    assert section.verified_by == nurse
    post_section(
        client_for(screening_patient.user),
        reverse("portal:intake_step", args=["goals"]),
        {"goals": "Sleep and work"},
    )
    assert not sections_of(screening_patient)["goals"].is_verified


def test_findings_show_on_the_intake_for_staff_but_never_in_the_portal(
    client_for, nurse, prescriber, screening_patient
):
    complete_intake(
        screening_patient, nurse, medical_history={**CLEAN_HISTORY, "psychosis": "yes", "details": ""}
    )
    page = (
        client_for(nurse)
        .get(reverse("patients:intake", args=[screening_patient.external_id]))
        .content.decode()
    )
    assert "Absolute" in page and "psychotic" in page.lower()
    portal = client_for(screening_patient.user).get(reverse("portal:intake")).content.decode()
    assert "Absolute" not in portal and "contraindication" not in portal.lower()
    home = client_for(screening_patient.user).get(reverse("portal:home")).content.decode()
    assert "contraindication" not in home.lower()


def test_a_decision_needs_a_note_and_an_override_needs_a_reason(
    client_for, nurse, prescriber, screening_patient
):
    complete_intake(
        screening_patient, nurse, medical_history={**CLEAN_HISTORY, "aneurysm": "yes", "details": ""}
    )
    client = client_for(prescriber)
    url = reverse("patients:screening", args=[screening_patient.external_id])
    response = client.post(url, {"outcome": "approved", "note": ""})
    assert "Write a note" in response.content.decode()
    response = client.post(url, {"outcome": "approved", "note": "Benefits outweigh risks."})
    assert "override" in response.content.decode()
    assert not ScreeningDecision.objects.exists()
    response = client.post(
        url,
        {
            "outcome": "approved",
            "note": "Benefits outweigh risks.",
            "override_reason": "Small stable aneurysm; vascular surgeon agrees; BP limits lowered.",
        },
    )
    assert response.status_code == 302
    decision = ScreeningDecision.objects.get()
    assert decision.override_reason.startswith("Small stable")
    assert decision.signer_name == prescriber.get_full_name()
    assert any(f["code"] == "aneurysm" for f in decision.findings)
    screening_patient.refresh_from_db()
    assert screening_patient.status == Patient.Status.ACTIVE


def test_prescriber_cannot_sign_a_decision_with_an_outcome_clinic_does_not_know(
    client_for, nurse, prescriber, screening_patient
):
    complete_intake(screening_patient, nurse)
    client = client_for(prescriber)
    url = reverse("patients:screening", args=[screening_patient.external_id])
    for outcome in ("approved-ish", "", "APPROVED", "99999999999999999999999"):
        response = client.post(url, {"outcome": outcome, "note": "Looks fine."})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Choose one of the outcomes: “Approve”, “Approve with conditions”, “Decline”" in page
    assert not ScreeningDecision.objects.exists()
    with pytest.raises(ValueError, match="Choose one of the outcomes"):
        record_decision(
            screening_patient,
            outcome="approved-ish",
            note="Looks fine.",
            conditions="",
            override_reason="",
            prescriber=prescriber,
        )
    screening_patient.refresh_from_db()
    assert screening_patient.status == Patient.Status.SCREENING


def test_staff_still_open_a_patient_whose_stored_decision_has_an_unknown_outcome(
    client_for, staff_by_role, prescriber, screening_patient
):
    # Stored before record_decision checked the outcome: the pages show it instead of failing.
    ScreeningDecision.objects.create(
        patient=screening_patient,
        outcome="approved-ish",
        note="Stored by a tampered form.",
        signed_by=prescriber,
        signer_name="Dr Example",
    )
    for role, user in staff_by_role.items():
        for name in ("patients:detail", "patients:screening", "patients:timeline", "patients:intake"):
            response = client_for(user).get(reverse(name, args=[screening_patient.external_id]))
            assert response.status_code in (200, 403), f"{role} {name}: {response.status_code}"
    page = client_for(prescriber).get(reverse("patients:detail", args=[screening_patient.external_id]))
    assert "an unknown outcome (approved-ish)" in page.content.decode()
    assert not may_treat(screening_patient, "iv").allowed


def test_only_a_prescriber_signs_decisions(client_for, nurse, screening_patient):
    response = client_for(nurse).post(
        reverse("patients:screening", args=[screening_patient.external_id]),
        {"outcome": "approved", "note": "ok"},
    )
    assert response.status_code == 403
    assert not ScreeningDecision.objects.exists()


def test_a_signed_decision_cannot_be_edited_or_deleted(
    client_for, administrator, prescriber, nurse, screening_patient
):
    complete_intake(screening_patient, nurse)
    decision = record_decision(
        screening_patient,
        outcome="declined",
        note="Not now.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    decision.note = "Changed my mind"
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()
    admin = client_for(administrator)
    url = reverse("admin:patients_screeningdecision_change", args=[decision.pk])
    admin.post(url, {"note": "edited"})
    decision.refresh_from_db()
    assert decision.note == "Not now."
    later = record_decision(
        screening_patient,
        outcome="approved",
        note="Reviewed again.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    assert ScreeningDecision.objects.count() == 2
    assert screening_patient.screening_decisions.first() == later


def test_approval_with_conditions_needs_the_conditions(prescriber, nurse, screening_patient):
    from patients.review import DecisionError

    complete_intake(screening_patient, nurse)
    with pytest.raises(DecisionError, match="conditions"):
        record_decision(
            screening_patient,
            outcome="approved_with_conditions",
            note="ok",
            conditions="",
            override_reason="",
            prescriber=prescriber,
        )


def test_patient_signs_consent_in_the_portal_and_a_pdf_is_kept(client_for, screening_patient):
    consent_document("iv")
    client = client_for(screening_patient.user)
    url = reverse("portal:consent", args=["iv"])
    assert "Your right to stop" in client.get(url).content.decode()
    response = client.post(url, {"typed_name": "Someone Else", "confirm": "on"})
    assert "Type the patient" in response.content.decode()
    response = client.post(url, {"typed_name": screening_patient.full_name})
    assert "Tick the box" in response.content.decode()
    response = client.post(
        url,
        {"typed_name": f"  {screening_patient.full_name.upper()} ", "confirm": "on"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    signature = ConsentSignature.objects.get()
    assert signature.ip_address == "203.0.113.9" and not signature.on_clinic_tablet
    pdf = client.get(reverse("portal:consent_pdf", args=[signature.external_id]))
    assert pdf.content.startswith(b"%PDF")


def test_a_new_consent_version_makes_older_signatures_not_current(nurse, screening_patient):
    signature = sign_consent_for(screening_patient, "iv")
    assert signature.is_current
    consent_document("iv", version=2)
    assert not signature.is_current
    reasons = " ".join(may_treat(screening_patient, "iv").reasons)
    assert "signed on version 1; version 2 is current" in reasons


def test_a_published_consent_cannot_change(db):
    document = consent_document("iv")
    document.body = "Different text"
    with pytest.raises(ValidationError):
        document.save()


def test_the_gate_gives_every_reason_and_then_allows(nurse, prescriber, screening_patient):
    gate = may_treat(screening_patient, "iv")
    assert not gate.allowed
    text = " ".join(gate.reasons)
    assert "not Active" in text
    assert "No prescriber has reviewed" in text
    assert "No consent document for IV infusion is published" in text

    complete_intake(screening_patient, nurse)
    record_decision(
        screening_patient,
        outcome="approved",
        note="Suitable.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    consent_document("iv")
    assert may_treat(screening_patient, "iv").reasons == ["Consent for IV infusion has not been signed."]
    sign_consent_for(screening_patient, "iv")
    assert may_treat(screening_patient, "iv").allowed
    assert not may_treat(screening_patient, "intranasal").allowed  # consent is per route
    assert "No treatment route chosen." in may_treat(screening_patient, "").reasons


def test_the_gate_refuses_after_the_intake_changes_or_with_an_open_alert(
    nurse, prescriber, screening_patient
):
    from assessments.services import current_version_for, submit_response

    complete_intake(screening_patient, nurse)
    record_decision(
        screening_patient,
        outcome="approved",
        note="Suitable.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    sign_consent_for(screening_patient, "iv")
    save_section(
        screening_patient,
        "medications",
        {
            "no_medications": False,
            "rows": [{"name": "Phenelzine", "dose": "15 mg", "frequency": "tid", "drug_class": "maoi"}],
        },
        nurse,
    )
    assert "changed after the approval (Current medicines)" in " ".join(
        may_treat(screening_patient, "iv").reasons
    )

    record_decision(
        screening_patient,
        outcome="approved",
        note="MAOI noted.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    raw = {str(n): 0 for n in range(1, 9)} | {"9": 1, "10": 0}
    submit_response(
        patient=screening_patient,
        version=current_version_for("PHQ-9"),
        raw=raw,
        entered_by=nurse,
        mode="clinic",
    )
    (reason,) = may_treat(screening_patient, "iv").reasons
    assert reason.startswith("Questionnaire alert not yet acknowledged: PHQ-9 item 9")
    alert = screening_patient.risk_alerts.get()
    assert may_treat(screening_patient, "iv").blockers[0].key == f"alert:risk:{alert.pk}"
    assert may_treat(screening_patient, "iv").blockers[0].url.endswith("/measures/")


def test_the_patient_page_shows_the_gate(client_for, nurse, screening_patient):
    page = (
        client_for(nurse)
        .get(reverse("patients:detail", args=[screening_patient.external_id]))
        .content.decode()
    )
    assert "May be treated today?" in page
    assert "No prescriber has reviewed the screening." in page


def test_the_work_queue_says_what_each_patient_waits_for(
    client_for, nurse, prescriber, screening_patient, patient_b
):
    patient_b.status = Patient.Status.SCREENING
    patient_b.treatment_route = "iv"
    patient_b.save()
    complete_intake(patient_b, nurse)
    consent_document("iv")
    waiting = {entry.patient.pk: [kind for kind, _ in entry.waiting_for] for entry in screening_queue()}
    assert waiting[screening_patient.pk] == ["patient", "staff", "consent"]
    assert waiting[patient_b.pk] == ["prescriber", "consent"]
    page = client_for(nurse).get(reverse("patients:queue")).content.decode()
    assert "Prescriber review" in page and "Patient forms" in page


def test_nurse_takes_consent_on_a_clinic_tablet(client_for, nurse, screening_patient):
    consent_document("iv")
    client = client_for(nurse)
    url = reverse("patients:consent_tablet", args=[screening_patient.external_id, "iv"])
    detail = reverse("patients:detail", args=[screening_patient.external_id])
    assert "Sign consent on this tablet" in client.get(detail).content.decode()
    assert "hand the tablet" in client.get(url).content.decode()
    client.post(url, {"typed_name": screening_patient.full_name, "confirm": "on"})
    signature = ConsentSignature.objects.get()
    assert signature.on_clinic_tablet and signature.signed_in_as == nurse
    assert "Sign consent on this tablet" not in client.get(detail).content.decode()


def test_intake_changes_are_kept_in_history(nurse, screening_patient):
    save_section(screening_patient, "goals", {"goals": "One"}, nurse)
    save_section(screening_patient, "goals", {"goals": "Two"}, nurse)
    assert [
        h.data["goals"] for h in sections_of(screening_patient)["goals"].history.order_by("history_date")
    ] == ["One", "Two"]


def test_adequate_trials_make_treatment_resistance_visible(client_for, nurse, screening_patient):
    trials = [
        {
            "kind": "antidepressant",
            "name": "sertraline",
            "dose": "150 mg",
            "duration_weeks": 10,
            "outcome": "none",
            "adequate": True,
        },
        {
            "kind": "antidepressant",
            "name": "venlafaxine",
            "dose": "225 mg",
            "duration_weeks": 8,
            "outcome": "partial",
            "adequate": None,
        },
    ]
    save_section(screening_patient, "psychiatric_history", {"rows": trials}, nurse)
    page = (
        client_for(nurse)
        .get(reverse("patients:intake", args=[screening_patient.external_id]))
        .content.decode()
    )
    assert "Treatment-resistant" in page


def test_an_unsigned_decision_view_is_never_an_edit_form(client_for, prescriber, nurse, screening_patient):
    complete_intake(screening_patient, nurse)
    record_decision(
        screening_patient,
        outcome="declined",
        note="No.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    page = (
        client_for(prescriber)
        .get(reverse("patients:screening", args=[screening_patient.external_id]))
        .content.decode()
    )
    assert "A signed decision cannot be changed" in page
    assert (timezone.now() - ScreeningDecision.objects.get().signed_at) < timedelta(minutes=1)


def test_blank_list_rows_are_not_stored(client_for, screening_patient):
    client = client_for(screening_patient.user)
    untouched = {
        "kind": "",
        "name": "",
        "dose": "",
        "duration_weeks": "",
        "outcome": "unknown",
        "adequate": "",
    }
    filled = {
        **untouched,
        "kind": "antidepressant",
        "name": "sertraline",
        "duration_weeks": "12",
        "outcome": "none",
    }
    post_section(
        client,
        reverse("portal:intake_step", args=["psychiatric_history"]),
        rows=[filled, untouched, untouched],
    )
    rows = sections_of(screening_patient)["psychiatric_history"].data["rows"]
    assert [row["name"] for row in rows] == ["sertraline"]


def test_a_blank_list_row_with_a_choice_clinic_does_not_know_is_refused_not_dropped(
    client_for, screening_patient
):
    client = client_for(screening_patient.user)
    tampered = {
        "kind": "",
        "name": "",
        "dose": "",
        "duration_weeks": "",
        "outcome": "unknown",
        "adequate": "maybe",
    }
    response = post_section(
        client, reverse("portal:intake_step", args=["psychiatric_history"]), rows=[tampered]
    )
    assert response.status_code == 200
    assert "Select a valid choice. maybe is not one of the available choices." in response.content.decode()
    assert "psychiatric_history" not in sections_of(screening_patient)
