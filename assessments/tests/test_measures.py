"""Measurement-based care through the views, as staff and patients use it."""

import html
import json
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.forms import field_name
from assessments.models import AssessmentResponse, Instrument, QuestionnaireAssignment, RiskAlert
from assessments.outcomes import clinic_outcomes, patient_courses
from assessments.services import assign, current_version_for, submit_response
from conftest import require_service
from testing.factories import PatientFactory


def phq9(*values, difficulty=None):
    """Form data for a PHQ-9: nine item values, and item 10 when given."""
    data = {field_name(str(number)): str(value) for number, value in enumerate(values, start=1)}
    if difficulty is not None:
        data[field_name("10")] = str(difficulty)
    return data


@pytest.fixture
def phq9_version(db):
    return current_version_for("PHQ-9")


@pytest.fixture
def assignment(patient_a, nurse, phq9_version):
    return assign(
        patient_a,
        phq9_version,
        due_date=timezone.localdate() + timedelta(days=2),
        purpose="Baseline",
        by=nurse,
    )


def checked_in(page):
    return len(re.findall(r'type="radio"[^>]*checked', page))


def portal_url(name, assignment):
    return reverse(f"portal:{name}", args=[assignment.external_id])


def test_shipped_instruments_are_loaded(db):
    assert set(Instrument.objects.values_list("code", flat=True)) == {
        "PHQ-9",
        "GAD-7",
        "PCL-5",
        "QIDS-SR16",
        "CADSS",
    }


def test_patient_sees_pending_questionnaires_on_portal_home(client_for, patient_a, assignment):
    page = client_for(patient_a.user).get(reverse("portal:home")).content.decode()
    assert "Patient Health Questionnaire" in page
    assert portal_url("questionnaire", assignment) in page


def test_patient_completes_a_phq9_and_the_score_is_stored(client_for, patient_a, assignment):
    client = client_for(patient_a.user)
    response = client.post(
        portal_url("questionnaire", assignment), phq9(2, 2, 1, 1, 0, 1, 1, 0, 0, difficulty=1)
    )
    assert response["Location"] == portal_url("questionnaire_done", assignment)
    stored = AssessmentResponse.objects.get()
    assert (stored.total, stored.band, stored.mode) == (8, "Mild", "portal")
    assert stored.answers["10"] == 1
    assignment.refresh_from_db()
    assert assignment.status == "completed"
    done = client.get(response["Location"]).content.decode()
    assert "not watched in real time" in done
    assert "988" in done and "911" in done
    assert not RiskAlert.objects.exists()


