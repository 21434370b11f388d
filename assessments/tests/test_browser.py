"""In Chromium: a patient completes a PHQ-9 on a phone, leaving half-way and coming back; a nurse
then sees the safety alert and the trend chart. Screenshots go to artifacts/screenshots/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import AssessmentResponse, RiskAlert
from assessments.services import assign, current_version_for, submit_response
from testing.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def answer(page, item, label):
    page.locator(f"#question-{item}").get_by_text(label, exact=True).click()


def test_patient_completes_a_phq9_on_a_phone_and_a_nurse_sees_the_alert_and_trend(
    live_server, patient_a, nurse, browser, screenshot
):
    site = live_server.url
    version = current_version_for("PHQ-9")
    baseline = submit_response(
        patient=patient_a,
        version=version,
        raw={"1": 3, "2": 3, "3": 2, "4": 2, "5": 2, "6": 2, "7": 2, "8": 1, "9": 0, "10": 2},
        entered_by=nurse,
        mode="clinic",
        is_baseline=True,
    )
    AssessmentResponse.objects.filter(pk=baseline.pk).update(completed_at=timezone.now() - timedelta(weeks=3))
    assign(
        patient_a,
        version,
        due_date=timezone.localdate() + timedelta(days=1),
        purpose="After session 4",
        by=nurse,
    )

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.set_default_timeout(10_000)
    page = phone.new_page()
    sign_in(page, site, patient_a.user.email)
    expect(page.get_by_text("Questionnaires to fill in")).to_be_visible()
    screenshot(page, "20-portal-pending-questionnaire")
    page.get_by_text("Patient Health Questionnaire").click()
    expect(page.get_by_text("not watched in real time")).to_be_visible()
    expect(page.locator("#question-10")).to_be_hidden()  # asked only once the total is above 0
    for item, label in [("1", "Several days"), ("2", "More than half the days"), ("3", "Several days")]:
        answer(page, item, label)
    expect(page.locator("#draft-status")).to_contain_text("saved")
    expect(page.locator("#draft-status")).to_contain_text("3 of 10 answered")
    expect(page.locator("#question-10")).to_be_visible()
    screenshot(page, "21-phq9-half-way")

    page.goto(site + "/portal/")  # leave half-way, come back later
    page.get_by_text("Patient Health Questionnaire").click()
    expect(page.locator("#question-2 input[value='2']")).to_be_checked()
    for item, label in [
        ("4", "Not at all"),
        ("5", "Several days"),
        ("6", "Not at all"),
        ("7", "Several days"),
        ("8", "Not at all"),
    ]:
        answer(page, item, label)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Some questions still need an answer")).to_be_visible()
    screenshot(page, "22-phq9-missing-answers")
    answer(page, "9", "Several days")
    answer(page, "10", "Somewhat difficult")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("your PHQ-9 answers are saved")).to_be_visible()
    expect(page.get_by_text("988")).to_be_visible()
    screenshot(page, "23-phq9-submitted-crisis-contacts")
    phone.close()

    assert AssessmentResponse.objects.count() == 2
    assert RiskAlert.objects.count() == 1

    tablet = browser.new_context(viewport={"width": 1024, "height": 768})
    tablet.set_default_timeout(10_000)
    page = tablet.new_page()
    sign_in(page, site, nurse.email)
    expect(page.get_by_role("link", name="Alerts 1")).to_be_visible()
    page.get_by_role("link", name="Alerts 1").click()
    screenshot(page, "24-staff-alert-list")
    page.get_by_role("link", name=patient_a.sortable_name).click()
    expect(page.locator(".risk-alert")).to_contain_text("PHQ-9 item 9")
    expect(page.locator("#course-phq-9 svg")).to_be_visible()
    expect(page.locator("#course-phq-9")).to_contain_text("Baseline 17 → latest 7")
    screenshot(page, "25-measures-alert-and-trend")
    page.locator(".risk-alert textarea").fill(
        "Called the patient: passive thoughts, no plan or intent; safety plan reviewed."
    )
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    expect(page.locator(".risk-alert")).to_have_count(0)
    tablet.close()
