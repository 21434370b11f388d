"""Integration notes: writing, signing, sharing and addenda, through the service and the screens."""

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.services import current_version_for, submit_response
from sessions.integration import notes
from sessions.integration.models import NOTE_LOCKED_MESSAGE
from sessions.integration.notes import NoteError
from sessions.models import (
    Appointment,
    IntegrationNote,
    NoteAddendum,
    NoteTemplate,
    SessionAlert,
    TreatmentSession,
)
from testing.charting import charted_session
from testing.factories import TEST_PASSWORD, appointment_type, room

PRIVATE = "Saw her late grandmother in the garden"
SUMMARY = "We talked about the garden image. Practice: ten minutes of journaling each morning."


@pytest.fixture
def template(db):
    return NoteTemplate.objects.get(name="After a ketamine session")


@pytest.fixture
def draft(patient_a, therapist, template):
    return notes.start_note(patient_a, by=therapist, template=template)


def write(note, by, **overrides):
    values = {
        "experience": PRIVATE,
        "themes": "Grief; being held.",
        "plan": "Integration again next week; tell the prescriber about sleep.",
        "risk_reviewed": True,
        "risk_note": "Denies current suicidal ideation.",
        "patient_summary": SUMMARY,
        **overrides,
    }
    return notes.save_draft(note, by=by, **values)


def signed(note, by, share=False):
    write(note, by)
    return notes.sign(note, by=by, password=TEST_PASSWORD, share_summary=share)


def note_url(note, name="note"):
    return reverse(f"integration:{name}", args=[note.patient.external_id, note.external_id])


def integration_appointment(patient, clinician, *, hours_ago=2, status=Appointment.Status.COMPLETED):
    start = timezone.now() - timedelta(hours=hours_ago)
    return Appointment.objects.create(
        patient=patient,
        appointment_type=appointment_type("integration", 60, name="Integration session"),
        start=start,
        end=start + timedelta(hours=1),
        room=room("Room C", is_chair=False),
        clinician=clinician,
        created_by=clinician,
        status=status,
    )


def risk_alert_for(patient, nurse):
    """A PHQ-9 with item 9 answered: raises an open suicide-risk alert."""
    raw = {str(n): 1 for n in range(1, 10)} | {"10": 1}
    submit_response(
        patient=patient, version=current_version_for("PHQ-9"), raw=raw, entered_by=nurse, mode="clinic"
    )
    alert = patient.risk_alerts.get()
    assert alert.is_open
    return alert


def started_session(patient, nurse):
    from testing.factories import book_visit

    visit = book_visit(patient, nurse, room_name="Room D")
    return TreatmentSession.objects.create(appointment=visit, patient=patient, route="iv", started_by=nurse)


# --- Starting a note ---------------------------------------------------------------------------------


def test_therapist_can_start_a_note_with_empty_sections_and_the_templates_prompts(draft, template):
    assert draft.status == IntegrationNote.Status.DRAFT
    assert all(text == "" for _field, _heading, text in draft.sections())
    assert notes.prompts(draft)["experience"] == template.experience
    assert notes.prompts(draft)["summary"] == template.summary


def test_therapist_can_start_a_note_for_an_integration_appointment_and_again_gets_the_same_draft(
    patient_a, therapist
):
    visit = integration_appointment(patient_a, therapist)
    first = notes.start_note(patient_a, by=therapist, appointment=visit)
    again = notes.start_note(patient_a, by=therapist, appointment=visit)
    assert first.pk == again.pk
    assert first.follows == visit
    assert notes.recent_integration_appointments(patient_a) == [visit]


def test_therapist_cannot_start_a_note_for_another_patients_session_or_appointment(
    patient_a, patient_b, therapist, nurse
):
    other_session = started_session(patient_b, nurse)
    other_visit = integration_appointment(patient_b, therapist)
    with pytest.raises(NoteError, match="not this patient's"):
        notes.start_note(patient_a, by=therapist, treatment_session=other_session)
    with pytest.raises(NoteError, match="not this patient's"):
        notes.start_note(patient_a, by=therapist, appointment=other_visit)
    assert not IntegrationNote.objects.exists()


