"""What `make bench` relies on: the answer's query count and worker memory (only when asked for), and
the SMTP sink that counts each Message-ID it receives."""

import importlib.util
import smtplib
import threading
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
