"""In Chromium: after a charted IV session, a therapist writes an integration note (saved as she
types), signs it and shares the summary; a day later the patient opens the 24-hour PHQ-9 from the
follow-up e-mail's link on a phone, signs in, answers it, and reads the shared summary in the portal.
Screenshots go to artifacts/screenshots/."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from assessments.models import AssessmentResponse, QuestionnaireAssignment
from clinic.models import ClinicSettings
from sessions.integration.followups import dispatch_notices
from sessions.models import IntegrationNote
from testing.browser import sign_in
from testing.charting import charted_session
from testing.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

EXPERIENCE = "I was floating above a lake and my grandmother was there, not sad at all."
THEMES = "Grief for the grandmother; feeling safe in the body for the first time in months."
PLAN = "Integration session next week; tell the prescriber about the lingering headache."
SUMMARY = "We talked about the lake and your grandmother. Practice: ten minutes of journaling each evening."

#: (item, label, value) for the 24-hour PHQ-9; item 10 is asked because the total is above 0.
ANSWERS = [
    ("1", "Several days", 1),
    ("2", "More than half the days", 2),
    ("3", "Several days", 1),
    ("4", "Several days", 1),
    ("5", "Not at all", 0),
    ("6", "Not at all", 0),
    ("7", "Several days", 1),
    ("8", "Not at all", 0),
    ("9", "Not at all", 0),
]
EXPECTED_TOTAL = sum(value for _item, _label, value in ANSWERS)


def _answer(page, item, label):
    page.locator(f"#question-{item}").get_by_text(label, exact=True).click()


def test_therapist_signs_a_note_and_patient_answers_the_24h_phq9_from_the_email(
    live_server, patient_a, therapist, nurse, prescriber, browser, screenshot
):
    site = live_server.url
    session = charted_session(patient_a, nurse, prescriber, until="discharged")
    phq9 = patient_a.assignments.get(
        rule__isnull=False, version__instrument__code="PHQ-9", rule__hours_after=24
    )
    assert phq9.status == QuestionnaireAssignment.Status.PENDING
    assert phq9.notices.exists()

    # The therapist writes the note; autosave keeps it across a reload; she signs and shares.
    desk = browser.new_context(viewport=DESKTOP)
    desk.set_default_timeout(10_000)
    page = desk.new_page()
    sign_in(page, site, therapist.email)
    page.goto(f"{site}/patients/{patient_a.external_id}/")
    page.get_by_role("link", name="Notes", exact=True).click()
    expect(page.get_by_role("heading", name="Integration notes")).to_be_visible()
    page.get_by_role("link", name="New note").click()
    page.locator("select[name=follows]").select_option(value=f"session:{session.external_id}")
    page.locator("select[name=template]").select_option(label="After a ketamine session")
    page.get_by_role("button", name="Start note").click()
    expect(page.get_by_text("Draft started.")).to_be_visible()
    expect(page.locator(".badge", has_text="Draft")).to_be_visible()

    page.get_by_label("The experience, in the patient's own words").fill(EXPERIENCE)
    page.get_by_label("Themes", exact=True).fill(THEMES)
    page.get_by_label("Plan", exact=True).fill(PLAN)
    page.get_by_label("Summary for the patient").fill(SUMMARY)
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    # The status line answers the last pause in typing; wait until the database holds all of it.
    note = IntegrationNote.objects.get(patient=patient_a)
    for _ in range(50):
        note.refresh_from_db()
        if note.patient_summary == SUMMARY:
            break
        page.wait_for_timeout(100)
    assert (note.experience, note.themes, note.plan, note.patient_summary) == (
        EXPERIENCE,
        THEMES,
        PLAN,
        SUMMARY,
    )

    page.reload()  # what was typed came back from the server, not from the browser
    expect(page.get_by_label("The experience, in the patient's own words")).to_have_value(EXPERIENCE)
    expect(page.get_by_label("Themes", exact=True)).to_have_value(THEMES)
    expect(page.get_by_label("Plan", exact=True)).to_have_value(PLAN)
    expect(page.get_by_label("Summary for the patient")).to_have_value(SUMMARY)
    expect(page.locator("#sign-checklist")).to_contain_text("Tick the risk check")

    page.locator("input[name=risk_reviewed]").check()
    expect(page.locator("#sign-checklist")).to_contain_text("Ready to sign.")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=share_summary]").check()
    screenshot(page, "follow-up-01-note-editor")
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Signed and locked.")).to_be_visible()
    expect(page.get_by_text("The summary is now in the patient's portal.")).to_be_visible()
    # Nothing of the note is editable any more: the only text box left is the addendum's.
    expect(page.locator("#note-form")).to_have_count(0)
    expect(page.locator("textarea:not(#addenda textarea)")).to_have_count(0)
    expect(page.locator("#addenda textarea")).to_have_count(1)
    expect(page.locator("#sections")).to_contain_text(EXPERIENCE)
    expect(page.locator("#sharing")).to_contain_text("Shared")
    screenshot(page, "follow-up-02-note-signed")
    desk.close()

    note.refresh_from_db()
    assert note.is_locked and note.is_shared and note.treatment_session == session

    # A day later beat's dispatcher e-mails the link; the patient opens it on her phone.
    clinic = ClinicSettings.load()
    clinic.patient_idle_minutes = max(clinic.patient_idle_minutes, 120)
    clinic.save()
    with time_machine.travel(phq9.available_at + timedelta(minutes=1), tick=True):
        mail.outbox.clear()
        dispatch_notices()
        message = next(m for m in mail.outbox if patient_a.email in m.to and str(phq9.external_id) in m.body)
        assert "PHQ" not in message.subject and "PHQ" not in message.body
        for html, _mimetype in getattr(message, "alternatives", []):
            assert "PHQ" not in html
        link = re.search(r"https?://\S+", message.body).group(0)
        assert link.startswith(settings.SITE_URL)
        link = live_server.url + link.removeprefix(settings.SITE_URL)

        phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, reduced_motion="reduce")
        phone.set_default_timeout(10_000)
        page = phone.new_page()
        page.goto(link)
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
        screenshot(page, "follow-up-03-email-link-sign-in")
        page.locator("#id_login").fill(patient_a.user.email)
        page.locator("#id_password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page).to_have_url(re.compile(f"/{phq9.external_id}/?$"))
        expect(page.get_by_role("heading", name="Patient Health Questionnaire-9")).to_be_visible()
        expect(page.locator("#question-10")).to_be_hidden()
        for item, label, _value in ANSWERS:
            _answer(page, item, label)
        expect(page.locator("#question-10")).to_be_visible()
        _answer(page, "10", "Somewhat difficult")
        expect(page.locator("#draft-status")).to_contain_text("10 of 10 answered")
        expect(page.locator(".questionnaire-progress .progress-bar")).to_have_attribute(
            "style", re.compile(r"width: 100%")
        )
        page.evaluate("window.scrollTo(0, 0)")  # the sticky progress bar at its place on the page
        screenshot(page, "follow-up-04-phq9-filled")
        page.get_by_role("button", name="Submit answers").click()
        expect(page.get_by_text("your PHQ-9 answers are saved")).to_be_visible()
        screenshot(page, "follow-up-05-phq9-done")

        page.goto(site + "/portal/notes/")
        summaries = page.locator(".portal-note-summary")
        expect(summaries).to_have_count(1)
        expect(summaries).to_contain_text("ten minutes of journaling")
        expect(page.get_by_text("floating above a lake")).to_have_count(0)
        expect(page.get_by_text("Grief for the grandmother")).to_have_count(0)
        expect(page.get_by_text("lingering headache")).to_have_count(0)
        screenshot(page, "follow-up-06-portal-notes")
        phone.close()

    phq9.refresh_from_db()
    assert phq9.status == QuestionnaireAssignment.Status.COMPLETED
    response = AssessmentResponse.objects.get(assignment=phq9)
    assert response.total == EXPECTED_TOTAL
    assert response.answers["10"] in (1, "1")
    assert response.mode == AssessmentResponse.Mode.PORTAL
