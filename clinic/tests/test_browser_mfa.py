"""In Chromium, with staff MFA enforced: a staff member whose account was just made in Django admin
sets a password from the e-mailed link, signs in, is taken to enrolment, enrols an authenticator app,
keeps the recovery codes and reaches Today. No dead end on the way (issue 15, item 7: allauth refuses
enrolment while an address is unverified, and the password reset records one). Screenshots go to
artifacts/screenshots/."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from clinic import roles
from clinic.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_PASSWORD = "first-day-at-the-clinic-2026"


def totp_now(secret):
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def make_account_in_admin(administrator, superuser):
    """What the clinic does for a new hire: an administrator makes the account with a temporary
    password (the hire chooses their own from the reset e-mail) and a superuser gives it its role."""
    desk = Client()
    desk.force_login(administrator, backend="django.contrib.auth.backends.ModelBackend")
    response = desk.post(
        reverse("admin:clinic_user_add"),
        {
            "email": "new.nurse@test.example",
            "first_name": "Noor",
            "last_name": "Haddad",
            "credential": "RN",
            "password1": "temporary-password-from-the-office",
            "password2": "temporary-password-from-the-office",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    hire = User.objects.get(email="new.nurse@test.example")
    owner = Client()
    owner.force_login(superuser, backend="django.contrib.auth.backends.ModelBackend")
    response = owner.post(
        reverse("admin:clinic_user_change", args=[hire.pk]),
        {
            "email": hire.email,
            "first_name": hire.first_name,
            "last_name": hire.last_name,
            "credential": hire.credential,
            "is_active": "on",
            "groups": [Group.objects.get(name=roles.NURSE).pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return hire


def test_a_new_staff_member_enrols_totp_on_first_sign_in_and_reaches_today(
    live_server, administrator, browser, settings, screenshot
):
    superuser = User.objects.create_superuser("owner@test.example", "an-owner-password-77")
    hire = make_account_in_admin(administrator, superuser)
    settings.REQUIRE_STAFF_MFA = True
    site = live_server.url
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()

    # Their own password, from the reset link (where allauth used to record the address unverified).
    page.goto(f"{site}/accounts/password/reset/")
    page.get_by_label("Email").fill(hire.email)
    page.get_by_role("button", name="Reset My Password").click()
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[-1].body).group(0)
    page.goto(site + link[link.index("/accounts/") :])
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    page.goto(f"{site}/accounts/login/")
    page.locator("#id_login").fill(hire.email)
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Set up an authenticator app before using Clinic")).to_be_visible()
    screenshot(page, "h3-mfa-after-sign-in")
    if "/accounts/reauthenticate/" in page.url:  # allauth asks for the password before adding MFA
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    screenshot(page, "h3-mfa-enrolment")
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_now(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    screenshot(page, "h3-mfa-recovery-codes")
    assert Authenticator.objects.filter(user=hire, type=Authenticator.Type.TOTP).exists()

    page.get_by_role("link", name="Today").click()
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    assert page.url.rstrip("/").endswith("/today")
    # The audit trail saw the sign-in and the enrolment, with the browser's user agent.
    from clinic.audit.models import AuditAction, AuditEvent

    trail = AuditEvent.objects.filter(actor_id=hire.pk)
    assert trail.filter(action=AuditAction.SIGN_IN).exists()
    enrolled = trail.get(action=AuditAction.MFA, detail__startswith="added totp")
    assert "Chrome" in enrolled.user_agent and enrolled.client_address == "127.0.0.1"
    screenshot(page, "h3-mfa-today")
    context.close()
