"""The audit trail: a row for every kind of event the issue names, append-only, and the report."""

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from clinic import roles
from clinic.audit.models import AuditAction, AuditEvent, AuditTrailIsAppendOnly
from clinic.audit.retention import purge_expired
from conftest import REQUIRE_SERVICES
from testing.factories import sign_consent_for

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (AuditTest)", "REMOTE_ADDR": "198.51.100.7"}


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def only(**filters):
    found = events(**filters)
    assert len(found) == 1, f"expected one audit event for {filters}, found {found}"
    return found[0]


# Reads, prints, exports, changes, denials ---------------------------------------------------------


def test_a_prescriber_opening_a_patient_page_is_recorded_with_who_where_and_which_patient(
    client_for, prescriber, patient_a
):
    response = client_for(prescriber).get(reverse("patients:detail", args=[patient_a.external_id]), **BROWSER)
    assert response.status_code == 200
    event = only(action=AuditAction.VIEW, actor_id=prescriber.pk)
    assert event.patient_external_id == patient_a.external_id
    assert event.actor_email == prescriber.email
    assert event.client_address == "198.51.100.7"
    assert event.user_agent == "Mozilla/5.0 (AuditTest)"
    assert event.path == f"/patients/{patient_a.external_id}/"
    assert event.method == "GET" and event.status == 200


def test_the_object_a_url_names_is_recorded(client_for, nurse, patient_a):
    signature = sign_consent_for(patient_a, "iv")
    url = reverse("patients:consent_pdf", args=[patient_a.external_id, signature.external_id])
    response = client_for(nurse).get(url, **BROWSER)
    assert response.status_code == 200
    event = only(actor_id=nurse.pk, action=AuditAction.PRINT)
    assert (event.object_type, event.object_id) == ("signature", str(signature.external_id))
    assert event.patient_external_id == patient_a.external_id


def test_a_patient_reading_their_own_portal_pages_is_recorded(client_for, patient_a):
    response = client_for(patient_a.user).get(reverse("portal:home"), **BROWSER)
    assert response.status_code == 200
    event = only(actor_id=patient_a.user.pk, action=AuditAction.VIEW)
    assert event.actor_is_patient and event.patient_external_id == patient_a.external_id


def test_a_change_is_recorded(client_for, front_desk, patient_a):
    url = reverse("patients:invite", args=[patient_a.external_id])
    response = client_for(front_desk).post(url, **BROWSER)
    assert response.status_code == 302
    assert patient_a.invitations.count() == 1
    event = only(actor_id=front_desk.pk, action=AuditAction.CHANGE)
    assert event.method == "POST" and event.patient_external_id == patient_a.external_id
    assert event.status == 302 and event.path == url


def test_a_change_whose_audit_row_cannot_be_written_is_undone_and_not_silent(
    client_for, front_desk, patient_a
):
    client = client_for(front_desk)
    client.raise_request_exception = False
    with mock.patch("clinic.audit.trail.AuditEvent.objects.create", side_effect=DatabaseError("audit down")):
        response = client.post(reverse("patients:invite", args=[patient_a.external_id]))
    assert response.status_code == 503
    assert b"Nothing was saved" in response.content
    assert patient_a.invitations.count() == 0


def test_a_read_whose_audit_row_cannot_be_written_is_not_shown(client_for, prescriber, patient_a):
    client = client_for(prescriber)
    with mock.patch("clinic.audit.trail.AuditEvent.objects.create", side_effect=DatabaseError("audit down")):
        response = client.get(reverse("patients:detail", args=[patient_a.external_id]))
    assert response.status_code == 503
    assert patient_a.legal_family_name.encode() not in response.content
    assert b"could not record this access" in response.content


def test_a_refused_patient_scoped_url_is_recorded_as_a_denial(client_for, front_desk, patient_a):
    # The front desk may not read session charts.
    url = reverse("sessions:patient_sessions", args=[patient_a.external_id])
    assert client_for(front_desk).get(url, **BROWSER).status_code == 403
    event = only(actor_id=front_desk.pk, action=AuditAction.DENIED)
    assert event.patient_external_id == patient_a.external_id and event.status == 403


def test_another_patients_record_is_a_recorded_denial(client_for, patient_a, patient_b):
    url = reverse("patients:detail", args=[patient_b.external_id])
    response = client_for(patient_a.user).get(url)
    assert response.status_code in (403, 404)
    event = only(actor_id=patient_a.user.pk, action=AuditAction.DENIED)
    assert event.patient_external_id == patient_b.external_id


def test_a_change_refused_by_the_access_check_is_recorded_as_a_denial(client_for, therapist, patient_a):
    url = reverse("patients:edit", args=[patient_a.external_id])
    assert client_for(therapist).post(url, {"phone": "1"}).status_code == 403
    assert only(actor_id=therapist.pk, action=AuditAction.DENIED).method == "POST"


