"""In Chromium: a nurse signs in, registers a patient and invites them; the patient opens the link
from the email, sets a password and sees their portal home. Screenshots go to artifacts/screenshots/."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from testing.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url
    return live_server.url


def test_nurse_registers_and_invites_a_patient_who_then_sets_a_password(site, nurse, browser, screenshot):
    staff = browser.new_context(viewport={"width": 1024, "height": 768})  # a clinic tablet, landscape
    staff.set_default_timeout(10_000)
    page = staff.new_page()
    page.goto(site + "/")
    expect(page.get_by_role("button", name="Sign In")).to_be_visible()
    screenshot(page, "01-sign-in")
    page.get_by_label("Email").fill(nurse.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()  # staff start on Today
    page.get_by_role("link", name="Patients", exact=True).click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    screenshot(page, "02-patient-list-empty")

    page.get_by_role("link", name="Register patient").first.click()
    page.get_by_label("Legal first name").fill("Morgan")
    page.get_by_label("Legal last name").fill("Testwell")
    page.get_by_label("Preferred name").fill("Mo")
    page.get_by_label("Date of birth").fill("1983-05-17")
    page.get_by_label("Sex at birth").select_option("male")
    page.get_by_label("Pronouns").fill("he/him")
    page.locator("#id_phone").fill("(555) 010-7788")
    page.get_by_label("Email").fill("morgan.testwell@test.example")
    page.get_by_label("Escort (driver) name").fill("Sam Testwell")
    screenshot(page, "03-register-form")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_text("Morgan Testwell is registered.")).to_be_visible()

    page.get_by_role("button", name="Invite to portal").click()
    expect(page.get_by_text("Invitation queued for morgan.testwell@test.example")).to_be_visible()
    expect(page.locator("#portal-access")).to_contain_text("email sent")
    screenshot(page, "04-patient-invited")

    page.goto(site + "/patients/?q=testwell")
    expect(page.get_by_role("link", name="Testwell, Morgan (Mo)")).to_be_visible()
    screenshot(page, "05-patient-search")

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/portal/invitation/\S+/", mail.outbox[0].body).group(0)
    assert link.startswith(site)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(10_000)
    patient_page = phone.new_page()
    patient_page.goto(link)
    expect(patient_page.get_by_role("heading", name="Welcome, Mo")).to_be_visible()
    screenshot(patient_page, "06-set-password")
    patient_page.locator("#id_password1").fill("quiet-meadow-harbor-3")
    patient_page.locator("#id_password2").fill("quiet-meadow-harbor-3")
    patient_page.get_by_role("button", name="Set password and continue").click()
    expect(patient_page.get_by_role("heading", name="Hello, Mo")).to_be_visible()
    expect(patient_page.get_by_text("May 17, 1983")).to_be_visible()
    screenshot(patient_page, "07-portal-home")

    patient_page.goto(link)
    expect(patient_page.get_by_role("heading", name="This link has already been used")).to_be_visible()
    screenshot(patient_page, "08-link-used")

    patient_page.goto(site + "/patients/")
    expect(patient_page.get_by_text("Not allowed")).to_be_visible()
    screenshot(patient_page, "09-patient-refused-staff-page")
    staff.close()
    phone.close()


def test_an_idle_staff_screen_returns_to_sign_in_by_itself(site, nurse, browser, screenshot):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from clinic.models import ClinicSettings

    current = ClinicSettings.load()
    current.staff_idle_minutes = 1
    current.save()
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.clock.install()
    page.goto(site + "/accounts/login/")
    page.locator("#id_login").fill(nurse.email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    with time_machine.travel(timezone.now() + timedelta(seconds=75)):
        page.clock.fast_forward(80_000)  # the page's own timer: no keys, no clicks for 80 s
        expect(page.get_by_role("button", name="Sign In")).to_be_visible()
        expect(page.get_by_text("signed out after 1 minute without activity")).to_be_visible()
    screenshot(page, "10-idle-signed-out")
    context.close()
