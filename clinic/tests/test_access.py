"""Who reaches what, checked by walking the URLconf: a new view is covered without anyone
remembering to add it here."""

from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic import roles
from sessions.models import IntegrationNote, TreatmentSession

THIRD_PARTY = ("admin", "accounts/")
# Every uuid kwarg a project URL may take, and how to find patient B's object for it.
PATIENT_B_KWARGS = {
    "patient_id": lambda patient: patient.external_id,
    "assignment_id": lambda patient: patient.assignments.first().external_id,
    "response_id": lambda patient: patient.responses.first().external_id,
    "alert_id": lambda patient: patient.risk_alerts.first().external_id,
    "signature_id": lambda patient: patient.consent_signatures.first().external_id,
    "appointment_id": lambda patient: patient.appointments.first().external_id,
    "plan_id": lambda patient: patient.treatment_plans.first().external_id,
    "session_id": lambda patient: patient.treatment_sessions.first().external_id,
    "note_id": lambda patient: patient.integration_notes.first().external_id,
    "export_id": lambda patient: an_export(patient).external_id,
}
SAMPLE_KWARGS = {
    "token": "not-a-real-token",
    "code": "PHQ-9",
    "key": "medications",
    "route": "iv",
    "alert_pk": 1,
}


def an_export(patient):
    """A ready copy of the record the patient asked for in the portal (a stand-in file, checksummed)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from clinic.stored_files import sha256_of_bytes
    from interop.models import RecordExport

    existing = patient.record_exports.first()
    if existing is not None:
        return existing
    content = b"a stand-in for the ZIP"
    export = RecordExport(
        patient=patient,
        requested_by=patient.user,
        status=RecordExport.Status.READY,
        file_sha256=sha256_of_bytes(content),
        file_size=len(content),
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    export.file.save("access-test.zip", ContentFile(content), save=False)
    export.save()
    return export


def a_vial():
    """The ledger's vials belong to the clinic, not to a patient: any vial will do."""
    from sessions.ledger.entries import receive_vial
    from sessions.models import Vial
    from testing.factories import UserFactory

    return Vial.objects.first() or receive_vial(
        lot="ACCESS-1",
        expiry=date(2099, 1, 1),
        concentration_mg_per_ml=50,
        volume_ml=10,
        supplier="Example Pharma",
        invoice_number="INV-1",
        by=UserFactory(),
    )


# Every uuid kwarg of a clinic-wide object (no patient's), and how to find one.
CLINIC_KWARGS = {"vial_id": lambda: a_vial().external_id}


