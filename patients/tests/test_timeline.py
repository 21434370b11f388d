"""The patient's timeline: one chronological list of sessions, scores, notes, alerts and messages."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import QuestionnaireAssignment
from assessments.services import assign, current_version_for, submit_response
from patients.models import PortalInvitation
from patients.timeline import KINDS, build_timeline, chosen_kinds
from sessions.models import (
    Appointment,
    IntegrationNote,
    QuestionnaireNotice,
    Reminder,
    SessionAlert,
    TreatmentSession,
)
from testing.factories import PatientFactory, past_visit

NOTE_TEXT = "Talked about the lake house and the dream of flying."
INSTRUCTIONS = "Bring someone to drive you home."  # what the factory's appointment types say


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def visit(patient, clinician, start, *, kind="consultation", status=Appointment.Status.COMPLETED):
    return past_visit(
        patient, clinician, start, kind=kind, status=status, name="IV infusion" if kind == "iv" else None
    )


def phq9(patient, by, *, item9=0, at=None, total_items=1):
    raw = {str(n): total_items for n in range(1, 9)} | {"9": item9, "10": 1}
    response = submit_response(
        patient=patient, version=current_version_for("PHQ-9"), raw=raw, entered_by=by, mode="clinic"
    )
    if at is not None:
        type(response).objects.filter(pk=response.pk).update(completed_at=at)
        response.alerts.update(created_at=at + timedelta(minutes=1))
    return response


@pytest.fixture
def chart(patient_a, nurse, prescriber, therapist):
    """Patient A's chart with one of each kind, each a day apart (newest first: the invitation)."""
    past = visit(patient_a, therapist, ago(days=9), kind="integration")
    visit(patient_a, nurse, ago(days=8), status=Appointment.Status.NO_SHOW)
    session = TreatmentSession.objects.create(
        appointment=visit(patient_a, nurse, ago(days=7), kind="iv"),
        patient=patient_a,
        route="iv",
        started_by=nurse,
        started_at=ago(days=7),
        status=TreatmentSession.Status.DISCHARGED,
        discharged_at=ago(days=7) + timedelta(hours=2),
    )
    SessionAlert.objects.create(
        session=session,
        message="Systolic 184 above 180",
        raised_at=session.started_at + timedelta(minutes=30),
    )
    phq9(patient_a, nurse, item9=1, at=ago(days=6))
    missed = assign(
        patient_a, current_version_for("GAD-7"), due_date=ago(days=6).date(), purpose="Follow-up", by=nurse
    )
    QuestionnaireAssignment.objects.filter(pk=missed.pk).update(
        status=QuestionnaireAssignment.Status.EXPIRED, expires_at=ago(days=5)
    )
    QuestionnaireNotice.objects.create(
        assignment=missed, number=1, due_at=ago(days=5, hours=1), status="sent", sent_at=ago(days=5, hours=1)
    )
    IntegrationNote.objects.create(
        patient=patient_a, author=therapist, appointment=past, experience=NOTE_TEXT, created_at=ago(days=4)
    )
    Reminder.objects.create(
        appointment=past,
        channel="email",
        hours_before=24,
        due_at=ago(days=3),
        status="sent",
        sent_at=ago(days=3),
    )
    Reminder.objects.create(
        appointment=past, channel="sms", hours_before=2, due_at=ago(days=2), status="pending"
    )
    PortalInvitation.objects.create(
        patient=patient_a,
        email=patient_a.email,
        created_by=nurse,
        expires_at=ago(days=-2),
        sent_at=ago(days=1),
    )
    return patient_a


def timeline_url(patient, *kinds):
    url = reverse("patients:timeline", args=[patient.external_id])
    return url + ("?" + "&".join(f"kind={kind}" for kind in kinds) if kinds else "")


def entries_of(page):
    return re.findall(r'<li class="list-group-item[^"]*timeline-(\w+)"', page)


def test_prescriber_can_see_every_kind_newest_first(chart, prescriber):
    entries = build_timeline(chart, prescriber)
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    assert [entry.kind for entry in entries] == [
        "message",  # portal invitation
        "message",  # appointment reminder (the pending one is not listed)
        "note",
        "score",  # missed GAD-7
        "message",  # its questionnaire reminder
        "alert",  # the PHQ-9's risk alert
        "score",  # PHQ-9
        "session",  # discharged chart
        "alert",  # session alert
        "session",  # IV appointment
        "session",  # no-show
        "session",  # integration appointment
    ]