def test_a_missing_answer_is_marked_and_nothing_is_stored_but_answers_are_kept(
    client_for, patient_a, assignment
):
    client = client_for(patient_a.user)
    data = phq9(1, 1, 1, 1, 1, 1, 1, 1)  # item 9 left out, and item 10 is due since the total > 0
    response = client.post(portal_url("questionnaire", assignment), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Answer this question") == 2
    assert not AssessmentResponse.objects.exists()
    reopened = client.get(portal_url("questionnaire", assignment)).content.decode()
    assert checked_in(reopened) == 8


def test_answers_are_kept_when_the_page_is_left_half_way(client_for, patient_a, assignment):
    client = client_for(patient_a.user)
    saved = client.post(portal_url("questionnaire_draft", assignment), phq9(3, 2, 1))
    assert saved.status_code == 200
    assert "3 of 10 answered" in saved.content.decode()  # the total is above 0: item 10 is asked
    assignment.refresh_from_db()
    assert assignment.draft == {"1": "3", "2": "2", "3": "1"}
    page = client.get(portal_url("questionnaire", assignment)).content.decode()
    assert checked_in(page) == 3
    assert "3 of 10 answered" in page


def test_an_answer_that_is_not_a_choice_keeps_no_draft_and_submits_nothing(client_for, patient_a, assignment):
    client = client_for(patient_a.user)
    client.post(portal_url("questionnaire_draft", assignment), phq9(3, 2, 1))
    tampered = {**phq9(3, 2, 0, 0, 0, 0, 0, 0, 0, difficulty=1), field_name("3"): "7"}
    draft = client.post(
        portal_url("questionnaire_draft", assignment), tampered, headers={"HX-Request": "true"}
    )
    assert draft.status_code == 400 and draft["Content-Type"].startswith("text/plain")
    assert "nothing was saved" in draft.content.decode()
    page = client.post(portal_url("questionnaire", assignment), tampered)
    assert page.status_code == 200
    assert "Choose one of the listed answers." in page.content.decode()
    assignment.refresh_from_db()
    assert assignment.draft == {"1": "3", "2": "2", "3": "1"}
    assert not AssessmentResponse.objects.exists()


def test_item_9_raises_exactly_one_alert_also_on_a_double_submit(client_for, patient_a, assignment):
    client = client_for(patient_a.user)
    data = phq9(1, 1, 0, 0, 0, 0, 0, 0, 1, difficulty=0)
    first = client.post(portal_url("questionnaire", assignment), data)
    second = client.post(portal_url("questionnaire", assignment), data)
    assert first["Location"] == second["Location"] == portal_url("questionnaire_done", assignment)
    assert AssessmentResponse.objects.count() == 1
    alert = RiskAlert.objects.get()
    assert alert.is_risk and alert.patient == patient_a
    assert "not watched in real time" in client.get(first["Location"]).content.decode()


def test_the_service_refuses_a_second_submission_of_the_same_assignment(patient_a, assignment):
    from assessments.services import AlreadySubmitted

    raw = {str(n): 1 for n in range(1, 10)} | {"10": 0}
    first = submit_response(
        patient=patient_a,
        version=assignment.version,
        raw=raw,
        entered_by=patient_a.user,
        mode="portal",
        assignment=assignment,
    )
    with pytest.raises(AlreadySubmitted) as already:
        submit_response(
            patient=patient_a,
            version=assignment.version,
            raw=raw,
            entered_by=patient_a.user,
            mode="portal",
            assignment=assignment,
        )
    assert already.value.response == first
    assert RiskAlert.objects.count() == 1


def test_the_alert_shows_on_the_chart_and_list_until_acknowledged_with_a_note(
    client_for, nurse, patient_a, assignment
):
    client_for(patient_a.user).post(
        portal_url("questionnaire", assignment), phq9(0, 0, 0, 0, 0, 0, 0, 0, 2, difficulty=0)
    )
    alert = RiskAlert.objects.get()
    client = client_for(nurse)
    chart = client.get(reverse("patients:detail", args=[patient_a.external_id])).content.decode()
    assert html.escape(alert.message) in chart
    assert html.escape(alert.message) in client.get(reverse("assessments:alerts")).content.decode()
    ack = reverse("assessments:acknowledge", args=[patient_a.external_id, alert.external_id])

    client.post(ack, {"note": "   "})
    alert.refresh_from_db()
    assert alert.is_open

    client.post(ack, {"note": "Called; safety plan reviewed; no intent. Seen Friday."})
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.is_open) == (nurse, False)
    assert (
        html.escape(alert.message)
        not in client.get(reverse("patients:detail", args=[patient_a.external_id])).content.decode()
    )
    detail = reverse("assessments:response", args=[patient_a.external_id, alert.response.external_id])
    assert "safety plan reviewed" in client.get(detail).content.decode()


def test_front_desk_cannot_see_scores_or_alerts(client_for, front_desk, patient_a):
    client = client_for(front_desk)
    assert client.get(reverse("assessments:measures", args=[patient_a.external_id])).status_code == 403
    assert client.get(reverse("assessments:alerts")).status_code == 403


def test_a_patient_cannot_open_another_patients_questionnaire(client_for, patient_b, assignment):
    client = client_for(patient_b.user)
    for name in ("questionnaire", "questionnaire_draft", "questionnaire_done"):
        assert client.get(portal_url(name, assignment)).status_code in (404, 405)
        assert client.post(portal_url(name, assignment), phq9(0, 0, 0, 0, 0, 0, 0, 0, 0)).status_code == 404
    assert not AssessmentResponse.objects.exists()


def test_a_withdrawn_questionnaire_cannot_be_submitted(client_for, nurse, patient_a, assignment):
    client_for(nurse).post(
        reverse("assessments:cancel_assignment", args=[patient_a.external_id, assignment.external_id])
    )
    response = client_for(patient_a.user).post(
        portal_url("questionnaire", assignment), phq9(0, 0, 0, 0, 0, 0, 0, 0, 0)
    )
    assert response["Location"] == reverse("portal:home")
    assert not AssessmentResponse.objects.exists()


