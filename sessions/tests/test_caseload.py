"""The caseload page: a therapist's or prescriber's patients, what is due and what is open."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentResponse, RiskAlert
from assessments.scoring import shipped_definitions
from assessments.services import current_version_for
from sessions.integration.caseload import (
    IMPROVED,
    SAME,
    WORSE,
    build_caseload,
    direction_of_change,
    lower_is_better,
)
from sessions.models import Appointment, IntegrationNote, SessionAlert, TreatmentSession
from testing.factories import PatientFactory, past_visit, treatment_plan

URL = reverse("integration:caseload")


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def visit(patient, clinician, start, *, kind="consultation", status=Appointment.Status.COMPLETED):
    return past_visit(
        patient, clinician, start, kind=kind, status=status, name="IV infusion" if kind == "iv" else None
    )


def session_for(patient, nurse, *, ordered_by=None, start=None):
    start = start or ago(days=3)
    return TreatmentSession.objects.create(
        appointment=visit(patient, nurse, start, kind="iv"),
        patient=patient,
        route="iv",
        started_by=nurse,
        started_at=start,
        ordered_by=ordered_by,
        ordered_at=start if ordered_by else None,
        status=TreatmentSession.Status.DISCHARGED,
        discharged_at=start + timedelta(hours=2),
    )


def note(patient, author, *, created_at=None, signed=False):
    created_at = created_at or ago(hours=1)
    return IntegrationNote.objects.create(
        patient=patient,
        author=author,
        created_at=created_at,
        status=IntegrationNote.Status.SIGNED if signed else IntegrationNote.Status.DRAFT,
        signed_at=created_at if signed else None,
        signed_by=author if signed else None,
    )


def score(patient, by, code, total, at, band=""):
    return AssessmentResponse.objects.create(
        patient=patient,
        version=current_version_for(code),
        mode="clinic",
        answers={},
        total=total,
        band=band,
        completed_at=at,
        entered_by=by,
    )


def risk_alert(patient, by, response=None):
    response = response or score(patient, by, "PHQ-9", 20, ago(days=1), band="Severe")
    return RiskAlert.objects.create(
        patient=patient, response=response, rule="item9", message="Item 9 above 0"
    )


def names(rows):
    return [row.patient.legal_family_name for row in rows]


@pytest.fixture
def clinic(therapist, prescriber, nurse, db):
    """Patients related to the therapist and the prescriber in each way that counts, and some that don't."""
    made = {
        name: PatientFactory(legal_family_name=name, legal_given_name="Pat")
        for name in (
            "Noted",
            "Upcoming",
            "Stale",
            "Cancelled",
            "OldDraft",
            "Planned",
            "Ordered",
            "Signed",
            "Seen",
            "Nobody",
        )
    }
    note(made["Noted"], therapist, created_at=ago(days=20), signed=True)
    visit(made["Upcoming"], therapist, ago(days=-3), kind="integration", status=Appointment.Status.SCHEDULED)
    visit(made["Stale"], therapist, ago(days=200), kind="integration")
    note(made["Stale"], therapist, created_at=ago(days=199), signed=True)
    visit(made["Cancelled"], therapist, ago(days=-5), status=Appointment.Status.CANCELLED)
    note(made["OldDraft"], therapist, created_at=ago(days=300))
    treatment_plan(made["Planned"], prescriber)
    session_for(made["Ordered"], nurse, ordered_by=prescriber, start=ago(days=3))
    signed = session_for(made["Signed"], nurse, start=ago(days=4))
    TreatmentSession.objects.filter(pk=signed.pk).update(prescriber_signed_by=prescriber)
    visit(made["Seen"], prescriber, ago(days=10))
    session_for(made["Nobody"], nurse, start=ago(days=5))
    return made


def test_therapist_can_see_patients_they_saw_will_see_or_wrote_notes_for(clinic, therapist):
    assert names(build_caseload(therapist)) == ["OldDraft", "Noted", "Upcoming"]


def test_prescriber_can_see_patients_they_saw_prescribed_for_ordered_or_signed(clinic, prescriber):
    assert names(build_caseload(prescriber)) == ["Ordered", "Planned", "Seen", "Signed"]


def test_nurse_cannot_open_a_caseload(client_for, nurse):
    assert client_for(nurse).get(URL).status_code == 403


def test_front_desk_cannot_open_a_caseload(client_for, front_desk):
    assert client_for(front_desk).get(URL).status_code == 403


def test_patient_a_cannot_open_a_caseload(client_for, patient_a):
    assert client_for(patient_a.user).get(URL).status_code == 403


def test_therapist_can_see_a_friendly_empty_caseload(client_for, therapist):
    page = client_for(therapist).get(URL).content.decode()
    assert "No patients on your caseload yet." in page


def test_therapist_can_reach_the_caseload_from_the_menu(client_for, therapist, nurse):
    assert URL in client_for(therapist).get(reverse("patients:list")).content.decode()
    assert URL not in client_for(nurse).get(reverse("patients:list")).content.decode()