def test_prescriber_can_read_each_entry_in_one_line(chart, client_for, prescriber):
    page = client_for(prescriber).get(timeline_url(chart)).content.decode()
    assert "IV infusion session charted" in page
    assert "Discharged, awaiting signatures" in page
    assert "No-show" in page
    assert "PHQ-9 total" in page
    assert "GAD-7 questionnaire not answered" in page and "Missed" in page
    assert "Risk alert:" in page and "Open" in page
    assert "Session alert: Systolic 184 above 180" in page
    assert "Integration note after the Integration appointment of" in page
    assert "Appointment reminder e-mailed" in page
    assert "Questionnaire reminder 1 e-mailed" in page
    assert "Portal invitation e-mailed" in page
    assert (
        reverse("sessions:chart", args=[chart.external_id, chart.treatment_sessions.get().external_id])
        in page
    )
    response = chart.responses.get()
    assert reverse("assessments:response", args=[chart.external_id, response.external_id]) in page
    note = chart.integration_notes.get()
    assert reverse("integration:note", args=[chart.external_id, note.external_id]) in page


def test_prescriber_cannot_see_message_bodies_or_note_text(chart, client_for, prescriber):
    page = client_for(prescriber).get(timeline_url(chart)).content.decode()
    assert NOTE_TEXT not in page
    assert INSTRUCTIONS not in page
    assert "/portal/invitation" not in page


def test_therapist_can_filter_the_timeline_by_kind(chart, client_for, therapist):
    page = client_for(therapist).get(timeline_url(chart, "score", "alert")).content.decode()
    assert set(entries_of(page)) == {"score", "alert"}
    assert len(entries_of(page)) == 4
    assert 'value="score" id="kind-score" autocomplete="off" checked' in page
    assert 'value="note" id="kind-note" autocomplete="off" >' in page


def test_front_desk_cannot_see_scores_notes_or_alerts(chart, client_for, front_desk):
    response = client_for(front_desk).get(timeline_url(chart))
    assert response.status_code == 200
    page = response.content.decode()
    assert set(entries_of(page)) == {"session", "message"}
    assert "PHQ-9" not in page and "GAD-7" not in page
    assert "Integration note" not in page
    # Charts need the session permission; front desk sees the appointments only.
    assert "session charted" not in page
    assert 'id="kind-score"' not in page


def test_front_desk_cannot_filter_into_a_kind_it_may_not_see(chart, client_for, front_desk):
    page = client_for(front_desk).get(timeline_url(chart, "score")).content.decode()
    assert "PHQ-9" not in page
    assert set(entries_of(page)) == {"session", "message"}


@pytest.mark.parametrize("query", ["kind=bogus", "kind=", "page=banana", "page=999"])
def test_nurse_can_send_a_bad_query_without_an_error(chart, client_for, nurse, query):
    response = client_for(nurse).get(timeline_url(chart) + "?" + query)
    assert response.status_code == 200
    assert entries_of(response.content.decode())


def test_a_nul_byte_in_the_query_is_a_clear_400(chart, client_for, nurse):
    response = client_for(nurse).get(timeline_url(chart) + "?kind=score&kind=%00")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_unknown_kinds_are_ignored():
    allowed = list(KINDS)
    assert chosen_kinds(["bogus"], allowed) == allowed
    assert chosen_kinds(["alert", "bogus", "score"], allowed) == ["score", "alert"]
    assert chosen_kinds(["note"], ["session", "message"]) == ["session", "message"]


def test_patient_b_cannot_reach_patient_a_timeline(chart, client_for, patient_b):
    assert client_for(patient_b.user).get(timeline_url(chart)).status_code == 404


def test_patient_a_cannot_open_own_staff_timeline(chart, client_for):
    assert client_for(chart.user).get(timeline_url(chart)).status_code == 403


def test_nurse_can_open_the_timeline_from_the_chart(chart, client_for, nurse):
    page = client_for(nurse).get(reverse("patients:detail", args=[chart.external_id])).content.decode()
    assert timeline_url(chart) in page


def test_nurse_can_see_an_empty_timeline(client_for, nurse, db):
    page = client_for(nurse).get(timeline_url(PatientFactory())).content.decode()
    assert "Nothing on" in page