def project_urls():
    """(route, name, view) for every URL of this project, third-party apps left out."""
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(THIRD_PARTY):
                    continue
                ns = entry.namespace or namespace
                walk(entry.url_patterns, route, ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append((route, name, entry.callback))

    walk(get_resolver().url_patterns, "", None)
    return found


def url_for(name, route, patient_b=None):
    kwargs = {}
    for key in PATIENT_B_KWARGS:
        if f":{key}>" in route:
            kwargs[key] = PATIENT_B_KWARGS[key](patient_b)
    for key, find in CLINIC_KWARGS.items():
        if f":{key}>" in route:
            kwargs[key] = find()
    for key, value in SAMPLE_KWARGS.items():
        if f":{key}>" in route:
            kwargs[key] = value
    return reverse(name, kwargs=kwargs)


def patient_scoped():
    return [
        (route, name, view)
        for route, name, view in project_urls()
        if any(f"<uuid:{key}>" in route for key in PATIENT_B_KWARGS)
    ]


def test_every_project_view_declares_who_may_use_it():
    missing = [name for _, name, view in project_urls() if not hasattr(view, "audience")]
    assert not missing, f"decorate these views with staff_view, patient_view or public_view: {missing}"


def test_every_uuid_in_a_url_is_known_to_these_tests():
    unknown = []
    for route, name, _ in project_urls():
        for part in route.split("<uuid:")[1:]:
            key = part.split(">")[0]
            if key not in PATIENT_B_KWARGS and key not in CLINIC_KWARGS:
                unknown.append(f"{name}: {key}")
    assert not unknown, f"tell PATIENT_B_KWARGS (or CLINIC_KWARGS) how to find an object for {unknown}"


def give_one_of_everything(patient, nurse, *, room_name="Room A", days_ahead=5):
    """One of every patient-scoped object: an assignment, a response with its risk alert, a signed
    consent, an appointment, a plan, a treatment session and an integration note (the accessibility
    check walks the same pages with the same data)."""
    from assessments.services import assign, current_version_for, submit_response
    from testing.factories import book_visit, sign_consent_for, treatment_plan

    version = current_version_for("PHQ-9")
    assign(patient, version, due_date=date.today(), purpose="", by=nurse)
    raw = {str(n): 1 for n in range(1, 10)} | {"10": 1}
    submit_response(patient=patient, version=version, raw=raw, entered_by=nurse, mode="clinic")
    sign_consent_for(patient, "iv")
    visit = book_visit(patient, nurse, room_name=room_name, days_ahead=days_ahead)
    treatment_plan(patient, nurse)
    TreatmentSession.objects.create(appointment=visit, patient=patient, route="iv", started_by=nurse)
    IntegrationNote.objects.create(patient=patient, author=nurse)
    return patient


@pytest.fixture
def patient_b(patient_b, nurse):
    give_one_of_everything(patient_b, nurse)
    assert patient_b.risk_alerts.exists()
    return patient_b


@pytest.fixture
def patient_a(patient_a, nurse):
    return give_one_of_everything(patient_a, nurse, room_name="Room B", days_ahead=6)


def test_there_are_patient_scoped_urls_to_check():
    assert len(patient_scoped()) >= 10


@pytest.mark.parametrize("method", ["get", "post"])
def test_patient_a_gets_404_on_every_patient_scoped_url_of_patient_b(
    client_for, patient_a, patient_b, method
):
    client = client_for(patient_a.user)
    for route, name, _ in patient_scoped():
        response = getattr(client, method)(url_for(name, route, patient_b))
        assert response.status_code == 404, f"{method.upper()} {name} gave {response.status_code}"


def test_patient_a_cannot_use_staff_views_of_their_own_record(client_for, patient_a):
    client = client_for(patient_a.user)
    for route, name, view in patient_scoped():
        if view.audience != "staff":
            continue
        response = client.get(url_for(name, route, patient_a))
        assert response.status_code == 403, f"{name} gave {response.status_code}"


def test_anonymous_users_are_sent_to_login_from_every_non_public_url(client, patient_b):
    login = reverse("account_login")
    for route, name, view in project_urls():
        if view.audience == "public":
            continue
        url = url_for(name, route, patient_b)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {name} gave {response.status_code}"
            assert response["Location"].startswith(login), f"{name} sent anonymous users elsewhere"


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_each_staff_role_can_do_exactly_what_its_permissions_say(client_for, staff_by_role, patient_b, role):
    user = staff_by_role[role]
    client = client_for(user)
    allowed_perms = set(roles.ROLE_PERMISSIONS[role])
    for route, name, view in project_urls():
        if view.audience != "staff":
            continue
        url = url_for(name, route, patient_b)
        response = client.get(url)
        if view.required_permission in allowed_perms:
            assert response.status_code in (200, 302, 405), f"{role} refused {name}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} reached {name}: {response.status_code}"


def test_staff_cannot_open_the_patient_portal(client_for, nurse, patient_a):
    for route, name, view in project_urls():
        if view.audience == "patient":
            assert client_for(nurse).get(url_for(name, route, patient_a)).status_code == 403


def test_patient_opens_own_portal_home(client_for, patient_a):
    response = client_for(patient_a.user).get(reverse("portal:home"))
    assert response.status_code == 200
    assert patient_a.legal_family_name in response.content.decode()


def test_a_user_without_a_role_is_refused_with_a_clear_message(client_for, db):
    from testing.factories import UserFactory

    response = client_for(UserFactory()).get("/")
    assert response.status_code == 403
    assert "no role" in response.content.decode()


def test_roles_in_the_database_match_clinic_roles(db):
    from django.contrib.auth.models import Group

    for role, perms in roles.ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(perms), role


def test_a_patient_login_has_no_staff_permissions(patient_a):
    user = patient_a.user
    assert not user.is_clinic_staff
    assert not any(user.has_perm(perm) for perms in roles.ROLE_PERMISSIONS.values() for perm in perms)
