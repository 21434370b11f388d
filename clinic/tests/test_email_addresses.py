"""Every login's address is a verified allauth EmailAddress, so staff can enrol MFA (issue 15, item 7).
The whole first sign-in in Chromium is clinic/tests/test_browser_mfa.py."""

import importlib
import io

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clinic.email_addresses import vouch_for_email
from clinic.models import User
from clinic.tests.test_accounts import sign_in, totp_now
from testing.factories import TEST_PASSWORD, UserFactory

migration = importlib.import_module("clinic.migrations.0017_vouch_for_existing_email_addresses")


def addresses(user):
    return sorted(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))


def test_vouching_verifies_the_current_address_and_drops_old_ones(db):
    user = User.objects.create_user("Old@Test.example", "a-long-password-77")
    EmailAddress.objects.create(user=user, email="old@test.example", verified=False, primary=True)
    user.email = "new@test.example"
    user.save()
    vouch_for_email(user)
    assert addresses(user) == [("new@test.example", True, True)]
    vouch_for_email(user)  # again: nothing changes
    assert addresses(user) == [("new@test.example", True, True)]


def test_an_address_left_on_another_login_moves_to_its_owner(db):
    previous = User.objects.create_user("previous@test.example")
    EmailAddress.objects.create(user=previous, email="shared@test.example", verified=True, primary=False)
    owner = User.objects.create_user("shared@test.example")
    vouch_for_email(owner)
    assert addresses(owner) == [("shared@test.example", True, True)]
    assert addresses(previous) == []


def test_the_migration_verifies_every_existing_login_s_address(db):
    staff = User.objects.create_user("nurse.before@test.example")
    reset_once = User.objects.create_user("reset.once@test.example")
    EmailAddress.objects.create(
        user=reset_once, email="reset.once@test.example", verified=False, primary=False
    )
    EmailAddress.objects.create(user=reset_once, email="stale@test.example", verified=False, primary=True)
    invited = User.objects.create_user("invited@test.example")
    EmailAddress.objects.create(user=invited, email="invited@test.example", verified=True, primary=True)
    migration.vouch_for_existing_addresses(apps, None)
    migration.vouch_for_existing_addresses(apps, None)  # twice: a no-op the second time
    assert addresses(staff) == [("nurse.before@test.example", True, True)]
    assert addresses(reset_once) == [("reset.once@test.example", True, False)]
    assert addresses(invited) == [("invited@test.example", True, True)]


def test_seeded_logins_have_verified_addresses(db):
    call_command("seed_demo", stdout=io.StringIO())
    for email in ("admin@clinic.example", "nurse@clinic.example", "patient@clinic.example"):
        assert addresses(User.objects.get(email=email)) == [(email, True, True)]


@pytest.mark.parametrize("reset_first", [False, True])
def test_a_new_staff_member_enrols_totp_after_a_password_reset(db, client, settings, reset_first):
    """The password reset is what used to record the address unverified, and then allauth refused."""
    settings.REQUIRE_STAFF_MFA = True
    user = UserFactory(email="new.hire@test.example", roles=["Nurse"])
    if reset_first:
        client.post(reverse("account_reset_password"), {"email": user.email})
    sign_in(client, user.email)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    # The clock stands still between making the code and checking it: at a 30 s step boundary the
    # code would otherwise be one step old (allauth's default tolerance is 0 steps).
    with time_machine.travel(timezone.now(), tick=False):
        response = client.post(
            reverse("mfa_activate_totp"), {"code": totp_now(client.session["mfa.totp.secret"])}
        )
    assert response.status_code == 302
    assert client.get(reverse("sessions:today")).status_code == 200
