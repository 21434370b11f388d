"""Every PDF the clinic makes is tagged (WeasyPrint's ``pdf_tags``): its headings, paragraphs and tables
carry a structure tree that screen readers and reflow use, instead of being loose glyphs on a page."""

import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from conftest import require_service
from sessions.charting.records import rems_form_pdf, session_record_pdf
from testing.charting import charted_session
from testing.factories import sign_consent_for

pytestmark = pytest.mark.django_db


def is_tagged(pdf):
    require_service(shutil.which("pdfinfo"), "pdfinfo is not installed (apt-get install poppler-utils)")
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return re.search(r"^Tagged:\s+yes$", info, re.MULTILINE) is not None


def test_the_session_record_and_the_rems_form_are_tagged(nurse, prescriber, patient_a, patient_b):
    iv = charted_session(patient_a, nurse, prescriber, route="iv")
    assert is_tagged(session_record_pdf(iv, nurse))
    esketamine = charted_session(patient_b, nurse, prescriber, route="intranasal", room_name="Chair 2")
    assert is_tagged(rems_form_pdf(esketamine, nurse))


def test_the_signed_consent_is_tagged(patient_a):
    signature = sign_consent_for(patient_a, "iv")
    with signature.pdf.open("rb") as pdf:
        assert is_tagged(pdf.read())


def test_the_progress_report_and_the_ledger_report_are_tagged(client_for, nurse, patient_a):
    client = client_for(nurse)
    report = client.get(reverse("assessments:report", args=[patient_a.external_id]))
    assert report["Content-Type"] == "application/pdf" and is_tagged(report.content)
    ledger = client.get(reverse("sessions:ledger_report"), {"format": "pdf"})
    assert ledger["Content-Type"] == "application/pdf" and is_tagged(ledger.content)
