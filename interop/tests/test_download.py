"""The right of access: a patient asks for a copy of their record in the portal and downloads it;
staff make one for a request received by mail or fax and record its delivery. The ZIP holds a FHIR
Bundle that validates and a readable PDF; every download and delivery is in the audit trail; a broker
outage or a failed build never leaves the page silent."""

import io
import json
import shutil
import subprocess
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from kombu.exceptions import OperationalError

from clinic.audit.models import AuditAction, AuditEvent
from conftest import require_service
from interop import tasks
from interop.models import RecordExport
from sessions.integration.notes import save_draft, sign, start_note
from testing.charting import charted_session
from testing.factories import TEST_PASSWORD, book_visit, sign_consent_for

PRIVATE = "PRIVATE-THERAPIST-WORDS"
SHARED = "Keep the evening breathing practice."
PORTAL = reverse("interop:portal_record")


@pytest.fixture
def record_of_a(patient_a, nurse, prescriber, therapist):
    """Patient A with a charted IV session, an appointment, a consent, and one signed integration note
    whose summary was shared (its private sections must stay out of the patient's copy)."""
    charted_session(patient_a, nurse, prescriber)
    book_visit(patient_a, nurse, room_name="Room C", days_ahead=3)
    sign_consent_for(patient_a, "iv")
    note = start_note(patient_a, by=prescriber)
    save_draft(
        note,
        by=prescriber,
        experience=PRIVATE,
        insights=PRIVATE,
        plan=PRIVATE,
        risk_note=PRIVATE,
        risk_reviewed=True,
        patient_summary=SHARED,
    )
    sign(note, by=prescriber, password=TEST_PASSWORD, share_summary=True)
    return patient_a


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """post(client, url, data): a form sent, with the tasks it queues run once it commits (eager Celery)."""

    def send(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return send


def _status_url(export):
    return reverse("interop:portal_record_status", args=[export.external_id])


def _download_url(export):
    return reverse("interop:portal_record_download", args=[export.external_id])


def _zip(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: archive.read(name) for name in archive.namelist()}


def _pdf_text(pdf, tmp_path):
    require_service(shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_patient_asks_for_a_copy_sees_it_ready_and_downloads_it(client_for, record_of_a, tmp_path, post):
    client = client_for(record_of_a.user)
    home = client.get(reverse("portal:home"))
    assert PORTAL in home.content.decode()

    response = post(client, PORTAL)
    assert response.status_code == 302
    export = RecordExport.objects.get(patient=record_of_a)
    assert export.for_portal and export.requested_by == record_of_a.user
    assert export.status == RecordExport.Status.READY  # Celery runs eagerly in tests
    assert export.progress == 100 and export.file_sha256 and export.expires_at > timezone.now()
    assert export.expires_at - export.finished_at == timedelta(days=tasks.DEFAULT_KEEP_DAYS)

    page = client.get(PORTAL).content.decode()
    assert "Your copy is ready" in page and _download_url(export) in page
    assert 'hx-trigger="every 2s"' not in page  # finished: the page stops polling

    assert client.get(_download_url(export)).status_code == 405  # a disclosure is a form sent, not a link
    response = client.post(_download_url(export))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="health-record-')
    assert record_of_a.legal_family_name.lower() not in response["Content-Disposition"].lower()
    files = _zip(response.content)
    assert set(files) == {"README.txt", "bundle.json", "record.pdf"}

    bundle = Bundle.model_validate_json(files["bundle.json"])
    kinds = {entry.resource.get_resource_type() for entry in bundle.entry}
    assert {"Patient", "Encounter", "Observation", "MedicationAdministration", "Consent"} <= kinds
    assert PRIVATE not in files["bundle.json"].decode()
    assert "@" not in json.dumps(
        [
            e["resource"]
            for e in json.loads(files["bundle.json"])["entry"]
            if e["resource"]["resourceType"] == "Practitioner"
        ]
    )

    text = _pdf_text(files["record.pdf"], tmp_path)
    assert "Your health record" in text
    assert record_of_a.legal_family_name in text
    assert "Treatment sessions" in text and "mg/kg" in text
    assert SHARED in text and PRIVATE not in text
    assert "Consents" in text

    export.refresh_from_db()
    assert export.downloaded_at is not None and export.download_count == 1
    audited = AuditEvent.objects.filter(
        action=AuditAction.EXPORT,
        patient_external_id=record_of_a.external_id,
        object_id=str(export.external_id),
    )
    assert audited.count() == 1
    assert audited.get().actor_id == record_of_a.user_id


def test_a_double_click_asks_once_while_a_copy_is_being_made(client_for, patient_a, post):
    client = client_for(patient_a.user)
    with mock.patch.object(tasks.build_record_export, "apply_async"):
        post(client, PORTAL)
        post(client, PORTAL)
    assert RecordExport.objects.filter(patient=patient_a).count() == 1


def test_patient_b_cannot_see_or_download_patient_a_copy(client_for, record_of_a, patient_b, post):
    post(client_for(record_of_a.user), PORTAL)
    export = RecordExport.objects.get(patient=record_of_a)
    other = client_for(patient_b.user)
    assert other.get(_status_url(export)).status_code == 404
    assert other.post(_download_url(export)).status_code == 404
    assert other.get(_download_url(export)).status_code == 404
    assert str(export.external_id) not in other.get(PORTAL).content.decode()
    staff_url = reverse("interop:record_export_download", args=[record_of_a.external_id, export.external_id])
    assert other.post(staff_url).status_code == 404
    assert client_for(record_of_a.user).post(staff_url).status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, actor_id=patient_b.user_id).exists()


def test_broker_down_the_page_answers_the_row_waits_and_the_sweep_sends_it(client_for, patient_a, post):
    client = client_for(patient_a.user)
    with mock.patch.object(tasks.build_record_export, "apply_async", side_effect=OperationalError("down")):
        response = post(client, PORTAL)
        assert response.status_code == 302
        page = client.get(PORTAL)
    assert page.status_code == 200
    export = RecordExport.objects.get(patient=patient_a)
    assert export.status == RecordExport.Status.QUEUED
    body = page.content.decode()
    assert 'hx-trigger="every 2s"' in body and _status_url(export) in body
    assert "waiting to start" in body

    RecordExport.objects.filter(pk=export.pk).update(requested_at=timezone.now() - timedelta(minutes=2))
    tasks.sweep_record_exports()  # the broker is back
    export.refresh_from_db()
    assert export.status == RecordExport.Status.READY


def test_the_next_poll_requeues_a_copy_the_broker_lost(client_for, patient_a, post):
    client = client_for(patient_a.user)
    with mock.patch.object(tasks.build_record_export, "apply_async", side_effect=OperationalError("down")):
        post(client, PORTAL)
    export = RecordExport.objects.get(patient=patient_a)
    RecordExport.objects.filter(pk=export.pk).update(requested_at=timezone.now() - timedelta(minutes=2))
    assert client.get(_status_url(export)).status_code == 302  # a plain GET goes to the page
    fragment = client.get(_status_url(export), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    export.refresh_from_db()
    assert export.status == RecordExport.Status.READY


def test_a_failed_build_says_so_and_offers_to_try_again(client_for, patient_a, post):
    client = client_for(patient_a.user)
    with mock.patch.object(tasks, "record_pdf", side_effect=RuntimeError("fonts missing")):
        post(client, PORTAL)
    export = RecordExport.objects.get(patient=patient_a)
    assert export.status == RecordExport.Status.FAILED and "fonts missing" in export.error
    for page in (client.get(PORTAL), client.get(_status_url(export), HTTP_HX_REQUEST="true")):
        body = page.content.decode()
        assert page.status_code == 200
        assert "We could not make your copy" in body and "Try again" in body
        assert "fonts missing" not in body  # the reason is for staff and the log
        assert 'hx-trigger="every 2s"' not in body
    assert client.post(_download_url(export)).status_code == 409

    post(client, PORTAL)  # try again
    assert RecordExport.objects.filter(patient=patient_a, status=RecordExport.Status.READY).count() == 1


def test_a_worker_that_died_is_retried_then_given_up(patient_a):
    export = RecordExport.objects.create(
        patient=patient_a,
        requested_by=patient_a.user,
        status=RecordExport.Status.WORKING,
        started_at=timezone.now() - timedelta(hours=1),
        attempts=tasks.MAX_ATTEMPTS,
    )
    tasks.sweep_record_exports()
    export.refresh_from_db()
    assert export.status == RecordExport.Status.FAILED
    RecordExport.objects.filter(pk=export.pk).update(status=RecordExport.Status.WORKING, attempts=1)
    tasks.sweep_record_exports()
    export.refresh_from_db()
    assert export.status == RecordExport.Status.READY


def test_the_task_is_safe_to_run_twice(client_for, patient_a, post):
    post(client_for(patient_a.user), PORTAL)
    export = RecordExport.objects.get(patient=patient_a)
    sha = export.file_sha256
    tasks.build_record_export(export.pk)
    export.refresh_from_db()
    assert export.file_sha256 == sha and export.attempts == 1


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_a_missing_or_altered_file_is_a_clear_410_never_a_500(client_for, patient_a, damage, post):
    client = client_for(patient_a.user)
    post(client, PORTAL)
    export = RecordExport.objects.get(patient=patient_a)
    if damage == "missing":
        export.file.storage.delete(export.file.name)
    else:
        with open(export.file.path, "ab") as stream:
            stream.write(b"x")
    response = client.post(_download_url(export))
    assert response.status_code == 410
    body = response.content.decode()
    assert ("is missing" if damage == "missing" else "was changed") in body
    assert "Make a new copy" in body
    export.refresh_from_db()
    assert export.status == RecordExport.Status.FAILED and export.downloaded_at is None


def test_expired_files_are_purged_and_the_row_stays(client_for, patient_a, post):
    client = client_for(patient_a.user)
    post(client, PORTAL)
    export = RecordExport.objects.get(patient=patient_a)
    path = export.file.path
    RecordExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.post(_download_url(export)).status_code == 410
    assert tasks.purge_expired() == 1
    export.refresh_from_db()
    assert export.status == RecordExport.Status.EXPIRED and not export.file and not export.file_sha256
    assert not __import__("os").path.exists(path)
    assert "expired" in client.get(PORTAL).content.decode()
    assert client.post(_download_url(export)).status_code == 410


# Staff ------------------------------------------------------------------------------------------


@pytest.fixture
def records_clerk(front_desk):
    """Until clinic/roles.py grants the capability to its roles, a member of staff holds it directly."""
    from django.contrib.auth.models import Permission

    front_desk.user_permissions.add(
        Permission.objects.get(codename="add_recordexport", content_type__app_label="interop")
    )
    return type(front_desk).objects.get(pk=front_desk.pk)


def test_staff_make_a_copy_for_a_mailed_request_and_record_its_delivery(
    client_for, records_clerk, record_of_a, tmp_path, post
):
    client = client_for(records_clerk)
    detail = client.get(reverse("patients:detail", args=[record_of_a.external_id])).content.decode()
    exports_url = reverse("interop:patient_record_exports", args=[record_of_a.external_id])
    assert exports_url in detail

    response = post(client, exports_url, {"request_note": "Letter received Dec 2, signed"})
    assert response.status_code == 302
    export = RecordExport.objects.get(patient=record_of_a)
    assert not export.for_portal and export.requested_by == records_clerk
    assert export.status == RecordExport.Status.READY
    assert str(export.external_id) not in client_for(record_of_a.user).get(PORTAL).content.decode()

    download = client.post(
        reverse("interop:record_export_download", args=[record_of_a.external_id, export.external_id])
    )
    assert download.status_code == 200
    files = _zip(download.content)
    Bundle.model_validate_json(files["bundle.json"])
    assert SHARED in _pdf_text(files["record.pdf"], tmp_path)

    delivery_url = reverse(
        "interop:record_export_delivery", args=[record_of_a.external_id, export.external_id]
    )
    assert client.get(delivery_url).status_code == 200
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        delivery_url, {"delivery_method": "fax", "delivered_to": "Dr Lee, fax 555-0100", "delivered_at": when}
    )
    assert response.status_code == 302
    export.refresh_from_db()
    assert export.delivery_method == "fax" and export.delivered_to == "Dr Lee, fax 555-0100"
    assert export.delivery_recorded_by == records_clerk and export.delivered_at is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT,
        actor_id=records_clerk.pk,
        patient_external_id=record_of_a.external_id,
        detail__contains="delivered by Fax to Dr Lee",
    ).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, actor_id=records_clerk.pk, path__endswith="/download/"
    ).exists()
    assert client.get(f"{exports_url}{export.external_id}/download/").status_code == 405
    page = client.get(exports_url).content.decode()
    assert "Delivered by fax to Dr Lee" in page


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"delivery_method": "pigeon", "delivered_to": "x", "delivered_at": "2026-12-01T10:00"},
            "valid choice",
        ),
        ({"delivery_method": "mail", "delivered_to": "", "delivered_at": "2026-12-01T10:00"}, "required"),
        ({"delivery_method": "mail", "delivered_to": "x", "delivered_at": "2099-01-01T10:00"}, "future"),
        (
            {"delivery_method": "mail", "delivered_to": "x", "delivered_at": "2020-01-01T10:00"},
            "before the copy",
        ),
        ({"delivery_method": "mail", "delivered_to": "x", "delivered_at": "2026-02-30T10:00"}, "valid date"),
    ],
)
def test_bad_delivery_input_is_explained_and_nothing_is_saved(
    client_for, records_clerk, patient_a, data, message, post
):
    client = client_for(records_clerk)
    post(client, reverse("interop:patient_record_exports", args=[patient_a.external_id]))
    export = RecordExport.objects.get(patient=patient_a)
    response = post(
        client,
        reverse("interop:record_export_delivery", args=[patient_a.external_id, export.external_id]),
        data,
    )
    assert response.status_code == 400
    assert message in response.content.decode() and "Nothing was saved" in response.content.decode()
    export.refresh_from_db()
    assert not export.delivered_at and not export.delivery_method
    assert not AuditEvent.objects.filter(detail__contains="delivered by").exists()


