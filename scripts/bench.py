"""`make bench`: serve Clinic with gunicorn as production does and measure every staff and portal page.

    DATABASE_URL=postgres://… .venv/bin/python scripts/bench.py [--rounds 15] [--workers 2] [--skip-dispatch]

Run it on a database filled by `manage.py generate_clinic --patients N` (the demo logins then see the
big clinic). It starts gunicorn with DEBUG off and prints, for each page and PDF:

- the SQL queries the request ran and the median and 95th percentile of its time,
- the ratio of the median to the *floor*: the staff layout around no content for a signed-in user
  (a 404 page: every middleware, the menu, the alert badge), measured in the same rounds, page and
  floor interleaved, so a busy machine slows both alike; the keep-alive ping, which renders nothing,
  is listed too,
- the most memory the worker held while serving it;

then patient search against Django admin's changelist search for the same words, reminder dispatch
against raw Celery no-op tasks on the same worker (both through the configured broker), and each
process's memory. It changes nothing but sessions of its own and, for the dispatch part, reminders
it creates and deletes again.

Staff two-factor sign-in is off for the run (REQUIRE_STAFF_MFA=false): the benchmark signs its users in
directly, and the check it skips is one cached lookup a request.
"""

import argparse
import http.client
import os
import secrets
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Page:
    label: str
    persona: str
    path: str
    method: str = "GET"
    body: dict | Callable | None = None  # a callable gives each request its own body
    headers: dict = field(default_factory=dict)
    kind: str = "html"
    expect: int = 200
    times: list = field(default_factory=list)
    queries: set = field(default_factory=set)
    statuses: set = field(default_factory=set)
    peak_rss_kb: int = 0
    size: int = 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="measured rounds (after 2 warm-up rounds)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--dispatch-rows", type=int, default=5000)
    parser.add_argument("--skip-dispatch", action="store_true", help="pages only")
    parser.add_argument(
        "--worker-pool",
        default="prefork:2",
        help="the Celery worker's pool and concurrency (threads:4, prefork:2)",
    )
    parser.add_argument("--dispatch-only", action="store_true", help="background work only")
    options = parser.parse_args()

    env = _environment()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    _check_migrated(connection)
    if options.dispatch_only:
        return _bench_dispatch(options.dispatch_rows, options.worker_pool)
    _collectstatic()
    port = _free_port()
    # The floor is a 404 page, which Django logs as a warning every time: the log goes to a file.
    server_log = Path(tempfile.gettempdir()) / f"clinic-bench-gunicorn-{port}.log"
    server = subprocess.Popen(  # noqa: S603  (this virtualenv's gunicorn, fixed arguments)
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            str(options.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "600",
            "--log-level",
            "warning",
            "clinic.wsgi",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=server_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, server, server_log)
        subjects = _subjects()
        print(_describe_data(subjects, connection))
        cookies = {persona: _sign_in(user) for persona, user in subjects["users"].items()}
        pages = _pages(subjects)
        pages += _vitals_post(subjects)
        client = _Client(port, cookies)
        # The floor: the staff layout (menu, alert badge, clinic settings) around nothing, for a signed-in
        # prescriber: every middleware and context processor a page pays for before its own work.
        floor = Page("floor", "prescriber", "/bench-floor/", expect=404)
        pages.insert(
            0, Page("Keep-alive ping (no page)", "prescriber", "/session/keepalive/", "POST", expect=204)
        )
        _check_pages(client, [*pages, floor])
        _measure(client, pages, floor, options.rounds)
        _report_pages(pages, floor, options)
        _report_search(client, subjects, options.rounds)
        _report_processes("gunicorn", server.pid)
        print(f"(gunicorn's log: {server_log})\n")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    if not options.skip_dispatch:
        _bench_dispatch(options.dispatch_rows, options.worker_pool)


# Set-up ---------------------------------------------------------------------------------------------


def _environment():
    if "DATABASE_URL" not in os.environ:
        sys.exit(
            "Set DATABASE_URL to the database to measure (one filled by `manage.py generate_clinic`), e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench make bench"
        )
    return {
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DEBUG": "false",
        # The same key in this process and the server's, so the sessions made here are valid there.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        # Requests say they came through the HTTPS proxy, so secure cookies and CSRF work as in production.
        "BEHIND_HTTPS_PROXY": "true",
        "REQUIRE_STAFF_MFA": "false",
        "BENCH_HEADERS": "1",
        "LOG_LEVEL": "WARNING",
    }


def _check_migrated(connection):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("The database has unapplied migrations: run `manage.py migrate` on it first.")


def _collectstatic():
    from django.core.management import call_command

    # DEBUG off serves static files through WhiteNoise's manifest, which collectstatic writes.
    call_command("collectstatic", "--noinput", verbosity=0)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, process, log, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped while starting: see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer on port {port} within {seconds} s.")


def _sign_in(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _subjects():
    """The people and records the pages are opened for: the busiest of each kind, so the pages show the
    most the data holds."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from django.utils import timezone

    from assessments.models import AssessmentResponse
    from clinic import roles
    from patients.models import ConsentSignature, Patient
    from sessions.charting.models import TreatmentSession
    from sessions.scheduling.models import Appointment, Site

    User = get_user_model()
    since = timezone.now() - timezone.timedelta(days=90)

    def busiest(role, relation, condition):
        user = (
            User.objects.filter(groups__name=role, is_active=True)
            .annotate(n=Count(relation, filter=condition))
            .order_by("-n", "pk")
            .first()
        )
        if user is None:
            sys.exit(f"No active user with the role {role!r}: is this a Clinic database with staff?")
        return user

    users = {
        "prescriber": busiest(roles.PRESCRIBER, "appointments", Q(appointments__start__gte=since)),
        "nurse": busiest(roles.NURSE, "appointments", Q(appointments__start__gte=since)),
        "therapist": busiest(roles.THERAPIST, "appointments", Q(appointments__start__gte=since)),
        "front desk": User.objects.filter(groups__name=roles.FRONT_DESK, is_active=True)
        .order_by("pk")
        .first(),
        # Django admin's changelist needs staff status; the Administrator role has it.
        "administrator": User.objects.filter(groups__name=roles.ADMINISTRATOR, is_staff=True, is_active=True)
        .order_by("pk")
        .first(),
    }
    busiest_patient_id = (
        AssessmentResponse.objects.values("patient_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "patient_id")
        .values_list("patient_id", flat=True)
        .first()
    )
    patient = Patient.objects.get(pk=busiest_patient_id) if busiest_patient_id else Patient.objects.first()
    portal_patient = (
        Patient.objects.filter(user__isnull=False, user__is_active=True)
        .annotate(n=Count("responses"))
        .order_by("-n", "pk")
        .first()
    )
    if portal_patient:
        users["patient"] = portal_patient.user
    session = (
        TreatmentSession.objects.filter(patient=patient, status=TreatmentSession.Status.SIGNED)
        .order_by("-started_at")
        .first()
        or TreatmentSession.objects.filter(status=TreatmentSession.Status.SIGNED)
        .order_by("-started_at")
        .first()
    )
    rems_session = (
        TreatmentSession.objects.filter(
            route=TreatmentSession.Route.INTRANASAL, status=TreatmentSession.Status.SIGNED
        )
        .order_by("-started_at")
        .first()
    )
    appointment = Appointment.objects.filter(patient=patient).order_by("-start").first()
    consent = ConsentSignature.objects.filter(patient=patient).exclude(pdf="").order_by("-pk").first()
    surname = patient.legal_family_name if patient else ""
    return {
        "users": {k: v for k, v in users.items() if v is not None},
        "patient": patient,
        "portal_patient": portal_patient,
        "session": session,
        "rems_session": rems_session,
        "appointment": appointment,
        "consent": consent,
        "search_words": surname[: max(3, len(surname) - 2)],
        "site": Site.objects.filter(is_active=True).values_list("pk", flat=True).first() or "",
        "year_ago": (timezone.localdate() - timezone.timedelta(days=365)).isoformat(),
    }


def _describe_data(subjects, connection):
    from django.apps import apps

    counts = []
    for label in (
        "patients.Patient",
        "treatment_sessions.Appointment",
        "treatment_sessions.TreatmentSession",
        "treatment_sessions.VitalSignReading",
        "assessments.AssessmentResponse",
        "treatment_sessions.IntegrationNote",
    ):
        model = apps.get_model(label)
        counts.append(f"{_estimate(model, connection):,} {model._meta.verbose_name_plural}")
    patient = subjects["patient"]
    return (
        f"Database ({connection.vendor}): " + ", ".join(counts) + "\n"
        f"Pages opened for the patient with the most questionnaire responses "
        f"({patient.responses.count() if patient else 0}), the busiest prescriber, nurse and therapist, "
        f"and the portal patient with the most responses.\n"
    )


def _estimate(model, connection):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
            )
            estimate = cursor.fetchone()[0]
        if estimate and estimate > 0:
            return estimate
    return model.objects.count()


def _pages(s):
    from django.urls import reverse

    patient, session, appointment = s["patient"], s["session"], s["appointment"]
    p = {"patient_id": patient.external_id} if patient else {}
    pages = [
        Page("Today", "prescriber", reverse("sessions:today")),
        Page("Patients list", "front desk", reverse("patients:list")),
        Page("Screening queue", "prescriber", reverse("patients:queue")),
        Page("Calendar day, by room", "front desk", reverse("sessions:calendar") + "?view=day&by=room"),
        Page("Calendar week, by room", "front desk", reverse("sessions:calendar") + "?view=week&by=room"),
        Page(
            "Calendar week, by clinician",
            "front desk",
            reverse("sessions:calendar") + "?view=week&by=clinician",
        ),
        Page("Caseload (busiest therapist)", "therapist", reverse("integration:caseload")),
        Page("Alerts", "prescriber", reverse("assessments:alerts")),
        Page("Outcomes", "prescriber", reverse("assessments:outcomes")),
        Page(
            "Outcomes, one site and a year",
            "prescriber",
            reverse("assessments:outcomes") + f"?site={s['site']}&baseline_from={s['year_ago']}",
        ),
        Page("Ledger", "nurse", reverse("sessions:ledger")),
        Page("Audit report", "administrator", reverse("patients:audit")),
    ]
    if patient:
        pages += [
            Page("Patient page", "prescriber", reverse("patients:detail", kwargs=p)),
            Page("Timeline", "prescriber", reverse("patients:timeline", kwargs=p)),
            Page("Measures", "prescriber", reverse("assessments:measures", kwargs=p)),
            Page("Integration notes", "therapist", reverse("integration:notes", kwargs=p)),
            Page("Appointments", "front desk", reverse("sessions:patient_appointments", kwargs=p)),
            Page("Sessions", "nurse", reverse("sessions:patient_sessions", kwargs=p)),
            Page("Intake", "nurse", reverse("patients:intake", kwargs=p)),
            Page("Screening review", "prescriber", reverse("patients:screening", kwargs=p)),
            Page("Change history", "administrator", reverse("patients:history", kwargs=p)),
            Page("Progress report PDF", "prescriber", reverse("assessments:report", kwargs=p), kind="pdf"),
        ]
    if appointment:
        kwargs = {"patient_id": appointment.patient.external_id, "appointment_id": appointment.external_id}
        pages.append(Page("Appointment", "front desk", reverse("sessions:appointment", kwargs=kwargs)))
    if session:
        kwargs = {"patient_id": session.patient.external_id, "session_id": session.external_id}
        pages += [
            Page("Chart (signed session)", "nurse", reverse("sessions:chart", kwargs=kwargs)),
            Page(
                "Session record PDF",
                "prescriber",
                reverse("sessions:chart_record_pdf", kwargs=kwargs),
                kind="pdf",
            ),
        ]
    if s["rems_session"]:
        rems = s["rems_session"]
        kwargs = {"patient_id": rems.patient.external_id, "session_id": rems.external_id}
        pages.append(
            Page("REMS form PDF", "prescriber", reverse("sessions:chart_rems_pdf", kwargs=kwargs), kind="pdf")
        )
    if s["consent"]:
        kwargs = {"patient_id": patient.external_id, "signature_id": s["consent"].external_id}
        pages.append(Page("Consent PDF", "nurse", reverse("patients:consent_pdf", kwargs=kwargs), kind="pdf"))
    if "patient" in s["users"]:
        pages += [
            Page("Portal home", "patient", reverse("portal:home")),
            Page("Portal appointments", "patient", reverse("portal:appointments")),
            Page("Portal shared notes", "patient", reverse("portal:notes")),
        ]
    return [page for page in pages if page.persona in s["users"]]


def _last_infusion(patient):
    from sessions.charting.models import TreatmentSession

    signed = TreatmentSession.objects.filter(patient=patient, route="iv", ordered_minutes__isnull=False)
    return signed.order_by("-started_at").first()


def _vitals_post(s):
    """The nurse charting vitals during an infusion, as the chart sends them (htmx; the answer is the
    flowsheet and the alerts). The generated clinic's charts are all closed, so an IV booking from
    earlier today (the busiest nurse's if they have one) is checked in and its chart started here by
    that nurse, through the app's own step, and its dose marked as started 20 minutes ago, copied from
    the patient's last infusion (ordering and drawing a dose need a vial from the ledger). Each request
    charts one more reading."""
    from django.db.models import Case, When
    from django.urls import reverse
    from django.utils import timezone

    from sessions.charting import steps
    from sessions.charting.models import TreatmentSession
    from sessions.scheduling.models import Appointment

    nurse = s["users"].get("nurse")
    if nurse is None:
        return []
    fields = TreatmentSession._meta.concrete_fields
    now = timezone.now()
    chart = TreatmentSession.objects.filter(
        started_by=nurse, discharged_at__isnull=True, started_at__date=timezone.localdate(), route="iv"
    ).first()
    # The busiest nurse's own booking if there is one; any IV booking from earlier today if not.
    booked = Appointment.objects.filter(
        appointment_type__kind="iv",
        status__in=[Appointment.Status.SCHEDULED, Appointment.Status.CONFIRMED],
        start__date=timezone.localdate(),
        start__lte=now,
    ).order_by(Case(When(clinician=nurse, then=0), default=1), "-start")[:20]
    for appointment in [] if chart else booked:
        if not _last_infusion(appointment.patient):
            continue
        appointment.status = Appointment.Status.CHECKED_IN
        appointment.save(update_fields=["status"])
        try:
            chart = steps.start_session(appointment, by=nurse, now=appointment.start)
            break
        except steps.ChartingError:
            continue
    if chart is not None and chart.ordered_minutes is None:
        last = _last_infusion(chart.patient)
        order = {f.attname: getattr(last, f.attname) for f in fields if f.name.startswith("ordered_")}
        TreatmentSession.objects.filter(pk=chart.pk).update(
            **{**order, "ordered_at": now - timedelta(minutes=25)},
            lot_number=last.lot_number,
            administered_volume_ml=last.administered_volume_ml,
            administered_by=nurse,
            dose_started_at=max(chart.started_at, now - timedelta(minutes=20)),
        )
    if chart is None:
        print("Vitals POST not measured: no IV booking earlier today to chart (run it after the first one).")
        return []
    kwargs = {"patient_id": chart.patient.external_id, "session_id": chart.external_id}

    def reading():
        return {"submission_id": str(uuid.uuid4()), "sbp": 124, "dbp": 78, "hr": 76, "spo2": 98, "rr": 14}

    return [
        Page(
            "Vitals POST (htmx, during a dose)",
            "nurse",
            reverse("sessions:chart_vitals", kwargs=kwargs),
            "POST",
            body=reading,
            headers={"HX-Request": "true"},
        )
    ]


class _Client:
    """Plain HTTP/1.1 to gunicorn, as the HTTPS proxy in front of it would speak."""

    def __init__(self, port, session_cookies):
        self.port = port
        self.csrf = secrets.token_hex(16)  # the 32 letters and digits of a CSRF secret
        self.cookies = {
            persona: f"sessionid={value}; csrftoken={self.csrf}" for persona, value in session_cookies.items()
        }

    def request(self, persona, method, path, body=None, extra_headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {
            "Host": "127.0.0.1",
            "Cookie": self.cookies[persona],
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            "User-Agent": "clinic-bench",
            **(extra_headers or {}),
        }
        payload = None
        if method == "POST":
            headers["X-CSRFToken"] = self.csrf
            headers["Referer"] = "https://127.0.0.1/"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            payload = urlencode((body() if callable(body) else body) or {})
        started = time.perf_counter()
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        return response, content, elapsed


def _check_pages(client, pages):
    broken = []
    for page in pages:
        response, _, _ = client.request(page.persona, page.method, page.path, page.body, page.headers)
        if response.status != page.expect:
            broken.append(f"  {page.label} ({page.persona}) {page.path}: {response.status}")
    if broken:
        sys.exit("These pages did not answer as expected, so they are not measured:\n" + "\n".join(broken))


# Pages ----------------------------------------------------------------------------------------------


def _measure(client, pages, floor, rounds):
    for number in range(rounds + 2):
        warm_up = number < 2
        for page in pages:
            for measured in (floor, page):
                response, content, elapsed = client.request(
                    measured.persona, measured.method, measured.path, measured.body, measured.headers
                )
                if warm_up:
                    continue
                measured.times.append(elapsed)
                measured.statuses.add(response.status)
                measured.queries.add(int(response.getheader("X-Bench-Queries", "-1")))
                measured.peak_rss_kb = max(
                    measured.peak_rss_kb, int(response.getheader("X-Bench-Max-RSS-KB", "0"))
                )
                measured.size = len(content)


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _queries(page):
    # One more query now and then is the session's last-seen time, written at most every 30 s.
    low, high = min(page.queries), max(page.queries)
    return str(low) if high - low <= 1 else f"{low}–{high}"


def _report_pages(pages, floor, options):
    floor_median = statistics.median(floor.times)
    print(
        f"gunicorn, {options.workers} workers, DEBUG off; {options.rounds} rounds, each page after a floor request."
    )
    print(
        f"Floor (the staff layout around no content: a signed-in prescriber's 404 page): median "
        f"{floor_median * 1000:.1f} ms, p95 {_p95(floor.times) * 1000:.1f} ms, {_queries(floor)} queries.\n"
    )
    header = f"{'page':<34} {'who':<13} {'queries':>7} {'median ms':>9} {'p95 ms':>8} {'× floor':>8} {'KB':>6} {'RSS MB':>6}"
    print(
        "queries: SQL queries a request ran (one more now and then: the session's last-seen time, written "
        "at most every 30 s); KB: size of the answer; RSS MB: the most the worker held while serving it "
        "(its peak is reset before each request).\n"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for page in pages:
        median = statistics.median(page.times)
        ratio = median / floor_median
        rss_mb = page.peak_rss_kb / 1024
        print(
            f"{page.label:<34} {page.persona:<13} {_queries(page):>7} {median * 1000:>9.1f} "
            f"{_p95(page.times) * 1000:>8.1f} {ratio:>8.1f} {page.size / 1024:>6.0f} {rss_mb:>6.0f}"
        )
        if page.kind == "pdf" and median > 1.0:
            failures.append(f"{page.label}: median {median:.2f} s (goal: under 1 s)")
        if page.kind == "html" and ratio > 5:
            failures.append(f"{page.label}: {ratio:.1f}× the floor (goal: within 5×)")
        if max(page.queries) - min(page.queries) > 1:
            failures.append(f"{page.label}: the query count varied between rounds ({_queries(page)})")
        if rss_mb > 300:
            failures.append(
                f"{page.label}: its worker reached {rss_mb:.0f} MB while serving it (goal: under 300 MB)"
            )
    print()
    if failures:
        print("Missed goals:\n  " + "\n  ".join(failures))
    else:
        print("Every HTML page within 5× the floor, every PDF under 1 s, no worker above 300 MB.")
    print()


def _report_search(client, subjects, rounds):
    from django.urls import reverse

    words = subjects["search_words"]
    if not words or "administrator" not in client.cookies:
        print(
            "Patient search against admin's: skipped (no patient, or no administrator with staff status).\n"
        )
        return
    response, _, _ = client.request("front desk", "POST", reverse("patients:list"), {"q": words})
    results_path = (
        urlsplit(response.getheader("Location")).path + "?" + urlsplit(response.getheader("Location")).query
    )
    admin_path = "/admin/patients/patient/?" + urlencode({"q": words})
    for persona, path in (("front desk", results_path), ("administrator", admin_path)):
        status = client.request(persona, "GET", path)[0].status
        if status != 200:
            print(f"Patient search against admin's: skipped ({path} answered {status} to the {persona}).\n")
            return
    ours, theirs = [], []
    for _ in range(rounds + 2):
        ours.append(client.request("front desk", "GET", results_path)[2])
        theirs.append(client.request("administrator", "GET", admin_path)[2])
    ours, theirs = statistics.median(ours[2:]), statistics.median(theirs[2:])
    print(
        f"Patient search for {len(words)} letters of a family name: {ours * 1000:.1f} ms; Django admin's "
        f"changelist search for the same: {theirs * 1000:.1f} ms ({ours / theirs:.2f}×).\n"
    )


def _report_processes(name, parent_pid):
    rows = []
    for pid in [parent_pid, *_children(parent_pid)]:
        status = _proc_status(pid)
        if status:
            rows.append(
                f"pid {pid}: RSS {status['VmRSS'] / 1024:.0f} MB, peak {status['VmHWM'] / 1024:.0f} MB"
            )
    print(f"{name} processes after the run: " + "; ".join(rows) + "\n")


def _children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _proc_status(pid):
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    values = {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


# Background work ------------------------------------------------------------------------------------


class _MailSink(socketserver.ThreadingTCPServer):
    """The smallest SMTP server the worker's mail backend can talk to: it accepts every message and
    counts the Message-IDs, so a message delivered twice is seen where it would be, at the receiver."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.lock = threading.Lock()
        self.message_ids = {}

    def received(self, message_id):
        with self.lock:
            self.message_ids[message_id] = self.message_ids.get(message_id, 0) + 1


class _SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        self.say("220 clinic-bench ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.say("250 clinic-bench")
            elif verb == b"DATA":
                self.say("354 go on")
                message_id = ""
                while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    if data[:11].lower() == b"message-id:":
                        message_id = data[11:].strip().decode()
                self.server.received(message_id)
                self.say("250 queued")
            elif verb == b"QUIT":
                self.say("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.say("250 ok")

    def say(self, text):
        self.wfile.write(text.encode() + b"\r\n")


def _bench_dispatch(rows, worker_pool):
    """Reminder dispatch against raw Celery no-op tasks, on one worker started here with the settings
    `make run` and the systemd unit use (threads, concurrency 4), through the configured broker."""
    from django.conf import settings

    pool, _, concurrency = worker_pool.partition(":")
    mail = _MailSink()
    threading.Thread(target=mail.serve_forever, daemon=True).start()
    queue = f"bench-{secrets.token_hex(4)}"
    worker_log = Path(tempfile.gettempdir()) / f"clinic-bench-worker-{queue}.log"
    worker_env = {
        **os.environ,
        "OUTBOX_DISPATCHERS": "2",
        "EMAIL_URL": f"smtp+plain://127.0.0.1:{mail.server_address[1]}",
        "SMS_BACKEND": "sessions.scheduling.sms.ConsoleBackend",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(  # noqa: S603  (this virtualenv's celery, fixed arguments)
        [
            str(BIN / "celery"),
            "-A",
            "clinic",
            "worker",
            "-Q",
            queue,
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=worker_env,
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    print(
        f"Background work: one Celery worker ({pool}, concurrency {concurrency}), broker {_broker(settings)}, "
        "e-mail over SMTP to a local sink that counts Message-IDs."
    )
    try:
        _noop_round(queue, 1, timeout=120)  # the worker is up and connected
        noop_rate = _noop_round(queue, rows)
        print(f"  Raw Celery no-op:        {rows:,} tasks, {noop_rate:,.0f} tasks/s")
        for dispatchers in (1, 2):
            rate, sent, doubles = _dispatch_round(queue, rows, dispatchers, mail)
            print(
                f"  Reminder dispatch, {dispatchers} dispatcher{'s' if dispatchers > 1 else ' '}: "
                f"{sent:,} e-mails, {rate:,.0f} /s = {rate / noop_rate:.0%} of the no-op rate; "
                f"sent twice: {doubles}"
            )
        _report_processes("Celery worker", worker.pid)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        mail.shutdown()
        mail.server_close()
    print(f"  (the worker's log: {worker_log})")


def _broker(settings):
    url = urlsplit(settings.CELERY_BROKER_URL)
    return url.scheme


def _noop_round(queue, count, timeout=600):
    from clinic.celery import app

    marker = Path(tempfile.gettempdir()) / f"clinic-bench-{secrets.token_hex(6)}"
    started = time.perf_counter()
    for _ in range(count - 1):
        app.send_task("clinic.tasks.bench_noop", queue=queue)
    app.send_task("clinic.tasks.bench_noop", kwargs={"marker": str(marker)}, queue=queue)
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if time.monotonic() > deadline:
            sys.exit(f"The Celery worker did not run {count} no-op tasks within {timeout} s.")
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    marker.unlink()
    return count / elapsed


def _dispatch_round(queue, count, dispatchers, mail):
    from django.db.models import Count
    from django.utils import timezone

    from clinic.celery import app
    from sessions.scheduling.models import Appointment, Reminder

    now = timezone.now()
    appointments = list(
        Appointment.objects.filter(start__gte=now + timezone.timedelta(days=1), status__in=Appointment.OPEN)
        .exclude(patient__email="")
        .order_by("start")
        .values_list("pk", flat=True)[:count]
    )
    if not appointments:
        print("  Reminder dispatch: no open future appointment with an e-mail address to remind of; skipped.")
        return 0, 0, 0
    already_due = Reminder.objects.filter(
        status__in=[Reminder.Status.PENDING, Reminder.Status.FAILED, Reminder.Status.MAYBE_SENT],
        due_at__lte=now,
    ).count()
    created = Reminder.objects.bulk_create(
        Reminder(
            appointment_id=appointments[i % len(appointments)],
            channel=Reminder.Channel.EMAIL,
            hours_before=200 + i // len(appointments),
            due_at=now - timezone.timedelta(seconds=1),
        )
        for i in range(count)
    )
    ids = [r.pk for r in created]
    received_before = sum(mail.message_ids.values())
    try:
        started = time.perf_counter()
        # As beat starts it: with a backlog the run starts helpers up to OUTBOX_DISPATCHERS.
        app.send_task("sessions.tasks.dispatch_reminders", kwargs={"fan_out": dispatchers > 1}, queue=queue)
        waiting = Reminder.objects.filter(
            pk__in=ids, status__in=[Reminder.Status.PENDING, Reminder.Status.SENDING]
        )
        deadline = time.monotonic() + 600
        while waiting.exists():
            if time.monotonic() > deadline:
                sys.exit("Reminders were still waiting after 10 minutes.")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        outcome = dict(
            Reminder.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("pk")).order_by()
        )
        sent = outcome.get(Reminder.Status.SENT, 0)
        message_ids = set(Reminder.objects.filter(pk__in=ids).values_list("message_id", flat=True))
        doubles = sum(n - 1 for message_id, n in mail.message_ids.items() if message_id in message_ids)
        if sent != count:
            print(f"  (not all sent: {outcome})")
        if already_due:
            print(f"  ({already_due} reminders were already due and were sent in the same run.)")
        received = sum(mail.message_ids.values()) - received_before
        if received < sent:
            print(f"  (the mail sink received {received} messages for {sent} reminders marked sent)")
        return (sent + already_due) / elapsed, sent, doubles
    finally:
        Reminder.objects.filter(pk__in=ids).delete()


if __name__ == "__main__":
    main()