def test_therapist_cannot_start_a_note_for_a_treatment_appointment_or_a_cancelled_one(
    patient_a, therapist, nurse
):
    session = started_session(patient_a, nurse)
    with pytest.raises(NoteError, match="not an integration appointment"):
        notes.start_note(patient_a, by=therapist, appointment=session.appointment)
    cancelled = integration_appointment(patient_a, therapist, status=Appointment.Status.CANCELLED)
    with pytest.raises(NoteError, match="cancelled"):
        notes.start_note(patient_a, by=therapist, appointment=cancelled)
    with pytest.raises(NoteError, match="not both"):
        notes.start_note(
            patient_a,
            by=therapist,
            treatment_session=session,
            appointment=integration_appointment(patient_a, therapist, hours_ago=30),
        )


def test_nurse_cannot_start_a_note(patient_a, nurse):
    with pytest.raises(NoteError, match="therapists and prescribers"):
        notes.start_note(patient_a, by=nurse)


# --- Drafts ------------------------------------------------------------------------------------------


def test_therapist_can_save_any_subset_of_a_draft(draft, therapist):
    notes.save_draft(draft, by=therapist, experience="  First words.  ")
    notes.save_draft(draft, by=therapist, plan="See again Friday.", risk_reviewed=True)
    draft.refresh_from_db()
    assert draft.experience == "First words."
    assert draft.plan == "See again Friday."
    assert draft.risk_reviewed is True
    assert draft.themes == ""


def test_prescriber_cannot_edit_or_sign_a_therapists_draft(draft, prescriber):
    with pytest.raises(NoteError, match="Only the note's author"):
        notes.save_draft(draft, by=prescriber, experience="Not mine to write.")
    with pytest.raises(NoteError, match="Only the note's author"):
        notes.sign(draft, by=prescriber, password=TEST_PASSWORD)


# --- Signing -----------------------------------------------------------------------------------------


def test_therapist_can_sign_and_the_open_alerts_are_counted(draft, therapist, nurse, patient_a, patient_b):
    risk_alert_for(patient_a, nurse)
    SessionAlert.objects.create(session=started_session(patient_a, nurse), message="BP 184/104")
    risk_alert_for(patient_b, nurse)  # another patient's alert is not counted
    signed(draft, therapist)
    draft.refresh_from_db()
    assert draft.is_locked
    assert draft.signed_by == therapist
    assert draft.signed_at is not None
    assert draft.open_alerts_at_signing == 2
    assert not draft.is_shared


@pytest.mark.parametrize(
    ("overrides", "password", "message"),
    [
        ({}, "", "Enter your password"),
        ({}, "wrong-password", "password is not correct"),
        ({"plan": ""}, TEST_PASSWORD, "Write the plan"),
        ({"risk_reviewed": False}, TEST_PASSWORD, "Tick the risk check"),
        ({"experience": "", "themes": ""}, TEST_PASSWORD, "experience or the themes"),
    ],
)
def test_therapist_cannot_sign_without_password_plan_risk_check_or_content(
    draft, therapist, overrides, password, message
):
    write(draft, therapist, **overrides)
    with pytest.raises(NoteError, match=message):
        notes.sign(draft, by=therapist, password=password)
    draft.refresh_from_db()
    assert not draft.is_locked


def test_therapist_can_sign_with_only_the_themes_written(draft, therapist):
    write(draft, therapist, experience="")
    notes.sign(draft, by=therapist, password=TEST_PASSWORD)
    assert draft.is_locked


def test_therapist_cannot_share_at_signing_without_a_summary(draft, therapist):
    write(draft, therapist, patient_summary="")
    with pytest.raises(NoteError, match="summary"):
        notes.sign(draft, by=therapist, password=TEST_PASSWORD, share_summary=True)
    assert not IntegrationNote.objects.get(pk=draft.pk).is_locked


def test_therapist_can_share_the_summary_at_signing(draft, therapist):
    signed(draft, therapist, share=True)
    draft.refresh_from_db()
    assert draft.is_shared
    assert draft.summary_shared_by == therapist


def test_therapist_cannot_edit_a_signed_note_through_the_service_or_the_model(draft, therapist):
    signed(draft, therapist)
    with pytest.raises(NoteError, match="signed and locked"):
        notes.save_draft(draft, by=therapist, experience="Changed afterwards.")
    stale = IntegrationNote.objects.get(pk=draft.pk)
    stale.experience = "Changed afterwards."
    with pytest.raises(ValidationError, match="signed and locked"):
        stale.save()
    with pytest.raises(ValidationError):
        stale.delete()
    assert IntegrationNote.objects.get(pk=draft.pk).experience == PRIVATE


