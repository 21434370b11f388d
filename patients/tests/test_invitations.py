import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from patients.models import PortalInvitation
from patients.tasks import send_portal_invitation
from testing.factories import PatientFactory, UserFactory

NEW_PASSWORD = "river-stone-lantern-4"


def link_in(message):
    return re.search(r"https?://\S+/portal/invitation/\S+/", message.body).group(0)


def path_of(url):
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def invited(client_for, nurse, django_capture_on_commit_callbacks):
    patient = PatientFactory(
        legal_given_name="Dana", legal_family_name="Quillfeather", preferred_name="Dee", status="screening"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(nurse).post(reverse("patients:invite", args=[patient.external_id]))
    assert response.status_code == 302
    return patient


def test_nurse_invites_a_patient_and_the_email_carries_a_link_and_nothing_clinical(invited):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invited.email]
    assert "Dee" in message.body
    for clinical in ("screening", "ketamine", invited.date_of_birth.isoformat(), invited.legal_family_name):
        assert clinical.lower() not in (message.subject + message.body).lower()
    assert link_in(message) in message.alternatives[0][0]
    assert PortalInvitation.objects.get().sent_at is not None


def test_patient_sets_a_password_and_lands_on_their_portal_home(client, invited):
    url = path_of(link_in(mail.outbox[0]))
    assert "Dee" in client.get(url).content.decode()
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert "Hello, Dee" in response.content.decode()
    invited.refresh_from_db()
    assert invited.user.check_password(NEW_PASSWORD)
    assert invited.user.email == invited.email

    client.post(reverse("account_logout"))
    client.post(reverse("account_login"), {"login": invited.email, "password": NEW_PASSWORD})
    assert client.get(reverse("portal:home")).status_code == 200


def test_the_link_works_once(client, invited):
    url = path_of(link_in(mail.outbox[0]))
    client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.post(reverse("account_logout"))
    response = client.get(url)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    response = client.post(url, {"password1": "another-pass-word-5", "password2": "another-pass-word-5"})
    assert response.status_code == 410
    invited.refresh_from_db()
    assert invited.user.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused(client, invited):
    url = path_of(link_in(mail.outbox[0]))
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        response = client.get(url)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


@pytest.mark.parametrize("change", [lambda t: t[:-3] + "abc", lambda t: "x" + t[1:], lambda t: "garbage"])
def test_a_tampered_link_is_refused(client, invited, change):
    token = path_of(link_in(mail.outbox[0])).rstrip("/").rsplit("/", 1)[1]
    response = client.get(reverse("portal:accept_invitation", args=[change(token)]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert PortalInvitation.objects.get().accepted_at is None


def test_a_new_invitation_makes_the_older_link_stop_working(
    client, client_for, nurse, invited, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(nurse).post(reverse("patients:invite", args=[invited.external_id]))
    old, new = (path_of(link_in(message)) for message in mail.outbox)
    assert old != new
    response = client.get(old)
    assert response.status_code == 410
    assert "newer invitation" in response.content.decode()
    assert client.get(new).status_code == 200


def test_mismatched_passwords_are_refused_and_the_link_still_works(client, invited):
    url = path_of(link_in(mail.outbox[0]))
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert "differ" in response.content.decode()
    response = client.post(url, {"password1": "12345", "password2": "12345"})
    assert "too short" in response.content.decode()
    assert client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302


def test_a_patient_without_email_cannot_be_invited(client_for, nurse):
    patient = PatientFactory(email="")
    response = client_for(nurse).post(reverse("patients:invite", args=[patient.external_id]), follow=True)
    assert "Add the patient&#x27;s email address" in response.content.decode()
    assert not PortalInvitation.objects.exists()


def test_an_email_used_by_another_login_is_refused(client_for, nurse):
    UserFactory(email="shared@test.example")
    patient = PatientFactory(email="shared@test.example")
    response = client_for(nurse).post(reverse("patients:invite", args=[patient.external_id]), follow=True)
    assert "Another login already uses this email address" in response.content.decode()
    assert not PortalInvitation.objects.exists()


def test_the_send_task_is_safe_to_run_twice(invited):
    invitation = PortalInvitation.objects.get()
    send_portal_invitation(invitation.pk)
    send_portal_invitation(invitation.pk)
    assert len(mail.outbox) == 1


def test_inviting_needs_a_post(client_for, nurse):
    patient = PatientFactory()
    assert client_for(nurse).get(reverse("patients:invite", args=[patient.external_id])).status_code == 405
    assert not PortalInvitation.objects.exists()


def test_staff_see_the_invitation_state_on_the_patient_page(client_for, nurse, invited):
    page = client_for(nurse).get(reverse("patients:detail", args=[invited.external_id])).content.decode()
    assert "email sent" in page
    assert "Send a new invitation" in page