def test_nurse_can_page_through_a_long_timeline_keeping_the_filter(patient_a, client_for, nurse):
    for day in range(60):
        visit(patient_a, nurse, ago(days=day + 1))
    page = client_for(nurse).get(timeline_url(patient_a, "session")).content.decode()
    assert len(entries_of(page)) == 50
    assert "kind=session&amp;page=2" in page


def test_prescriber_timeline_runs_a_fixed_number_of_queries(
    chart, client_for, prescriber, nurse, therapist, django_assert_max_num_queries
):
    client = client_for(prescriber)
    client.get(timeline_url(chart))  # warm caches (clinic settings, permissions)
    # At most 22 for the timeline itself (each source's moments, then the rows of those on the page; the
    # missed questionnaires take two of each) and the rest for every page: session, user, roles.
    with django_assert_max_num_queries(31) as small:
        client.get(timeline_url(chart))
    for day in range(10, 30):
        start = ago(days=day)
        past = visit(chart, nurse if day % 2 else therapist, start, kind="iv" if day % 2 else "integration")
        phq9(chart, nurse, at=start)
        IntegrationNote.objects.create(patient=chart, author=therapist, appointment=past, created_at=start)
        Reminder.objects.create(
            appointment=past, channel="email", hours_before=24, due_at=start, status="sent", sent_at=start
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(timeline_url(chart))
    assert len(entries_of(response.content.decode())) == 50


def test_therapist_sees_when_a_note_after_an_appointment_was_signed(chart, therapist):
    signed = ago(days=3, hours=20)
    IntegrationNote.objects.filter(patient=chart).update(signed_at=signed, signed_by=therapist)
    note = next(entry for entry in build_timeline(chart, therapist) if entry.kind == "note")
    assert note.summary.startswith("Integration note after the ")
    assert "signed " in note.detail


def test_every_limit_gives_the_newest_entries_of_the_whole_timeline(chart, prescriber, nurse, therapist):
    """Each source reads only `limit` rows, newest first, and the merge keeps the order of the whole."""
    hand_made = assign(
        chart, current_version_for("GAD-7"), due_date=ago(days=2).date(), purpose="By hand", by=nurse
    )
    QuestionnaireAssignment.objects.filter(pk=hand_made.pk).update(
        status=QuestionnaireAssignment.Status.EXPIRED, expires_at=None
    )
    for day in range(10, 16):
        start = ago(days=day)
        past = visit(chart, therapist, start, kind="integration")
        phq9(chart, nurse, at=start + timedelta(hours=1))
        IntegrationNote.objects.create(patient=chart, author=therapist, appointment=past, created_at=start)
    whole = build_timeline(chart, prescriber)
    assert [entry.at for entry in whole] == sorted((entry.at for entry in whole), reverse=True)
    assert "GAD-7 questionnaire not answered" in [entry.summary for entry in whole[:3]]
    for limit in range(1, len(whole) + 2):
        assert build_timeline(chart, prescriber, limit=limit) == whole[:limit]


def test_each_source_reads_no_more_rows_than_the_page_needs(chart, client_for, prescriber, nurse):
    for day in range(10, 80):
        phq9(chart, nurse, at=ago(days=day))
    client = client_for(prescriber)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(timeline_url(chart)).content.decode()
    responses = [q["sql"] for q in queries.captured_queries if "assessments_assessmentresponse" in q["sql"]]
    limits = [re.search(r"LIMIT (\d+)", sql) for sql in responses]
    assert responses and all(limit and int(limit[1]) <= 51 for limit in limits)
    assert len(entries_of(page)) == 50


def test_nurse_can_page_to_the_end_of_a_long_timeline(patient_a, client_for, nurse):
    for day in range(120):
        visit(patient_a, nurse, ago(days=day + 1))
    client = client_for(nurse)
    seen = []
    for number in (1, 2, 3):
        page = client.get(timeline_url(patient_a) + f"?page={number}").content.decode()
        seen += re.findall(r'datetime="([^"]+)"', page)
        assert f"Page {number}" in page
        assert (f"page={number + 1}" in page) == (number < 3)
    assert len(seen) == len(set(seen)) == 120
    assert seen == sorted(seen, reverse=True)
    last = client.get(timeline_url(patient_a) + "?page=99999999999999999999999").content.decode()
    assert "Page 3" in last and len(entries_of(last)) == 20
