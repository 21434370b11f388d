"""The screening queue shows a page of patients at a time, and works out what each waits for on the
page shown only, so it costs the same with 60 patients in screening or 6,000."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Patient
from patients.screening_views import QUEUE_PAGE_SIZE
from testing.factories import PatientFactory


def in_screening(count):
    return PatientFactory.create_batch(count, status=Patient.Status.SCREENING, treatment_route="iv")


def queue_page(client, page=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patients:queue"), {"page": page} if page else {})
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_nurse_pages_through_the_screening_queue_in_name_order(client_for, nurse):
    patients = sorted(
        in_screening(QUEUE_PAGE_SIZE + 3), key=lambda p: (p.legal_family_name, p.legal_given_name)
    )
    client = client_for(nurse)
    first, _ = queue_page(client)
    second, _ = queue_page(client, 2)
    assert patients[0].sortable_name in first and patients[-1].sortable_name not in first
    assert patients[-1].sortable_name in second and patients[0].sortable_name not in second
    assert f"{QUEUE_PAGE_SIZE + 3} in all" in first
    assert "Page 2 of 2" in second


def test_the_queue_costs_the_same_queries_for_a_longer_queue(client_for, nurse):
    in_screening(5)
    client = client_for(nurse)
    queue_page(client)  # the session's first write is not the page's
    _, few = queue_page(client)
    in_screening(2 * QUEUE_PAGE_SIZE)
    _, many = queue_page(client)
    assert many == few


def test_a_page_number_past_the_end_shows_the_last_page(client_for, nurse):
    in_screening(3)
    page, _ = queue_page(client_for(nurse), "99")
    assert page.count("/intake/") >= 3
    page, _ = queue_page(client_for(nurse), "abc")
    assert "Screening queue" in page
