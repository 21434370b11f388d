import re
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.models import ClinicSettings, User
from testing.factories import TEST_PASSWORD


def totp_now(secret):
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_nurse_can_sign_in_with_email_and_password(client, nurse):
    response = sign_in(client, nurse.email.upper())
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, nurse):
    response = sign_in(client, nurse.email, "wrong-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_failed_logins_are_rate_limited(client, nurse):
    for _ in range(5):
        sign_in(client, nurse.email, "wrong-password")
    response = sign_in(client, nurse.email)  # even the right password is held back for a while
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anyone_cannot_sign_up(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "stranger@test.example",
            "password1": "x-long-password-1",
            "password2": "x-long-password-1",
        },
    )
    assert "closed" in response.content.decode().lower()
    assert not User.objects.filter(email="stranger@test.example").exists()


def test_patient_can_reset_a_forgotten_password_by_email(client, patient_a):
    client.post(reverse("account_reset_password"), {"email": patient_a.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body).group(0)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": "a-brand-new-pass-7", "password2": "a-brand-new-pass-7"})
    assert response.status_code == 302
    assert sign_in(client, patient_a.user.email, "a-brand-new-pass-7").status_code == 302


def test_staff_are_signed_out_after_15_idle_minutes(client_for, nurse):
    client = client_for(nurse)
    url = reverse("patients:list")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.get(url).status_code == 200
        clock.shift(timedelta(minutes=14))
        assert client.get(url).status_code == 200
        clock.shift(timedelta(minutes=16))
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(url).status_code == 302


def test_a_page_within_half_a_minute_of_the_last_does_not_write_the_session(client_for, nurse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(nurse)
    url = reverse("patients:list")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(url)
        clock.shift(timedelta(seconds=20))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        writes = [q["sql"] for q in queries if "django_session" in q["sql"] and q["sql"].startswith("UPDATE")]
        assert not writes
        clock.shift(timedelta(seconds=40))
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        assert any("django_session" in q["sql"] and q["sql"].startswith("UPDATE") for q in queries)


def test_patients_stay_signed_in_for_30_idle_minutes_not_longer(client_for, patient_a):
    client = client_for(patient_a.user)
    url = reverse("portal:home")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(url)
        clock.shift(timedelta(minutes=25))
        assert client.get(url).status_code == 200
        clock.shift(timedelta(minutes=31))
        assert client.get(url).status_code == 302


def test_administrator_can_change_the_idle_limit(client_for, nurse):
    current = ClinicSettings.load()
    current.staff_idle_minutes = 5
    current.save()
    client = client_for(nurse)
    url = reverse("patients:list")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(url)
        clock.shift(timedelta(minutes=6))
        assert client.get(url).status_code == 302


def test_staff_must_enrol_mfa_when_the_clinic_requires_it(client_for, nurse, settings):
    settings.REQUIRE_STAFF_MFA = True
    response = client_for(nurse).get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_patients_are_not_forced_to_enrol_mfa(client_for, patient_a, settings):
    settings.REQUIRE_STAFF_MFA = True
    assert client_for(patient_a.user).get(reverse("portal:home")).status_code == 200


def test_nurse_enrols_totp_and_then_signs_in_with_a_code(client, nurse, settings):
    settings.REQUIRE_STAFF_MFA = True
    sign_in(client, nurse.email)
    page = client.get(reverse("mfa_activate_totp"))
    assert page["Location"].startswith(reverse("account_reauthenticate"))  # password once more
    client.post(page["Location"], {"password": TEST_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=nurse, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=nurse, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get(reverse("patients:list")).status_code == 200

    client.post(reverse("account_logout"))
    response = sign_in(client, nurse.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("patients:list")).status_code == 302  # not in yet
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
        assert response.status_code == 302
        assert client.get(reverse("patients:list")).status_code == 200


def test_django_admin_signs_in_through_allauth(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_administrator_manages_users_in_admin(client_for, administrator, nurse):
    client = client_for(administrator)
    assert client.get(reverse("admin:clinic_user_changelist")).status_code == 200
    assert client.get(reverse("admin:clinic_user_change", args=[nurse.pk])).status_code == 200
    assert client.get(reverse("admin:patients_patient_changelist")).status_code == 200
    assert client.get(reverse("admin:clinic_clinicsettings_changelist"), follow=True).status_code == 200


def test_superuser_assigns_a_role_in_admin(client, db):
    """Only a superuser grants roles (clinic/tests/test_admin_privileges.py)."""
    from django.contrib.auth.models import Group

    client.force_login(User.objects.create_superuser("root@test.example", "a-long-password-77"))
    response = client.post(
        reverse("admin:clinic_user_add"),
        {
            "email": "new.nurse@test.example",
            "first_name": "New",
            "last_name": "Nurse",
            "credential": "RN",
            "groups": [Group.objects.get(name="Nurse").pk],
            "password1": "a-long-password-77",
            "password2": "a-long-password-77",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.nurse@test.example")
    assert user.has_role("Nurse")
    assert not user.is_staff


@pytest.mark.parametrize("fixture", ["nurse", "prescriber", "therapist", "front_desk"])
def test_clinical_staff_cannot_open_django_admin(client_for, request, fixture):
    user = request.getfixturevalue(fixture)
    assert client_for(user).get("/admin/").status_code in (302, 403)
    assert client_for(user).get(reverse("admin:clinic_user_changelist")).status_code in (302, 403)


def test_administrator_edits_the_clinic_s_own_settings(client_for, administrator):
    """Only the clinic itself and sign-in: reminder timing, thresholds and the rest are each layer's
    settings (sessions/tests/test_settings_admin.py)."""
    current = ClinicSettings.load()
    page = (
        client_for(administrator)
        .get(reverse("admin:clinic_clinicsettings_change", args=[current.pk]))
        .content.decode()
    )
    for field in ("name", "phone", "address", "crisis_line", "emergency_number", "staff_idle_minutes"):
        assert f'name="{field}"' in page
    for field in ("reminder_hours", "hold_sbp", "intake_self_verification", "outcome_min_followups"):
        assert f'name="{field}"' not in page
