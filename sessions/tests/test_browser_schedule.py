"""In Chromium: front desk finds the patient by typing part of her name in the calendar's "Book"
box, books an induction series from a treatment plan and sees it on the calendar; the patient
confirms in the portal. Screenshots go to artifacts/screenshots/."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sessions.models import ClinicHours
from testing.browser import sign_in
from testing.factories import room, treatment_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_front_desk_books_an_induction_series_on_the_calendar(
    live_server, cleared, front_desk, prescriber, nurse, browser, screenshot
):
    site = live_server.url
    for weekday in range(5):
        ClinicHours.objects.create(weekday=weekday, opens=time(8), closes=time(18))
    room("Chair 1")
    room("Chair 2")
    cleared.legal_given_name, cleared.legal_family_name = "Amélie", "Nguyễn-O'Brien"
    cleared.save()
    plan = treatment_plan(cleared, prescriber)
    first_day = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())  # next Monday

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    desk.set_default_timeout(10_000)
    page = desk.new_page()
    sign_in(page, site, front_desk.email)
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    page.goto(f"{site}/schedule/?date={first_day.isoformat()}")
    page.get_by_label(re.compile("^Book on .* for$")).press_sequentially("nguyen-o", delay=30)
    expect(page.get_by_role("status")).to_have_text("1 patient found.")
    screenshot(page, "39-calendar-patient-picker")
    page.keyboard.press("Tab")  # Find
    page.keyboard.press("Tab")  # the match
    expect(page.get_by_role("button", name=re.compile("^Nguyễn-O'Brien, Amélie"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Book an appointment for Amélie Nguyễn-O'Brien")).to_be_visible()
    expect(page.locator("#id_date")).to_have_value(first_day.isoformat())
    page.get_by_role("link", name="Amélie Nguyễn-O'Brien").click()
    page.get_by_role("link", name="Appointments").click()
    page.get_by_role("link", name=plan.protocol).click()
    page.locator("#id_first_day").fill(first_day.isoformat())
    page.locator("#id_preferred_time").fill("09:00")
    page.get_by_role("button", name="Propose slots").click()
    expect(page.locator("#proposed-slots li")).to_have_count(6)
    screenshot(page, "40-series-proposed")
    page.get_by_role("button", name="Book all 6 sessions").click()
    expect(page.get_by_text("Booked 6 sessions.")).to_be_visible()
    page.goto(f"{site}/schedule/?view=week&by=room&date={first_day.isoformat()}")
    expect(page.locator(".calendar .appt")).to_have_count(2)  # at most two a week, 48 h apart
    screenshot(page, "41-calendar-week-by-room")
    page.goto(f"{site}/schedule/?view=week&by=clinician&date={(first_day + timedelta(days=7)).isoformat()}")
    expect(page.locator(".calendar .appt")).to_have_count(2)
    screenshot(page, "42-calendar-week-by-clinician")
    desk.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(10_000)
    page = phone.new_page()
    sign_in(page, site, cleared.user.email)
    page.get_by_role("link", name="View").click()
    expect(page.locator(".portal-appointment")).to_have_count(6)
    expect(page.get_by_text("Fasting: nothing to eat for 4 hours").first).to_be_visible()
    page.get_by_role("button", name="Confirm I will come").first.click()
    expect(page.get_by_text("your appointment is confirmed")).to_be_visible()
    screenshot(page, "43-portal-appointments")
    phone.close()


def test_front_desk_picks_a_patient_on_the_calendar_without_javascript(live_server, front_desk, browser):
    from testing.factories import PatientFactory

    amelie = PatientFactory(legal_given_name="Amélie", legal_family_name="Nguyễn-O'Brien")
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server.url, front_desk.email)
    page.goto(f"{live_server.url}/schedule/?view=week&date=2031-05-06")
    page.get_by_label("Book on May 6 for").fill("AMELIE")
    page.keyboard.press("Enter")  # the form's first button: Find, which reloads the calendar with matches
    expect(page.get_by_role("status")).to_have_text("1 patient found.")
    expect(page.get_by_role("heading", name="Week of May 5, 2031")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Nguyễn-O'Brien, Amélie")).click()
    expect(page.get_by_role("heading", name="Book an appointment for Amélie Nguyễn-O'Brien")).to_be_visible()
    assert page.url.endswith(f"/patients/{amelie.external_id}/appointments/book/?date=2031-05-06")
    context.close()