def test_prescriber_can_see_last_and_next_session(client_for, prescriber, nurse, patient_a):
    visit(patient_a, prescriber, ago(days=30))
    session_for(patient_a, nurse, start=ago(days=6))
    visit(patient_a, nurse, ago(days=2), status=Appointment.Status.NO_SHOW)
    visit(patient_a, nurse, ago(days=-4), kind="iv", status=Appointment.Status.CONFIRMED)
    visit(patient_a, nurse, ago(days=-9), kind="iv", status=Appointment.Status.SCHEDULED)
    [row] = build_caseload(prescriber)
    # The completed IV appointment of six days ago is the last session (the no-show is not).
    assert timezone.localdate(row.last_session_at) == timezone.localdate(ago(days=6) + timedelta(hours=2))
    assert timezone.localdate(row.next_visit_at) == timezone.localdate(ago(days=-4))
    assert row.next_visit_label == "IV infusion"
    page = client_for(prescriber).get(URL).content.decode()
    assert reverse("patients:detail", args=[patient_a.external_id]) in page


def test_therapist_can_see_unsigned_notes_highlighted_after_24_hours(client_for, therapist, patient_a):
    draft = note(patient_a, therapist, created_at=ago(hours=20))
    note(patient_a, therapist, created_at=ago(days=2), signed=True)
    [row] = build_caseload(therapist)
    assert (row.unsigned_notes, row.overdue_notes) == (1, 0)
    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        [row] = build_caseload(therapist)
    assert (row.unsigned_notes, row.overdue_notes) == (1, 1)

    client = client_for(therapist)
    assert "over 24 h</span>" not in client.get(URL).content.decode()
    IntegrationNote.objects.filter(pk=draft.pk).update(created_at=ago(hours=25))
    page = client.get(URL).content.decode()
    assert '<span class="badge text-bg-warning unsigned-overdue">1 over 24 h</span>' in page
    assert reverse("integration:notes", args=[patient_a.external_id]) in page


def test_therapist_counts_only_their_own_unsigned_notes(therapist, patient_a, db):
    from clinic import roles
    from testing.factories import UserFactory

    colleague = UserFactory(roles=[roles.THERAPIST])
    note(patient_a, therapist, created_at=ago(days=3), signed=True)
    note(patient_a, colleague, created_at=ago(days=3))
    [row] = build_caseload(therapist)
    assert (row.unsigned_notes, row.overdue_notes) == (0, 0)


def test_therapist_can_see_direction_of_change_in_words(client_for, therapist, nurse, patient_a):
    note(patient_a, therapist, signed=True)
    score(patient_a, nurse, "PHQ-9", 18, ago(days=30), band="Moderately severe")
    score(patient_a, nurse, "PHQ-9", 15, ago(days=20), band="Moderately severe")
    score(patient_a, nurse, "PHQ-9", 9, ago(days=10), band="Mild")
    score(patient_a, nurse, "GAD-7", 6, ago(days=20), band="Mild")
    score(patient_a, nurse, "GAD-7", 11, ago(days=10), band="Moderate")
    score(patient_a, nurse, "PCL-5", 30, ago(days=20))
    score(patient_a, nurse, "PCL-5", 30, ago(days=10))
    score(patient_a, nurse, "QIDS-SR16", 12, ago(days=10))
    [row] = build_caseload(therapist)
    latest = {s.code: (s.total, s.direction and s.direction.meaning) for s in row.scores}
    assert latest == {
        "GAD-7": (11, WORSE),
        "PCL-5": (30, SAME),
        "PHQ-9": (9, IMPROVED),  # against the score before (15), not the baseline
        "QIDS-SR16": (12, None),
    }
    page = client_for(therapist).get(URL).content.decode()
    assert "↓ improved" in page
    assert "↑ worse" in page
    assert "→ no change" in page
    assert "first score" in page


def test_direction_of_change_follows_the_instrument():
    assert direction_of_change(15, 9).meaning == IMPROVED
    assert direction_of_change(15, 9).arrow == "↓"
    assert direction_of_change(9, 15).meaning == WORSE
    assert direction_of_change(9, 9).meaning == SAME
    higher_better = direction_of_change(40, 55, lower_better=False)
    assert (higher_better.arrow, higher_better.meaning, higher_better.points) == ("↑", IMPROVED, 15)
    assert lower_is_better({"outcomes": {"lower_is_better": False}}) is False
    assert lower_is_better({"outcomes": None}) is True  # CADSS says nothing: lower is better
    shipped = {definition["code"]: definition for definition in shipped_definitions()}
    assert all(lower_is_better(shipped[code]) for code in ("PHQ-9", "GAD-7", "PCL-5", "QIDS-SR16", "CADSS"))