def test_lists_without_a_patient_are_not_patient_reads(client_for, prescriber):
    client_for(prescriber).get(reverse("patients:list"))
    assert not events(action=AuditAction.VIEW)


def test_an_admin_change_page_names_the_patient(client_for, patient_a, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@test.example", "x" * 20)
    url = reverse("admin:patients_patient_change", args=[patient_a.pk])
    assert client_for(superuser).get(url).status_code == 200
    event = only(actor_id=superuser.pk, action=AuditAction.VIEW)
    assert event.patient_external_id == patient_a.external_id
    assert (event.object_type, event.object_id) == ("patients.patient", str(patient_a.pk))


# Sign-in, sign-out, MFA, roles ------------------------------------------------------------------


def test_sign_in_sign_out_and_failed_sign_in_are_recorded(client, nurse):
    nurse.set_password("a long enough password 1")
    nurse.save()
    login = reverse("account_login")
    client.post(login, {"login": nurse.email, "password": "wrong password here"}, **BROWSER)
    failed = only(action=AuditAction.SIGN_IN_FAILED)
    assert (
        failed.actor_id is None and nurse.email in failed.detail and failed.client_address == "198.51.100.7"
    )
    assert "wrong password" not in failed.detail

    client.post(login, {"login": nurse.email, "password": "a long enough password 1"}, **BROWSER)
    assert only(action=AuditAction.SIGN_IN).actor_id == nurse.pk
    client.post(reverse("account_logout"), **BROWSER)
    assert only(action=AuditAction.SIGN_OUT).actor_id == nurse.pk


def test_an_mfa_change_is_recorded(rf, nurse):
    from allauth.mfa.models import Authenticator

    request = rf.post("/accounts/2fa/totp/activate/", **BROWSER)
    request.user = nurse
    authenticator = Authenticator(user=nurse, type=Authenticator.Type.TOTP)
    mfa_signals.authenticator_added.send(
        sender=Authenticator, request=request, user=nurse, authenticator=authenticator
    )
    mfa_signals.authenticator_removed.send(
        sender=Authenticator, request=request, user=nurse, authenticator=authenticator
    )
    found = events(action=AuditAction.MFA)
    assert [event.detail for event in found] == [
        f"added totp for {nurse.email}",
        f"removed totp for {nurse.email}",
    ]
    assert found[0].actor_id == nurse.pk and found[0].client_address == "198.51.100.7"


def test_a_role_or_superuser_grant_in_admin_is_recorded_with_who_granted_it(
    client_for, nurse, django_user_model
):
    superuser = django_user_model.objects.create_superuser("root@test.example", "x" * 20)
    client = client_for(superuser)
    before = set(AuditEvent.objects.filter(action=AuditAction.ROLES).values_list("pk", flat=True))
    url = reverse("admin:clinic_user_change", args=[nurse.pk])
    form = client.get(url).context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None
        and key not in ("groups", "user_permissions", "password", "last_login", "date_joined")
    }
    data["groups"] = [
        str(Group.objects.get(name=roles.NURSE).pk),
        str(Group.objects.get(name=roles.PRESCRIBER).pk),
    ]
    data["is_superuser"] = "on"
    data["is_staff"] = "on"
    data["is_active"] = "on"
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "09:00:00"
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    new = AuditEvent.objects.filter(action=AuditAction.ROLES).exclude(pk__in=before)
    details = " | ".join(new.values_list("detail", flat=True))
    assert "Prescriber" in details and "is_superuser on" in details
    assert set(new.values_list("actor_id", flat=True)) == {superuser.pk}


def test_a_role_change_outside_a_request_says_there_was_no_signed_in_user(nurse):
    nurse.groups.add(Group.objects.get(name=roles.PRESCRIBER))
    event = AuditEvent.objects.filter(action=AuditAction.ROLES).latest("id")
    assert event.actor_id is None and "no signed-in user" in event.detail


# Append-only ------------------------------------------------------------------------------------


@pytest.fixture
def an_event(db):
    from clinic.audit.trail import record

    return record(AuditAction.VIEW, detail="a row")


def test_the_application_cannot_change_or_delete_an_audit_row(an_event):
    an_event.detail = "changed"
    with pytest.raises(AuditTrailIsAppendOnly):
        an_event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        an_event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=an_event.pk).update(detail="changed")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=an_event.pk).delete()


def _require_postgresql():
    if connection.vendor != "postgresql":
        if REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES=1 but the tests do not run on PostgreSQL (set DATABASE_URL)")
        pytest.skip("the append-only trigger exists on PostgreSQL only")


