"""What `make bench` relies on: the answer's query count and worker memory (only when asked for), and
the SMTP sink that counts each Message-ID it receives."""

import importlib.util
import smtplib
import threading
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def load_bench_script():
    spec = importlib.util.spec_from_file_location("clinic_bench_script", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_answers_carry_no_bench_headers_unless_asked_for(client_for, nurse):
    response = client_for(nurse).get("/today/")
    assert response.status_code == 200
    assert "X-Bench-Queries" not in response


@pytest.mark.django_db
def test_the_bench_headers_count_the_requests_queries(client_for, nurse, settings):
    settings.MIDDLEWARE = ["clinic.bench.BenchHeadersMiddleware", *settings.MIDDLEWARE]
    client = client_for(nurse)
    response = client.get("/today/")
    assert response.status_code == 200
    assert int(response["X-Bench-Queries"]) >= 3  # session, user, the day's appointments at least
    assert int(response["X-Bench-Max-RSS-KB"]) > 10_000


def test_the_mail_sink_counts_each_message_id():
    bench = load_bench_script()
    sink = bench._MailSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        with smtplib.SMTP(*sink.server_address) as server:
            for message_id in ("<a@x>", "<b@x>", "<a@x>"):
                message = EmailMessage()
                message["From"], message["To"], message["Message-ID"] = "c@x", "p@x", message_id
                message.set_content("Hello\n.\nStill the body")
                server.send_message(message)
    finally:
        sink.shutdown()
        sink.server_close()
    assert sink.message_ids == {"<a@x>": 2, "<b@x>": 1}


def test_bench_headers_are_off_in_the_settings_by_default():
    assert "clinic.bench.BenchHeadersMiddleware" not in settings.MIDDLEWARE


def test_the_bench_charts_vitals_during_a_dose_on_one_of_todays_bookings(
    patient_a, nurse, prescriber, client_for
):
    """The bench's vitals POST: it opens a chart on the nurse's IV booking from earlier today (the
    generated clinic has no open chart), marks its dose started, and each request charts one reading."""
    from django.utils import timezone

    from sessions.models import Appointment, TreatmentSession
    from testing.charting import charted_session

    charted_session(patient_a, nurse, prescriber, start=timezone.now() - timedelta(days=7))
    local_midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(timezone.now() - timedelta(minutes=30), local_midnight + timedelta(minutes=1))
    last = Appointment.objects.filter(patient=patient_a).latest("start")
    Appointment.objects.create(
        patient=patient_a,
        appointment_type=last.appointment_type,
        start=start,
        end=start + timedelta(hours=2),
        room=last.room,
        clinician=nurse,
        created_by=nurse,
        status=Appointment.Status.CONFIRMED,
    )
    bench = load_bench_script()
    [page] = bench._vitals_post({"users": {"nurse": nurse}})
    chart = TreatmentSession.objects.get(patient=patient_a, discharged_at__isnull=True)
    assert chart.dose_started_at is not None and chart.ordered_minutes == 40
    client = client_for(nurse)
    for readings in (1, 2):
        response = client.post(page.path, page.body(), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert chart.vitals.count() == readings
    # A second run finds the chart it opened.
    assert bench._vitals_post({"users": {"nurse": nurse}})[0].path == page.path