def test_note_text_never_reaches_the_log(draft, therapist, caplog):
    with caplog.at_level(logging.DEBUG, logger="sessions.integration.notes"):
        signed(draft, therapist, share=True)
        notes.add_addendum(draft, by=therapist, reason="Late detail", text="Also mentioned the sea.")
    assert caplog.records
    logged = caplog.text
    assert PRIVATE not in logged
    assert SUMMARY not in logged
    assert "the sea" not in logged


# --- Sharing -----------------------------------------------------------------------------------------


def test_therapist_can_share_and_stop_sharing_changing_only_the_sharing_fields(draft, therapist, prescriber):
    signed(draft, therapist)
    before = IntegrationNote.objects.filter(pk=draft.pk).values().get()
    notes.share_summary(draft, by=therapist)
    shared = IntegrationNote.objects.filter(pk=draft.pk).values().get()
    assert shared["summary_shared_at"] is not None
    assert shared["summary_shared_by_id"] == therapist.pk
    changed = {key for key in before if before[key] != shared[key]}
    assert changed == {"summary_shared_at", "summary_shared_by_id"}
    notes.stop_sharing(draft, by=prescriber)  # any clinician who signs notes may withdraw it
    assert IntegrationNote.objects.get(pk=draft.pk).summary_shared_at is None


def test_therapist_cannot_share_a_draft_or_an_empty_summary(draft, therapist, patient_a):
    with pytest.raises(NoteError, match="Sign the note first"):
        notes.share_summary(draft, by=therapist)
    other = notes.start_note(patient_a, by=therapist)
    write(other, therapist, patient_summary="")
    notes.sign(other, by=therapist, password=TEST_PASSWORD)
    with pytest.raises(NoteError, match="no summary"):
        notes.share_summary(other, by=therapist)


def test_prescriber_cannot_share_a_therapists_summary(draft, therapist, prescriber):
    signed(draft, therapist)
    with pytest.raises(NoteError, match="Only the note's author"):
        notes.share_summary(draft, by=prescriber)


# --- Addenda -----------------------------------------------------------------------------------------


def test_prescriber_can_add_an_addendum_to_a_signed_note(draft, therapist, prescriber):
    signed(draft, therapist)
    addendum = notes.add_addendum(draft, by=prescriber, reason="Sleep", text="Started melatonin.")
    assert addendum.author == prescriber
    assert list(draft.addenda.all()) == [addendum]
    with pytest.raises(ValidationError):
        addendum.save()


def test_therapist_cannot_add_an_addendum_to_a_draft_or_without_reason_and_text(draft, therapist):
    with pytest.raises(NoteError, match="not signed yet"):
        notes.add_addendum(draft, by=therapist, reason="Why", text="What")
    signed(draft, therapist)
    with pytest.raises(NoteError, match="Say why"):
        notes.add_addendum(draft, by=therapist, reason=" ", text="What")
    with pytest.raises(NoteError, match="Say why"):
        notes.add_addendum(draft, by=therapist, reason="Why", text="")
    assert not NoteAddendum.objects.exists()


def test_nurse_cannot_add_an_addendum(draft, therapist, nurse):
    signed(draft, therapist)
    with pytest.raises(NoteError):
        notes.add_addendum(draft, by=nurse, reason="Why", text="What")


# --- Screens: list, new, editor -----------------------------------------------------------------------


def test_therapist_can_list_a_patients_notes_in_a_few_queries(
    client_for, therapist, patient_a, django_assert_max_num_queries
):
    session = started_session(patient_a, therapist)
    notes.start_note(patient_a, by=therapist, treatment_session=session)
    notes.start_note(patient_a, by=therapist, appointment=integration_appointment(patient_a, therapist))
    for _ in range(3):
        note = notes.start_note(patient_a, by=therapist)
    signed(note, therapist, share=True)
    notes.add_addendum(note, by=therapist, reason="Why", text="What")
    client = client_for(therapist)
    url = reverse("integration:notes", args=[patient_a.external_id])
    client.get(url)  # the first request of a login also loads its permissions and the clinic settings
    # The same for 5 notes as for 1 (the audit row included): nothing per row.
    with django_assert_max_num_queries(13):
        response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Draft</span>") == 4
    assert "Summary shared" in page
    assert PRIVATE not in page  # the list shows dates and status, not note text


def test_therapist_can_start_a_note_from_the_new_note_page(client_for, therapist, patient_a, template):
    visit = integration_appointment(patient_a, therapist)
    client = client_for(therapist)
    url = reverse("integration:note_new", args=[patient_a.external_id])
    page = client.get(url).content.decode()
    assert "Integration appointments" in page
    response = client.post(url, {"template": template.pk, "follows": f"appointment:{visit.external_id}"})
    note = patient_a.integration_notes.get()
    assert response.status_code == 302
    assert response["Location"] == note_url(note)
    assert note.appointment == visit
    assert note.template == template
    assert note.author == therapist


