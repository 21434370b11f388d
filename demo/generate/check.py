"""Open the main pages on a generated clinic as each demo role and a portal patient: none may fail.

Uses Django's test client against the real database (no test database), signed in with
``force_login``. Only GETs: nothing is written except the audit trail and sessions the pages write
for any visit. Reports each page's status and time; a page that raises is reported with its error.
"""

import logging
import time

from django.conf import settings
from django.db.models import Count
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from clinic.models import User
from patients.models import Patient
from sessions.models import TreatmentSession

STAFF = ("prescriber", "nurse", "therapist", "frontdesk", "admin")


def busiest_patients():
    """A patient with a long course (many scores and sessions) and one with a signed IV session."""
    long_course = (
        Patient.objects.filter(treatment_sessions__isnull=False)
        .annotate(scores=Count("responses", distinct=True))
        .order_by("-scores")
        .first()
    )
    session = (
        TreatmentSession.objects.filter(status="signed", route="iv", patient__email__endswith="@example.test")
        .order_by("-started_at")
        .first()
    )
    esketamine = (
        TreatmentSession.objects.filter(status="signed", route="intranasal").order_by("-started_at").first()
    )
    return long_course, session, esketamine


def staff_pages(patient, session, esketamine):
    pid = patient.external_id
    pages = [
        ("Today", reverse("sessions:today")),
        ("Patients", reverse("patients:list")),
        ("Patient search", reverse("patients:list") + "?q=avery"),
        ("Patient", reverse("patients:detail", args=[pid])),
        ("Timeline", reverse("patients:timeline", args=[pid])),
        ("Intake", reverse("patients:intake", args=[pid])),
        ("Screening", reverse("patients:screening", args=[pid])),
        ("Measures", reverse("assessments:measures", args=[pid])),
        ("Progress report PDF", reverse("assessments:report", args=[pid])),
        ("Appointments", reverse("sessions:patient_appointments", args=[pid])),
        ("Sessions", reverse("sessions:patient_sessions", args=[pid])),
        ("Notes", reverse("integration:notes", args=[pid])),
        ("Caseload", reverse("integration:caseload")),
        ("Calendar week", reverse("sessions:calendar")),
        ("Outcomes", reverse("assessments:outcomes")),
        ("Alerts", reverse("assessments:alerts")),
        ("Screening queue", reverse("patients:queue")),
        ("Ledger", reverse("sessions:ledger")),
    ]
    for label, chart in (("IV", session), ("esketamine", esketamine)):
        if chart:
            args = [chart.patient.external_id, chart.external_id]
            pages += [
                (f"Chart ({label})", reverse("sessions:chart", args=args)),
                (f"Session record PDF ({label})", reverse("sessions:chart_record_pdf", args=args)),
            ]
    if esketamine:
        args = [esketamine.patient.external_id, esketamine.external_id]
        pages.append(("REMS PDF", reverse("sessions:chart_rems_pdf", args=args)))
    return pages


def _get(client, url):
    started = time.monotonic()
    try:
        response = client.get(url)
    except Exception as error:  # the page raised: report it with the others, then go on
        return f"raised {type(error).__name__}: {error}", time.monotonic() - started
    return response.status_code, time.monotonic() - started


def check_pages(out, roles=STAFF, pdf_roles=STAFF):
    """GET the main pages as each demo role and as a generated portal patient; return the failures.
    PDFs (the slowest pages) are opened only as ``pdf_roles``."""
    patient, session, esketamine = busiest_patients()
    pages = staff_pages(patient, session, esketamine)
    problems = []
    out(f"Checking pages (patient with {patient.responses.count()} scores)…")
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    # Django logs every 403 with its traceback; the list below says the same in one line each.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    try:
        with override_settings(REQUIRE_STAFF_MFA=False, ALLOWED_HOSTS=hosts):
            problems += _visit(pages, out, roles, pdf_roles)
    finally:
        request_log.setLevel(level)
    return problems


def _visit(pages, out, roles, pdf_roles):
    problems = []
    for key in roles:
        client = Client()
        client.force_login(User.objects.get(email=f"{key}@clinic.example"))
        for label, url in pages:
            if "PDF" in label and key not in pdf_roles:
                continue
            status, seconds = _get(client, url)
            out(f"  {key:<10} {label:<32} {status}  {seconds:5.2f} s")
            # 403: a role that may not open the page (the front desk and a chart); only errors count.
            if status not in (200, 302, 403):
                problems.append(f"{key} {label}: {status}")
    generated = (
        Patient.objects.filter(user__isnull=False, email__endswith="@example.test").order_by("pk").first()
    )
    patients = [User.objects.get(email="patient@clinic.example")] + ([generated.user] if generated else [])
    for user in patients:
        client = Client()
        client.force_login(user)
        for label, url in (
            ("Portal home", reverse("portal:home")),
            ("Portal notes", reverse("portal:notes")),
        ):
            status, seconds = _get(client, url)
            out(f"  {'patient':<10} {label:<32} {status}  {seconds:5.2f} s")
            if status not in (200, 302):
                problems.append(f"patient {label}: {status}")
    return problems