def test_prescriber_sees_open_alerts_first_then_overdue_notes_then_names(client_for, prescriber, nurse, db):
    patients = {
        name: PatientFactory(legal_family_name=name, legal_given_name="Pat")
        for name in ("Adams", "Baker", "Clark", "Davis")
    }
    for days, patient in enumerate(patients.values(), start=5):
        visit(patient, prescriber, ago(days=days))
    risk_alert(patients["Davis"], nurse)
    acknowledged = risk_alert(patients["Adams"], nurse)
    RiskAlert.objects.filter(pk=acknowledged.pk).update(acknowledged_at=timezone.now())
    charted = session_for(patients["Clark"], nurse, ordered_by=prescriber)
    SessionAlert.objects.create(session=charted, message="SpO2 91 below 92")
    SessionAlert.objects.create(session=charted, message="Heart rate 48 below 50")
    note(patients["Baker"], prescriber, created_at=ago(days=2))
    rows = build_caseload(prescriber)
    assert names(rows) == ["Clark", "Davis", "Baker", "Adams"]
    assert [row.open_alerts for row in rows] == [2, 1, 0, 0]
    page = client_for(prescriber).get(URL).content.decode()
    assert '<span class="badge text-bg-danger">2 open</span>' in page


def test_prescriber_caseload_runs_a_fixed_number_of_queries(
    client_for, prescriber, nurse, therapist, db, django_assert_max_num_queries
):
    client = client_for(prescriber)

    def add_patients(numbers):
        # Each patient's visits at their own times: one clinician is never booked twice at once.
        for n in numbers:
            patient = PatientFactory()
            visit(patient, prescriber, ago(days=40 + n))
            charted = session_for(patient, nurse, ordered_by=prescriber, start=ago(days=5, hours=3 * n))
            visit(patient, nurse, ago(days=-7 - n), kind="iv", status=Appointment.Status.SCHEDULED)
            SessionAlert.objects.create(session=charted, message="SpO2 91 below 92")
            note(patient, prescriber, created_at=ago(days=2))
            for days, total in ((30, 18), (20, 14), (10, 9)):
                latest = score(patient, nurse, "PHQ-9", total, ago(days=days))
                score(patient, nurse, "GAD-7", total - 4, ago(days=days))
            risk_alert(patient, nurse, response=latest)

    add_patients(range(3))
    client.get(URL)  # warm caches (clinic settings, permissions)
    # 5 for the caseload (patients with their sessions, notes, risk alerts, session alerts, scores),
    # the rest for every page: session, user, roles, the menu's alert count.
    with django_assert_max_num_queries(16) as few:
        response = client.get(URL)
    assert response.content.decode().count("↓ improved") == 6
    add_patients(range(3, 12))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.content.decode().count("↓ improved") == 24


def test_therapist_can_page_through_a_long_caseload_in_its_order(client_for, therapist, nurse, db):
    from sessions.integration.caseload import CASELOAD_PAGE_SIZE

    patients = [
        PatientFactory(legal_family_name=f"Family{n:03d}", legal_given_name="Pat")
        for n in range(CASELOAD_PAGE_SIZE + 3)
    ]
    for patient in patients:
        note(patient, therapist, created_at=ago(days=10), signed=True)
    # The last by name comes first with an open alert, the one before it next with an overdue note.
    risk_alert(patients[-1], nurse)
    note(patients[-2], therapist, created_at=ago(days=2))
    expected = [patients[-1], patients[-2], *patients[:-2]]
    assert [row.patient for row in build_caseload(therapist)] == expected

    client = client_for(therapist)
    first = client.get(URL)
    assert [row.patient for row in first.context["rows"]] == expected[:CASELOAD_PAGE_SIZE]
    page = first.content.decode()
    assert f"Page 1 of 2 · {CASELOAD_PAGE_SIZE + 3} in all" in page
    assert 'href="?page=2"' in page
    second = client.get(URL, {"page": 2})
    assert [row.patient for row in second.context["rows"]] == expected[CASELOAD_PAGE_SIZE:]
    assert client.get(URL, {"page": "x"}).context["rows"][0].patient == patients[-1]
    assert client.get(URL, {"page": 99}).context["page"].number == 2


def test_caseload_order_sorts_names_without_regard_to_case(therapist, db):
    for family in ("de Vries", "Dalton", "EVANS"):
        note(PatientFactory(legal_family_name=family, legal_given_name="Pat"), therapist, signed=True)
    assert names(build_caseload(therapist)) == ["Dalton", "de Vries", "EVANS"]


def test_therapist_sees_a_rise_as_improved_on_an_instrument_where_higher_is_better(
    therapist, nurse, patient_a
):
    from assessments.models import InstrumentVersion

    version = current_version_for("GAD-7")
    outcomes = {**(version.definition.get("outcomes") or {}), "lower_is_better": False}
    definition = {**version.definition, "outcomes": outcomes}
    InstrumentVersion.objects.filter(pk=version.pk).update(definition=definition)
    note(patient_a, therapist, signed=True)
    score(patient_a, nurse, "GAD-7", 6, ago(days=20))
    score(patient_a, nurse, "GAD-7", 11, ago(days=10))
    [row] = build_caseload(therapist)
    [gad] = row.scores
    assert (gad.direction.meaning, gad.direction.arrow) == (IMPROVED, "↑")
