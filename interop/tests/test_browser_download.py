"""In Chromium on a phone: the demo patient opens the portal, asks for a copy of their record and
downloads it; the ZIP holds a FHIR Bundle that validates and the readable PDF. Screenshots of the
portal page and of the PDF's first page go to artifacts/screenshots/."""

import io
import os
import shutil
import subprocess
import zipfile

import pytest
from django.core.management import call_command
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import expect

from clinic.audit.models import AuditAction, AuditEvent
from conftest import ARTIFACTS, require_service
from demo.management.commands.seed_demo import PORTAL_PATIENT_EMAIL
from interop.models import RecordExport
from patients.models import Patient
from testing.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEMO_PASSWORD = "clinic-demo-2026"


def test_demo_patient_downloads_their_record_on_a_phone(live_server, browser, screenshot, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    jordan = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, accept_downloads=True
    )
    phone.set_default_timeout(30_000)
    page = phone.new_page()
    sign_in(page, live_server.url, PORTAL_PATIENT_EMAIL, DEMO_PASSWORD)
    expect(page.get_by_role("link", name="Download my record")).to_be_visible()
    screenshot(page, "59-portal-home-with-record")
    page.get_by_role("link", name="Download my record").click()
    expect(page.get_by_role("heading", name="Download my record")).to_be_visible()
    page.get_by_role("button", name="Make my copy").click()
    # The task runs in the request here (eager Celery); with a worker the status polls every 2 s.
    ready = page.get_by_text("Your copy is ready")
    expect(ready).to_be_visible()
    screenshot(page, "60-portal-download-my-record")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download my record (ZIP").click()
    download = info.value
    assert download.suggested_filename.startswith("health-record-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        bundle = archive.read("bundle.json")
        pdf = archive.read("record.pdf")
    assert {"bundle.json", "record.pdf"} <= names
    parsed = Bundle.model_validate_json(bundle)
    assert any(entry.resource.get_resource_type() == "Patient" for entry in parsed.entry)
    assert pdf.startswith(b"%PDF")

    export = RecordExport.objects.get(patient=jordan)
    assert export.downloaded_at is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, patient_external_id=jordan.external_id, object_id=str(export.external_id)
    ).exists()

    page.reload()
    expect(page.get_by_text("Downloaded 1 time")).to_be_visible()
    phone.close()

    require_service(shutil.which("pdftoppm"), "pdftoppm is not installed (apt-get install poppler-utils)")
    pdf_path = tmp_path / "record.pdf"
    pdf_path.write_bytes(pdf)
    folder = os.path.join(ARTIFACTS, "screenshots")
    os.makedirs(folder, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "2",
            str(pdf_path),
            os.path.join(folder, "61-record-pdf"),
        ],
        check=True,
    )