def test_postgresql_refuses_update_and_delete_on_the_audit_table(an_event):
    _require_postgresql()
    for statement in (
        "UPDATE clinic_auditevent SET detail = 'changed' WHERE id = %s",
        "DELETE FROM clinic_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [an_event.pk])
    assert AuditEvent.objects.get(pk=an_event.pk).detail == "a row"


def test_postgresql_refuses_even_the_purge_flag_for_a_recent_row(an_event):
    _require_postgresql()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL clinic.audit_purge = 'on'")
        cursor.execute("DELETE FROM clinic_auditevent WHERE id = %s", [an_event.pk])


def test_the_purge_deletes_only_what_is_older_than_the_retention(db):
    from clinic.models import ClinicSettings

    now = timezone.now()
    old = AuditEvent.objects.create(action=AuditAction.VIEW, at=now - timedelta(days=365 * 7 + 2))
    kept = AuditEvent.objects.create(action=AuditAction.VIEW, at=now - timedelta(days=365 * 5))
    assert purge_expired() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()

    current = ClinicSettings.load()
    current.audit_retention_years = 8
    current.save()
    older = AuditEvent.objects.create(action=AuditAction.VIEW, at=now - timedelta(days=365 * 7 + 2))
    assert purge_expired() == 0 and AuditEvent.objects.filter(pk=older.pk).exists()


def test_retention_cannot_be_set_below_six_years(db):
    from django.core.exceptions import ValidationError

    from clinic.models import ClinicSettings

    current = ClinicSettings.load()
    current.audit_retention_years = 5
    with pytest.raises(ValidationError):
        current.full_clean()


# The report -------------------------------------------------------------------------------------


def test_only_administrators_see_the_audit_report(client_for, staff_by_role, patient_a):
    url = reverse("patients:audit")
    for role, user in staff_by_role.items():
        expected = 200 if role == roles.ADMINISTRATOR else 403
        assert client_for(user).get(url).status_code == expected, role
    assert client_for(patient_a.user).get(url).status_code == 403


def test_the_report_filters_by_user_patient_action_and_dates(
    client_for, administrator, prescriber, nurse, patient_a, patient_b
):
    client_for(prescriber).get(reverse("patients:detail", args=[patient_a.external_id]))
    client_for(nurse).get(reverse("patients:detail", args=[patient_b.external_id]))
    admin = client_for(administrator)
    url = reverse("patients:audit")

    page = admin.get(url, {"patient": patient_a.external_id})
    shown = page.context["events"]
    assert {event.actor_email for event in shown} == {prescriber.email}
    assert page.context["patient_name"] == patient_a.sortable_name

    shown = admin.get(url, {"user": nurse.email, "action": "view"}).context["events"]
    assert [event.patient_external_id for event in shown] == [patient_b.external_id]

    today = timezone.localdate()
    assert admin.get(url, {"start": today, "end": today, "action": "view"}).context["events"]
    assert not admin.get(url, {"end": today - timedelta(days=1)}).context["events"]

    refused = admin.get(url, {"start": today, "end": today - timedelta(days=3)})
    assert refused.status_code == 400 and b"before the start date" in refused.content
    assert admin.get(url, {"patient": "not-a-uuid"}).status_code == 400


def test_the_report_exports_csv_safely_and_records_the_export(
    client_for, administrator, prescriber, patient_a
):
    patient_a.legal_family_name = "=HYPERLINK(1)"
    patient_a.save()
    client_for(prescriber).get(reverse("patients:detail", args=[patient_a.external_id]))
    response = client_for(administrator).get(
        reverse("patients:audit"), {"format": "csv", "patient": patient_a.external_id}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "when (UTC)"
    assert rows[1][2] == prescriber.email
    assert rows[1][5].startswith("'=HYPERLINK")
    export = only(action=AuditAction.EXPORT, actor_id=administrator.pk)
    assert export.object_type == "audit report"


def test_a_patient_page_shows_an_administrator_who_opened_the_record(
    client_for, administrator, nurse, patient_a
):
    client_for(nurse).get(reverse("patients:detail", args=[patient_a.external_id]))
    page = client_for(administrator).get(reverse("patients:detail", args=[patient_a.external_id]))
    assert b"Who has opened this record" in page.content and nurse.email.encode() in page.content
    nurse_page = client_for(nurse).get(reverse("patients:detail", args=[patient_a.external_id]))
    assert b"Who has opened this record" not in nurse_page.content


def test_the_report_page_is_bounded_and_pages_by_offset(
    client_for, administrator, django_assert_max_num_queries
):
    from clinic.audit.trail import record

    for _ in range(120):
        record(AuditAction.SIGN_IN_FAILED, detail="x")
    admin = client_for(administrator)
    first = admin.get(reverse("patients:audit"))
    assert len(first.context["events"]) == 50 and first.context["has_older"]
    third = admin.get(reverse("patients:audit"), {"page": 3})
    assert third.context["events"] and not third.context["has_older"]
    assert admin.get(reverse("patients:audit"), {"page": "x"}).status_code == 200


def test_the_e_mail_address_page_is_closed_so_no_unverified_address_can_block_mfa(client_for, nurse):
    response = client_for(nurse).post("/accounts/email/", {"email": "other@test.example", "action_add": ""})
    assert response.status_code == 302
    from allauth.account.models import EmailAddress

    assert not EmailAddress.objects.filter(email="other@test.example").exists()