def test_nurse_assigns_a_questionnaire_to_the_portal(client_for, nurse, patient_a):
    due = timezone.localdate() + timedelta(days=5)
    client_for(nurse).post(
        reverse("assessments:assign", args=[patient_a.external_id]),
        {"instrument": "GAD-7", "due_date": due.isoformat(), "purpose": "Week 2"},
    )
    assignment = QuestionnaireAssignment.objects.get()
    assert (assignment.version.instrument.code, assignment.due_date, assignment.purpose) == (
        "GAD-7",
        due,
        "Week 2",
    )


def test_a_due_date_in_the_past_is_refused_with_a_message(client_for, nurse, patient_a):
    response = client_for(nurse).post(
        reverse("assessments:assign", args=[patient_a.external_id]),
        {"instrument": "GAD-7", "due_date": "2001-01-01"},
        follow=True,
    )
    assert "cannot be in the past" in response.content.decode()
    assert not QuestionnaireAssignment.objects.exists()


def test_nurse_gives_a_phq9_at_the_clinic_and_a_resubmitted_form_saves_once(client_for, nurse, patient_a):
    client = client_for(nurse)
    url = reverse("assessments:give", args=[patient_a.external_id, "PHQ-9"])
    key = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    data = {**phq9(3, 3, 3, 3, 3, 2, 2, 2, 0, difficulty=2), "submission_key": key, "is_baseline": "on"}
    client.post(url, data)
    client.post(url, data)
    stored = AssessmentResponse.objects.get()
    assert (stored.total, stored.band, stored.is_baseline, stored.mode) == (21, "Severe", True, "clinic")


def test_an_empty_form_given_at_the_clinic_names_what_is_missing_for_every_instrument(
    client_for, nurse, patient_a
):
    client = client_for(nurse)
    codes = list(Instrument.objects.filter(is_active=True).values_list("code", flat=True))
    assert len(codes) >= 5
    for code in codes:
        response = client.post(reverse("assessments:give", args=[patient_a.external_id, code]), {})
        assert response.status_code == 200, code
        page = response.content.decode()
        assert "Answer this question." in page or "Enter the total score." in page, code
    assert not AssessmentResponse.objects.exists()


def test_nurse_enters_cadss_totals(client_for, nurse, patient_a):
    client = client_for(nurse)
    url = reverse("assessments:give", args=[patient_a.external_id, "CADSS"])
    bad = client.post(
        url, {field_name("total"): "", "submission_key": "2b4e28ba-2fa1-11d2-883f-0016d3cca427"}
    )
    assert bad.status_code == 200
    assert not AssessmentResponse.objects.exists()
    client.post(url, {field_name("total"): "14", "submission_key": "3b4e28ba-2fa1-11d2-883f-0016d3cca427"})
    assert AssessmentResponse.objects.get().total == 14


