"""A patient's change history: a page at a time, each change against the version before it, and a
record with no history at all (loaded in bulk) shows an empty list rather than an error."""

from django.urls import reverse

from testing.factories import PatientFactory


def history_page(client, patient, page=None):
    response = client.get(
        reverse("patients:history", args=[patient.external_id]), {"page": page} if page else {}
    )
    assert response.status_code == 200
    return response.content.decode()


def test_administrator_sees_an_empty_history_of_a_record_loaded_without_one(client_for, administrator):
    patient = PatientFactory()
    patient.history.all().delete()
    page = history_page(client_for(administrator), patient)
    assert patient.legal_family_name in page


def test_the_last_change_of_a_page_is_compared_with_the_first_of_the_next(client_for, administrator):
    patient = PatientFactory(preferred_name="v0")
    for number in range(1, 52):  # 52 versions: 50 on the first page, 2 on the second
        patient.preferred_name = f"v{number}"
        patient.save()
    client = client_for(administrator)
    first = history_page(client, patient)
    assert "<td>v50</td><td>v51</td>" in first
    # The first page's last entry (v2) is compared with v1, which is on the second page.
    assert "<td>v1</td><td>v2</td>" in first
    second = history_page(client, patient, 2)
    assert "<td>v0</td><td>v1</td>" in second and "registered" in second