def test_staff_without_the_capability_are_refused(client_for, nurse, therapist, patient_a, post):
    url = reverse("interop:patient_record_exports", args=[patient_a.external_id])
    for user in (nurse, therapist):
        assert client_for(user).get(url).status_code == 403
        assert client_for(user).post(url).status_code == 403
    assert not RecordExport.objects.exists()


def test_a_failed_staff_copy_shows_the_reason_to_staff(client_for, records_clerk, patient_a, post):
    client = client_for(records_clerk)
    url = reverse("interop:patient_record_exports", args=[patient_a.external_id])
    with mock.patch.object(tasks, "patient_bundle", side_effect=ValueError("bad resource")):
        post(client, url)
    body = client.get(url).content.decode()
    assert "could not be made" in body and "bad resource" in body and "Try again" in body


def test_the_readable_copy_shows_decisions_alerts_overrides_and_addenda(
    patient_a, nurse, prescriber, tmp_path
):
    """What the bundle holds of the record's safety story, the PDF shows in words: the screening
    decision, a session alert and what was done, a questionnaire alert, an addendum after signing."""
    from assessments.services import acknowledge_alert, current_version_for, submit_response
    from interop.record_pdf import record_pdf
    from sessions.charting import steps

    session = charted_session(patient_a, nurse, prescriber, bp_alert=True)
    steps.add_addendum(session, by=nurse, reason="Late entry", text="Escort arrived at 14:10 <b>late</b>.")
    response = submit_response(
        patient=patient_a,
        version=current_version_for("PHQ-9"),
        raw={str(n): 1 for n in range(1, 10)} | {"10": 1},
        entered_by=nurse,
        mode="clinic",
    )
    acknowledge_alert(response.alerts.get(), prescriber, "Called the patient; safety plan reviewed.")
    # Words, not layout: a table cell wraps where the names' lengths make it.
    text = " ".join(_pdf_text(record_pdf(patient_a), tmp_path).split())
    assert "Decisions on your screening" in text and "approved" in text
    assert session.alerts.get().message[:30] in text
    assert "Alerts raised by your answers" in text
    assert all(word in text.split() for word in ("Called", "safety", "reviewed."))
    assert "Escort arrived at 14:10 <b>late</b>." in text and "Late entry" in text
