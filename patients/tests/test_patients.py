from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from patients.tests.test_search import search
from testing.factories import PatientFactory

VALID = {
    "legal_given_name": "Casey",
    "legal_family_name": "Marlow",
    "preferred_name": "Cas",
    "date_of_birth": "1988-07-04",
    "sex_at_birth": "female",
    "gender_identity": "Non-binary",
    "pronouns": "they/them",
    "phone": "(555) 010-4242",
    "email": "Casey.Marlow@Test.Example",
    "address_line1": "1 Test Road",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "emergency_contact_name": "Robin Marlow",
    "emergency_contact_relationship": "Sibling",
    "emergency_contact_phone": "555-010-9999",
    "escort_name": "Robin Marlow",
    "escort_phone": "555-010-9999",
    "status": "inquiry",
}


def test_nurse_can_register_a_patient(client_for, nurse):
    response = client_for(nurse).post(reverse("patients:create"), VALID)
    patient = Patient.objects.get(legal_family_name="Marlow")
    assert response["Location"] == reverse("patients:detail", args=[patient.external_id])
    assert patient.email == "casey.marlow@test.example"
    assert patient.phone_digits == "5550104242"
    record = patient.history.get()
    assert record.history_user == nurse
    assert record.history_type == "+"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", (timezone.localdate() + timedelta(days=1)).isoformat(), "cannot be in the future"),
        ("date_of_birth", "1850-01-01", "before 1900"),
        ("date_of_birth", "31/31/1999", "Enter a valid date"),
        ("phone", "call me maybe", "Enter a phone number"),
        ("email", "not-an-email", "valid email"),
        ("legal_family_name", "", "This field is required"),
        ("status", "deceased", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(client_for, front_desk, field, value, message):
    response = client_for(front_desk).post(reverse("patients:create"), {**VALID, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_front_desk_can_edit_a_patient_and_the_change_is_kept_with_who_and_when(
    client_for, front_desk, nurse
):
    patient = PatientFactory(phone="555-010-1111", status="inquiry")
    client_for(front_desk).post(
        reverse("patients:edit", args=[patient.external_id]),
        {**VALID, "phone": "555-010-2222", "status": "screening"},
    )
    patient.refresh_from_db()
    assert patient.phone == "555-010-2222"
    latest = patient.history.first()
    assert latest.history_user == front_desk

    page = client_for(nurse).get(reverse("patients:history", args=[patient.external_id])).content.decode()
    assert "555-010-1111" in page
    assert "555-010-2222" in page
    assert "Screening" in page
    assert front_desk.get_full_name() in page


def test_an_unchanged_form_writes_no_history(client_for, nurse):
    client = client_for(nurse)
    client.post(reverse("patients:create"), VALID)
    patient = Patient.objects.get()
    client.post(reverse("patients:edit", args=[patient.external_id]), VALID)
    assert patient.history.count() == 1


def test_therapist_can_view_but_not_change_patients(client_for, therapist):
    patient = PatientFactory()
    client = client_for(therapist)
    page = client.get(reverse("patients:detail", args=[patient.external_id])).content.decode()
    assert patient.legal_family_name in page
    assert reverse("patients:edit", args=[patient.external_id]) not in page
    assert client.post(reverse("patients:edit", args=[patient.external_id]), VALID).status_code == 403
    assert client.post(reverse("patients:create"), VALID).status_code == 403
    assert not Patient.objects.filter(legal_family_name="Marlow").exists()


@pytest.fixture
def register(db):
    PatientFactory(
        legal_given_name="Alma", legal_family_name="Quist", date_of_birth="1970-02-03", phone="(555) 777-1234"
    )
    PatientFactory(
        legal_given_name="Bruno", legal_family_name="Quist", preferred_name="Bru", phone="555 888 4321"
    )
    PatientFactory(
        legal_given_name="Carla",
        legal_family_name="Ortiz",
        date_of_birth="1999-12-31",
        phone="+1 555 999 0000",
    )


def names_in(response):
    return [patient.legal_given_name for patient in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("quist", ["Alma", "Bruno"]),
        ("bru quist", ["Bruno"]),
        ("1970-02-03", ["Alma"]),
        ("12/31/1999", ["Carla"]),
        ("777-12", ["Alma"]),
        ("(555) 888", ["Bruno"]),
        ("nobody", []),
        ("'; drop table", []),
    ],
)
def test_staff_search_by_name_date_of_birth_or_phone(client_for, front_desk, register, query, expected):
    response = search(client_for(front_desk), query)
    assert names_in(response) == expected


def test_list_filters_by_status(client_for, nurse):
    PatientFactory(legal_given_name="Active", status="active")
    PatientFactory(legal_given_name="Waiting", status="screening")
    response = client_for(nurse).get(reverse("patients:list"), {"status": "active"})
    assert names_in(response) == ["Active"]


def test_list_is_paginated_with_a_fixed_number_of_queries(client_for, nurse, django_assert_max_num_queries):
    PatientFactory.create_batch(60)
    client = client_for(nurse)
    client.get(reverse("patients:list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("patients:list"), {"page": 2})
    assert len(response.context["page"].object_list) == 25
    assert "Page 2 of 3" in response.content.decode()
    assert client.get(reverse("patients:list"), {"page": "nonsense"}).status_code == 200


def test_an_unknown_patient_is_a_404_page(client_for, nurse):
    response = client_for(nurse).get("/patients/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