def test_an_edited_instrument_leaves_old_scores_alone(
    client_for, administrator, patient_a, phq9_version, nurse
):
    raw = {str(n): 1 for n in range(1, 10)} | {"10": 0}
    old = submit_response(patient=patient_a, version=phq9_version, raw=raw, entered_by=nurse, mode="clinic")
    assert (old.total, old.band) == (9, "Mild")

    definition = json.loads(json.dumps(phq9_version.definition))
    definition["bands"] = [
        {"min": 0, "max": 9, "label": "Low"},
        {"min": 10, "max": 27, "label": "High"},
    ]
    instrument = phq9_version.instrument
    response = client_for(administrator).post(
        reverse("admin:assessments_instrument_change", args=[instrument.pk]),
        {"name": instrument.name, "is_active": "on", "definition_text": json.dumps(definition)},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    new_version = instrument.current_version
    assert new_version.pk != phq9_version.pk and new_version.source == "local"

    old.refresh_from_db()
    assert (old.total, old.band, old.version_id) == (9, "Mild", phq9_version.pk)
    again = submit_response(patient=patient_a, version=new_version, raw=raw, entered_by=nurse, mode="clinic")
    assert again.band == "Low"
    phq9_version.refresh_from_db()
    assert phq9_version.definition["bands"][0]["label"] == "Minimal"


def test_a_broken_definition_is_refused_in_admin(client_for, administrator, phq9_version):
    instrument = phq9_version.instrument
    response = client_for(administrator).post(
        reverse("admin:assessments_instrument_change", args=[instrument.pk]),
        {"name": instrument.name, "is_active": "on", "definition_text": "{not json"},
    )
    assert response.status_code == 200
    assert "Not valid JSON" in response.content.decode()
    assert instrument.versions.count() == 1


def _course(patient, nurse, totals, code="PHQ-9", start=date(2026, 3, 2)):
    """Responses whose totals are `totals`, a week apart, built from item values."""
    from demo.management.commands.seed_demo import answers_totalling

    version = current_version_for(code)
    for week, total in enumerate(totals):
        raw = answers_totalling(version.definition, total)
        response = submit_response(patient=patient, version=version, raw=raw, entered_by=nurse, mode="clinic")
        moment = timezone.make_aware(
            timezone.datetime.combine(start + timedelta(weeks=week), timezone.datetime.min.time())
        )
        response.completed_at = moment
        response.save(update_fields=["completed_at"])


def test_outcomes_show_change_response_and_remission(client_for, nurse, patient_a):
    _course(patient_a, nurse, [20, 12, 4])
    (course,) = patient_courses(patient_a)
    assert (course.baseline.total, course.latest.total) == (20, 4)
    assert course.change == {"points": -16, "percent": -80.0}
    assert course.responded is True and course.remitted is True
    page = (
        client_for(nurse).get(reverse("assessments:measures", args=[patient_a.external_id])).content.decode()
    )
    assert "<svg" in page
    assert "Response ≥ 50 % fall" in page and "Remission" in page
    assert "Baseline 20 → latest 4" in page


def test_clinic_outcomes_count_patients_with_enough_follow_ups(client_for, nurse, patient_a, patient_b):
    patient_a.treatment_route = "iv"
    patient_a.save()
    _course(patient_a, nurse, [20, 12, 4])  # responded and remitted
    _course(patient_b, nurse, [18, 15, 12])  # neither
    _course(PatientFactory(), nurse, [22])  # baseline only: not counted
    rows = {(row.instrument, row.route): row for row in clinic_outcomes(2)}
    everyone = rows[("PHQ-9", "All routes")]
    assert (everyone.patients, everyone.responded, everyone.remitted) == (2, 1, 1)
    assert rows[("PHQ-9", "IV infusion")].patients == 1
    assert clinic_outcomes(3) == []
    page = client_for(nurse).get(reverse("assessments:outcomes")).content.decode()
    assert "IV infusion" in page and "1 (50 %)" in page


def test_the_progress_report_pdf_holds_the_scores(client_for, nurse, patient_a):
    _course(patient_a, nurse, [20, 12, 4])
    response = client_for(nurse).get(reverse("assessments:report", args=[patient_a.external_id]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    require_service(shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert patient_a.legal_family_name in text
    assert "PHQ-9" in text
    assert "Baseline 20" in text and "latest 4" in text
    assert "Page 1 of" in text
    assert "Clinic · Progress report" in text
    assert nurse.get_full_name() in text


def test_pages_listing_many_patients_use_a_fixed_number_of_queries(
    client_for, nurse, django_assert_max_num_queries
):
    patients = PatientFactory.create_batch(6)
    for patient in patients:
        _course(patient, nurse, [20, 10, 9])
        _course(patient, nurse, [12, 6], code="GAD-7")
    client = client_for(nurse)
    client.get(reverse("assessments:alerts"))  # session, settings row: made once
    client.get(reverse("assessments:outcomes"))  # and the assessment settings row
    # About a dozen queries belong to every page (session, user, roles, settings, alert count);
    # a query per patient or per response would add 6 or 30 more.
    with django_assert_max_num_queries(14):
        assert client.get(reverse("assessments:alerts")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("assessments:outcomes")).status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(reverse("assessments:measures", args=[patients[0].external_id])).status_code == 200


def test_a_refused_assignment_says_what_is_wrong_in_plain_words(client_for, nurse, patient_a):
    response = client_for(nurse).post(
        reverse("assessments:assign", args=[patient_a.external_id]), {"purpose": "x"}, follow=True
    )
    text = response.content.decode()
    assert "Not sent to the portal." in text and "None" not in text.split("Not sent to the portal.")[1][:200]
