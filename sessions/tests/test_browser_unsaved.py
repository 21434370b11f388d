"""In Chromium: no failed save looks like a success, and nothing typed is lost to a sign-out.

The nurse's session expires while she charts vitals (the server's clock is moved past the idle limit):
pressing "Add vitals" says plainly that nothing was saved and keeps the values; she signs in again, the
reading she typed comes back, and it is charted once. Before the idle sign-out a warning offers "Stay
signed in", and a sign-out by the page itself keeps what was typed too (the browser's clock is moved
with Playwright's clock). A lost network is named as such."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from sessions.models import VitalSignReading
from testing.browser import sign_in
from testing.charting import charted_session
from testing.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TABLET = {"width": 820, "height": 1180}


@pytest.fixture
def running(patient_a, nurse, prescriber):
    """An IV infusion that started 8 minutes ago."""
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=20)
    return charted_session(patient_a, nurse, prescriber, until="administered", start=start)


def _answer_with(status):
    return lambda route: route.fulfill(status=status, body="no")


def _chart(session):
    return f"/patients/{session.patient.external_id}/sessions/{session.external_id}/"


def _type_vitals(page):
    form = page.locator("form.vitals-entry")
    for label, value in (
        ("Systolic", "132"),
        ("Diastolic", "84"),
        ("HR", "76"),
        ("SpO2 %", "97"),
        ("RR", "14"),
    ):
        form.get_by_label(label, exact=True).fill(value)
    return form


def test_nurse_signed_out_while_charting_sees_nothing_was_saved_signs_in_and_charts_the_reading_once(
    live_server, running, nurse, browser, screenshot
):
    site = live_server.url
    with time_machine.travel(timezone.now(), tick=True) as clock:
        context = browser.new_context(viewport=TABLET, has_touch=True, timezone_id="America/New_York")
        context.set_default_timeout(10_000)
        page = context.new_page()
        sign_in(page, site, nurse.email)
        page.goto(site + _chart(running) + "#vitals")
        form = _type_vitals(page)

        clock.shift(timedelta(minutes=16))  # the server's idle limit (15 minutes) passes
        form.get_by_role("button", name="Add vitals").click()
        failure = page.locator("form.vitals-entry .request-failed")
        expect(failure).to_contain_text("Not saved. You were signed out. What you typed is still here.")
        expect(form.get_by_label("Systolic", exact=True)).to_have_value("132")
        assert not VitalSignReading.objects.filter(sbp=132).exists()
        screenshot(page, "unsaved-01-signed-out")

        failure.get_by_role("link", name="Sign in again").click()
        page.locator("#id_login").fill(nurse.email)
        page.locator("#id_password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page.get_by_role("heading", name=re.compile("IV infusion"))).to_be_visible()
        restored = page.locator("form.vitals-entry .unsaved-restored")
        expect(restored).to_contain_text("Not saved yet.")
        expect(restored).to_contain_text("press “Add vitals”")
        form = page.locator("form.vitals-entry")
        expect(form.get_by_label("Systolic", exact=True)).to_have_value("132")
        expect(form.get_by_label("RR", exact=True)).to_have_value("14")
        expect(form.get_by_label("Taken at")).to_have_value(re.compile(r"^\d\d:\d\d$"))  # when it was typed
        screenshot(page, "unsaved-02-restored")

        form.get_by_role("button", name="Add vitals").click()
        expect(page.get_by_text(re.compile("Charted 132/84"))).to_be_visible()
        assert VitalSignReading.objects.filter(session=running, sbp=132).count() == 1
        reading = VitalSignReading.objects.get(session=running, sbp=132)
        assert reading.late_entry  # charted at the time it was typed, 16 server minutes earlier

        page.reload()  # the copy is gone once charted
        expect(page.locator(".unsaved-restored")).to_have_count(0)
        assert VitalSignReading.objects.filter(session=running, sbp=132).count() == 1
        context.close()


def test_staff_are_warned_before_the_idle_sign_out_and_typed_values_survive_it(
    live_server, running, nurse, browser, screenshot
):
    site = live_server.url
    context = browser.new_context(viewport=TABLET)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.clock.install()
    sign_in(page, site, nurse.email)
    page.goto(site + _chart(running) + "#vitals")
    _type_vitals(page)

    page.clock.run_for("13:05")  # the warning comes two minutes before the 15-minute limit
    warning = page.get_by_role("alertdialog")
    expect(warning).to_contain_text("You will be signed out in")
    screenshot(page, "unsaved-03-idle-warning")
    warning.get_by_role("button", name="Stay signed in").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)

    page.clock.run_for("16:00")  # nothing touched: the page signs out by itself
    page.wait_for_url(re.compile(re.escape(_chart(running))))
    expect(page.locator("form.vitals-entry .unsaved-restored")).to_contain_text("Not saved yet.")
    expect(page.locator("form.vitals-entry").get_by_label("Systolic", exact=True)).to_have_value("132")
    context.close()


def test_a_lost_network_a_server_error_and_a_refusal_are_named_and_the_values_stay(
    live_server, running, nurse, browser
):
    site = live_server.url
    context = browser.new_context(viewport=TABLET)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, site, nurse.email)
    page.goto(site + _chart(running) + "#vitals")
    form = _type_vitals(page)
    page.route("**/vitals/", lambda route: route.abort("internetdisconnected"))
    form.get_by_role("button", name="Add vitals").click()
    expect(form.locator(".request-failed")).to_contain_text("Not saved. Clinic could not be reached")
    expect(form.get_by_label("Diastolic", exact=True)).to_have_value("84")
    page.unroute("**/vitals/")
    page.route("**/vitals/", lambda route: route.fulfill(status=500, body="boom"))
    form.get_by_role("button", name="Add vitals").click()
    expect(form.locator(".request-failed")).to_contain_text("Clinic had a problem (error 500)")
    expect(form.locator(".request-failed")).to_have_count(1)  # one message at a time, the latest
    for status, words in (
        (403, "Clinic refused this (403)"),
        (409, "could not accept this request (error 409)"),
    ):
        page.unroute("**/vitals/")
        page.route("**/vitals/", _answer_with(status))
        form.get_by_role("button", name="Add vitals").click()
        expect(form.locator(".request-failed")).to_contain_text(words)
        expect(form.locator(".request-failed").get_by_role("link", name="Reload the page")).to_be_visible()
    page.unroute("**/vitals/")
    # A NUL byte pasted from another program: the server's own reason, as it sent it (a 400).
    form.evaluate(
        "f => { const i = document.createElement('input'); i.type = 'hidden'; i.name = 'pasted';"
        " i.value = 'a\\u0000b'; f.appendChild(i); }"
    )
    form.get_by_role("button", name="Add vitals").click()
    expect(form.locator(".request-failed")).to_contain_text(
        "Not saved. The form contained a character Clinic cannot store (NUL)"
    )
    expect(form.locator(".request-failed")).to_contain_text("What you typed is still here.")
    expect(form.get_by_label("Systolic", exact=True)).to_have_value("132")
    assert not VitalSignReading.objects.filter(sbp=132).exists()
    context.close()


def test_a_therapist_s_note_typed_before_the_sign_out_comes_back_after_signing_in(
    live_server, patient_a, therapist, browser
):
    from sessions.integration.notes import start_note

    note = start_note(patient_a, by=therapist)
    site = live_server.url
    with time_machine.travel(timezone.now(), tick=True) as clock:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        sign_in(page, site, therapist.email)
        page.goto(f"{site}/patients/{patient_a.external_id}/notes/{note.external_id}/")
        clock.shift(timedelta(minutes=16))
        themes = page.get_by_label("Themes")
        themes.fill("Felt connected to her late father; grief without fear.")
        failure = page.locator("#note-form .request-failed")
        expect(failure).to_contain_text("Not saved. You were signed out.")  # the autosave, refused
        failure.get_by_role("link", name="Sign in again").click()
        expect(page.locator("#id_login")).to_be_visible()
        stored = page.evaluate("JSON.stringify(sessionStorage)")
        assert "clinic-unsaved:" in stored and "grief" not in stored  # kept, but only as ciphertext
        page.locator("#id_login").fill(therapist.email)
        page.locator("#id_password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page.locator("#note-form .unsaved-restored")).to_contain_text("press “Save draft”")
        expect(page.get_by_label("Themes")).to_have_value(
            "Felt connected to her late father; grief without fear."
        )
        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_label("Themes")).to_have_value(
            "Felt connected to her late father; grief without fear."
        )
        note.refresh_from_db()
        assert note.themes == "Felt connected to her late father; grief without fear."
        context.close()
