"""In Chromium: the patient completes intake and signs consent in the portal, a nurse enters and
verifies the rest, a prescriber approves. Screenshots go to artifacts/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from patients.intake import PATIENT_STEPS
from patients.models import Patient
from patients.screening import CONDITIONS
from testing.browser import sign_in
from testing.factories import consent_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_intake_consent_verification_and_approval(
    live_server, patient_a, nurse, prescriber, browser, screenshot
):
    site = live_server.url
    patient_a.status = Patient.Status.SCREENING
    patient_a.treatment_route = "iv"
    patient_a.sex_at_birth = "female"
    patient_a.save()
    consent_document("iv")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.set_default_timeout(10_000)
    page = phone.new_page()
    sign_in(page, site, patient_a.user.email)
    page.get_by_role("link", name="Open").click()
    expect(page.get_by_text("0 of 7 forms done")).to_be_visible()
    page.get_by_role("link", name=re.compile("Medical history")).click()
    for key, _ in CONDITIONS:
        page.locator(f"input[name='section-{key}'][value='no']").check()
    screenshot(page, "30-intake-medical-history")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Past treatments")).to_be_visible()
    page.locator("#id_rows-0-kind").select_option("antidepressant")
    page.locator("#id_rows-0-name").fill("sertraline")
    page.locator("#id_rows-0-duration_weeks").fill("12")
    page.locator("#id_rows-0-outcome").select_option("none")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Current medicines")).to_be_visible()
    page.get_by_label("I take no medicines at the moment").check()
    page.get_by_role("button", name="Save and continue").click()
    page.locator("input[name='section-ketamine_hypersensitivity'][value='no']").check()
    page.get_by_role("button", name="Save and continue").click()
    page.locator("#id_section-alcohol_drinks_per_week").fill("2")
    for name, value in [
        ("cannabis", "none"),
        ("ketamine_nonmedical", "never"),
        ("substance_use_disorder", "no"),
    ]:
        page.locator(f"input[name='section-{name}'][value='{value}']").check()
    page.get_by_role("button", name="Save and continue").click()
    page.locator("input[name='section-status'][value='not_pregnant']").check()
    page.locator("input[name='section-breastfeeding'][value='no']").check()
    page.get_by_role("button", name="Save and continue").click()
    page.locator("#id_section-goals").fill("To get out of bed and back to work.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text(f"{len(PATIENT_STEPS)} of {len(PATIENT_STEPS)} forms done")).to_be_visible()
    page.get_by_role("link", name="Read and sign").click()
    page.get_by_label("I have read this consent").check()
    page.get_by_label("Type your full legal name to sign").fill(patient_a.full_name)
    screenshot(page, "31-consent-sign")
    page.get_by_role("button", name="Sign consent").click()
    expect(page.get_by_text("You signed")).to_be_visible()
    screenshot(page, "32-portal-intake-done")
    phone.close()

    tablet = browser.new_context(viewport={"width": 1024, "height": 768})
    tablet.set_default_timeout(10_000)
    page = tablet.new_page()
    sign_in(page, site, nurse.email)
    page.get_by_role("link", name="Screening").first.click()
    expect(page.get_by_text("Staff to enter")).to_be_visible()
    screenshot(page, "33-screening-queue")
    page.get_by_role("link", name="Intake").first.click()
    page.locator("#section-measurements").get_by_role("link", name="Enter").click()
    for field, value in [("measured_on", "2026-11-02"), ("height_cm", "168"), ("weight_kg", "70"), ("bp_systolic", "122"),
                         ("bp_diastolic", "80"), ("heart_rate", "72"), ("spo2", "98"), ("resp_rate", "14")]:  # fmt: skip
        page.locator(f"#id_section-{field}").fill(value)
    page.get_by_role("button", name="Save").click()
    page.locator("#section-referral").get_by_role("link", name="Enter").click()
    page.locator("#id_section-source").select_option("psychiatrist")
    page.get_by_role("button", name="Save").click()
    page.locator("#section-diagnoses").get_by_role("link", name="Enter").click()
    page.locator("#id_rows-0-code").fill("F33.2")
    page.locator("#id_rows-0-description").fill("Major depressive disorder, recurrent, severe")
    page.get_by_role("button", name="Save").click()
    # Tick every section to verify, then verify them in one step.
    for box in page.get_by_role("checkbox", name=re.compile("^Verify")).all():
        box.check()
    page.get_by_role("button", name="Verify the ticked sections").click()
    expect(page.get_by_role("alert").filter(has_text="Verified: Medical history")).to_be_visible()
    expect(page.locator(".intake-section .badge.text-bg-success")).to_have_count(10)
    screenshot(page, "34-intake-verified")
    tablet.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    desk.set_default_timeout(10_000)
    page = desk.new_page()
    sign_in(page, site, prescriber.email)
    page.goto(f"{site}/patients/{patient_a.external_id}/screening/")
    expect(page.get_by_text("Not entered")).to_have_count(0)
    page.get_by_label("Approve", exact=True).check()
    page.get_by_label("Note (required)").fill(
        "Treatment-resistant depression; no contraindications. Suitable for IV."
    )
    screenshot(page, "35-screening-review")
    page.get_by_role("button", name=re.compile("Sign decision")).click()
    expect(page.get_by_text("Decision signed.")).to_be_visible()
    page.goto(f"{site}/patients/{patient_a.external_id}/")
    expect(page.locator("#treatment-gate")).to_contain_text("Yes: IV infusion")
    screenshot(page, "36-patient-may-be-treated")
    desk.close()