def test_therapist_sees_a_message_for_a_bad_choice_on_the_new_note_page(
    client_for, therapist, patient_a, patient_b, nurse
):
    other_session = started_session(patient_b, nurse)
    response = client_for(therapist).post(
        reverse("integration:note_new", args=[patient_a.external_id]),
        {"template": "999999", "follows": f"session:{other_session.external_id}"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in page
    assert not IntegrationNote.objects.exists()


def test_therapist_can_open_the_editor_with_prompts_risk_panel_and_autosave(
    client_for, draft, therapist, nurse, patient_a, template
):
    risk_alert_for(patient_a, nurse)
    session = started_session(patient_a, nurse)
    SessionAlert.objects.create(session=session, message="BP 184/104 above the alert threshold")
    page = client_for(therapist).get(note_url(draft)).content.decode()
    assert template.themes in page  # the template's prompt, as help under the section
    assert 'hx-post="' + note_url(draft, "note_draft") in page
    assert "delay:800ms" in page
    assert 'name="editor"' in page
    assert "Save draft" in page
    assert "Sign and lock" in page
    assert 'name="password"' in page
    assert "BP 184/104 above the alert threshold" in page
    assert reverse("sessions:chart", args=[patient_a.external_id, session.external_id]) + "#alerts" in page
    response_link = patient_a.risk_alerts.get().response.external_id
    assert reverse("assessments:response", args=[patient_a.external_id, response_link]) in page


def test_therapist_can_autosave_a_draft_as_they_type(client_for, draft, therapist):
    response = client_for(therapist).post(
        note_url(draft, "note_draft"),
        {"editor": "1", "experience": PRIVATE, "themes": "", "plan": ""},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Draft saved" in page
    assert 'id="sign-checklist" hx-swap-oob="true"' in page
    assert "Write the plan." in page
    draft.refresh_from_db()
    assert draft.experience == PRIVATE


def test_therapist_can_save_a_draft_without_javascript(client_for, draft, therapist):
    response = client_for(therapist).post(
        note_url(draft, "note_draft"),
        {"editor": "1", "plan": "Next week.", "risk_reviewed": "on"},
        follow=True,
    )
    assert "Draft saved." in response.content.decode()
    draft.refresh_from_db()
    assert draft.plan == "Next week."
    assert draft.risk_reviewed


def test_therapist_sees_a_message_when_a_draft_is_too_long(client_for, draft, therapist):
    client = client_for(therapist)
    data = {"editor": "1", "experience": "x" * 20_001}
    response = client.post(note_url(draft, "note_draft"), data)
    assert response.status_code == 200
    assert "The draft was not saved" in response.content.decode()
    fragment = client.post(note_url(draft, "note_draft"), data, headers={"HX-Request": "true"})
    assert "Not saved:" in fragment.content.decode()
    draft.refresh_from_db()
    assert draft.experience == ""


def test_prescriber_can_read_but_cannot_edit_a_therapists_draft(client_for, draft, therapist, prescriber):
    write(draft, therapist)
    client = client_for(prescriber)
    page = client.get(note_url(draft)).content.decode()
    assert PRIVATE in page
    assert "can edit or sign it" in page
    assert "Sign and lock" not in page
    response = client.post(note_url(draft, "note_draft"), {"editor": "1", "experience": "Mine now."})
    assert response.status_code == 403
    assert "Only the note&#x27;s author" in response.content.decode()
    assert client.post(note_url(draft, "note_sign"), {"password": TEST_PASSWORD}).status_code == 403
    draft.refresh_from_db()
    assert draft.experience == PRIVATE
    assert not draft.is_locked


# --- Screens: signing ---------------------------------------------------------------------------------


def test_therapist_can_sign_from_the_editor_with_what_was_just_typed(client_for, draft, therapist):
    response = client_for(therapist).post(
        note_url(draft, "note_sign"),
        {
            "editor": "1",
            "experience": PRIVATE,
            "plan": "Next week.",
            "risk_reviewed": "on",
            "patient_summary": SUMMARY,
            "password": TEST_PASSWORD,
            "share_summary": "on",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Signed and locked." in page
    assert "The summary is now in the patient" in page
    draft.refresh_from_db()
    assert draft.is_locked
    assert draft.is_shared
    assert draft.experience == PRIVATE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": ""}, "Enter your password to sign."),
        ({"password": "wrong"}, "Your password is not correct"),
        ({"password": TEST_PASSWORD, "plan": ""}, "Write the plan."),
        ({"password": TEST_PASSWORD, "risk_reviewed": ""}, "Tick the risk check"),
    ],
)
def test_therapist_cannot_sign_from_the_editor_without_password_plan_or_risk_check(
    client_for, draft, therapist, data, message
):
    form = {"editor": "1", "experience": PRIVATE, "plan": "Next week.", "risk_reviewed": "on", **data}
    if not form["risk_reviewed"]:
        del form["risk_reviewed"]
    response = client_for(therapist).post(note_url(draft, "note_sign"), form)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    draft.refresh_from_db()
    assert not draft.is_locked
    assert draft.experience == PRIVATE  # what was typed is kept as the draft


def test_therapist_signing_with_only_a_password_keeps_the_saved_text(client_for, draft, therapist):
    write(draft, therapist)
    client_for(therapist).post(note_url(draft, "note_sign"), {"password": TEST_PASSWORD})
    draft.refresh_from_db()
    assert draft.is_locked
    assert draft.experience == PRIVATE


def test_therapist_cannot_edit_a_signed_note_through_the_views(client_for, draft, therapist):
    signed(draft, therapist)
    client = client_for(therapist)
    page = client.get(note_url(draft)).content.decode()
    assert "Sign and lock" not in page
    assert "read-only; corrections are addenda" in page
    response = client.post(
        note_url(draft, "note_draft"), {"editor": "1", "experience": "Changed."}, follow=True
    )
    assert NOTE_LOCKED_MESSAGE in response.content.decode()
    fragment = client.post(
        note_url(draft, "note_draft"), {"experience": "Changed."}, headers={"HX-Request": "true"}
    )
    assert "signed and locked" in fragment.content.decode()
    again = client.post(
        note_url(draft, "note_sign"), {"password": TEST_PASSWORD, "experience": "x"}, follow=True
    )
    assert "already signed" in again.content.decode()
    assert IntegrationNote.objects.get(pk=draft.pk).experience == PRIVATE


def test_therapist_can_share_and_stop_sharing_from_the_signed_note(client_for, draft, therapist):
    signed(draft, therapist)
    client = client_for(therapist)
    assert "Share summary with the patient" in client.get(note_url(draft)).content.decode()
    page = client.post(note_url(draft, "note_share"), follow=True).content.decode()
    assert "now in the patient" in page
    assert "Stop sharing" in page
    page = client.post(note_url(draft, "note_stop_sharing"), follow=True).content.decode()
    assert "no longer shown" in page
    assert not IntegrationNote.objects.get(pk=draft.pk).is_shared


def test_therapist_can_add_an_addendum_from_the_signed_note_and_sees_a_message_when_empty(
    client_for, draft, therapist
):
    signed(draft, therapist)
    client = client_for(therapist)
    empty = client.post(note_url(draft, "note_addendum"), {"reason": "", "text": ""})
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    page = client.post(
        note_url(draft, "note_addendum"), {"reason": "Late detail", "text": "Also the sea."}, follow=True
    ).content.decode()
    assert "Addendum added." in page
    assert "Also the sea." in page
    assert draft.addenda.count() == 1


def test_therapist_cannot_add_an_addendum_to_a_draft_through_the_view(client_for, draft, therapist):
    response = client_for(therapist).post(
        note_url(draft, "note_addendum"), {"reason": "Why", "text": "What"}, follow=True
    )
    assert "not signed yet" in response.content.decode()
    assert not NoteAddendum.objects.exists()


# --- Who may see notes ----------------------------------------------------------------------------------


def test_front_desk_cannot_see_notes_at_all(client_for, front_desk, draft, patient_a):
    client = client_for(front_desk)
    assert client.get(reverse("integration:notes", args=[patient_a.external_id])).status_code == 403
    assert client.get(note_url(draft)).status_code == 403
    detail = client.get(reverse("patients:detail", args=[patient_a.external_id])).content.decode()
    assert reverse("integration:notes", args=[patient_a.external_id]) not in detail


def test_nurse_can_read_notes_but_cannot_write_them(client_for, nurse, draft, therapist, patient_a):
    signed(draft, therapist)
    client = client_for(nurse)
    assert PRIVATE in client.get(note_url(draft)).content.decode()
    assert client.get(reverse("integration:note_new", args=[patient_a.external_id])).status_code == 403
    assert client.post(note_url(draft, "note_addendum"), {"reason": "a", "text": "b"}).status_code == 403


def test_therapist_gets_404_for_another_patients_note_id(client_for, therapist, draft, patient_b):
    other = notes.start_note(patient_b, by=therapist)
    wrong = reverse("integration:note", args=[draft.patient.external_id, other.external_id])
    assert client_for(therapist).get(wrong).status_code == 404
    assert client_for(therapist).post(wrong + "draft/", {"experience": "x"}).status_code == 404


def test_therapist_sees_the_notes_button_on_the_patient_chart(client_for, therapist, patient_a):
    page = (
        client_for(therapist).get(reverse("patients:detail", args=[patient_a.external_id])).content.decode()
    )
    assert reverse("integration:notes", args=[patient_a.external_id]) in page


def test_therapist_can_write_a_note_from_a_discharged_session_chart(
    client_for, therapist, nurse, prescriber, patient_a
):
    session = charted_session(patient_a, nurse, prescriber, sign=False)
    client = client_for(therapist)
    chart = client.get(reverse("sessions:chart", args=[patient_a.external_id, session.external_id]))
    link = reverse("integration:note_new", args=[patient_a.external_id]) + f"?session={session.external_id}"
    assert "Write integration note" in chart.content.decode()
    assert link in chart.content.decode()
    page = client.get(link).content.decode()
    assert f'value="session:{session.external_id}" selected' in page
    assert (
        "Write integration note"
        not in client_for(nurse)
        .get(reverse("sessions:chart", args=[patient_a.external_id, session.external_id]))
        .content.decode()
    )


# --- Portal -----------------------------------------------------------------------------------------------


def test_patient_a_sees_only_the_shared_summary_in_the_portal(client_for, draft, therapist, patient_a):
    signed(draft, therapist, share=True)
    unshared = notes.start_note(patient_a, by=therapist)
    write(unshared, therapist, patient_summary="Not shared with you.")
    notes.sign(unshared, by=therapist, password=TEST_PASSWORD)
    in_draft = notes.start_note(patient_a, by=therapist)
    write(in_draft, therapist, patient_summary="Still a draft.")
    client = client_for(patient_a.user)
    page = client.get(reverse("portal:notes")).content.decode()
    assert "We talked about the garden image." in page
    assert therapist.get_full_name() in page
    for private in (PRIVATE, "Grief; being held.", "Denies current suicidal ideation", "Integration again"):
        assert private not in page
    assert "Not shared with you." not in page
    assert "Still a draft." not in page
    home = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:notes") in home


def test_patient_a_cannot_see_a_summary_after_sharing_stops(client_for, draft, therapist, patient_a):
    signed(draft, therapist, share=True)
    notes.stop_sharing(draft, by=therapist)
    page = client_for(patient_a.user).get(reverse("portal:notes")).content.decode()
    assert "garden image" not in page
    assert "No notes yet." in page


def test_patient_b_never_sees_patient_as_summaries(client_for, draft, therapist, patient_b):
    signed(draft, therapist, share=True)
    page = client_for(patient_b.user).get(reverse("portal:notes")).content.decode()
    assert "garden image" not in page
    assert client_for(patient_b.user).get(note_url(draft)).status_code == 404


def test_patient_a_cannot_open_the_staff_note_pages(client_for, draft, patient_a):
    assert client_for(patient_a.user).get(note_url(draft)).status_code == 403


# --- Admin ------------------------------------------------------------------------------------------------


def test_administrator_can_edit_note_templates_but_not_notes(client_for, administrator, draft):
    client = client_for(administrator)
    template = NoteTemplate.objects.first()
    change = reverse("admin:treatment_sessions_notetemplate_change", args=[template.pk])
    assert client.get(change).status_code == 200
    response = client.post(
        change,
        {
            "name": template.name,
            "description": "Edited",
            "is_active": "on",
            **{f: getattr(template, f) for f in ("experience", "themes", "insights", "emotional_state")},
            **{f: getattr(template, f) for f in ("goals", "practices", "plan", "summary")},
        },
    )
    assert response.status_code == 302
    assert NoteTemplate.objects.get(pk=template.pk).description == "Edited"
    # Administrators hold no permission to read clinical notes.
    notes_admin = reverse("admin:treatment_sessions_integrationnote_change", args=[draft.pk])
    assert client.get(notes_admin).status_code == 403
