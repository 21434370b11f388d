"""Nothing stops the clinic when Redis does: with the cache's Redis unreachable every page still
answers (from the database and each process's memory), and with the Celery broker unreachable a page
that queues work still answers while the row waits to be sent."""

import logging
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import redis
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from clinic import cache as clinic_cache
from clinic.celery import app as celery_app
from clinic.models import ClinicSettings
from clinic.tests.test_access import give_one_of_everything, project_urls, url_for
from conftest import require_service
from testing.factories import TEST_PASSWORD, PatientFactory, appointment_type, room

DEAD_REDIS = "redis://127.0.0.1:1/1"


def fallback_cache(settings, location, **options):
    clinic_cache._outages.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "clinic.cache.RedisCacheWithFallback",
            "LOCATION": location,
            "OPTIONS": options,
        }
    }
    cache.fallback.clear()
    return cache


@pytest.fixture
def redis_down(settings):
    yield fallback_cache(settings, DEAD_REDIS)
    clinic_cache._outages.clear()


# The cache's Redis is down -----------------------------------------------------------------------


def test_the_sign_in_page_and_signing_in_work_with_redis_down(client, nurse, redis_down, caplog):
    assert client.get(reverse("account_login")).status_code == 200
    response = client.post(reverse("account_login"), {"login": nurse.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home"), follow=True).status_code == 200
    assert redis_down.using_fallback
    assert "Redis cache unreachable" in caplog.text


def test_failed_sign_ins_are_still_limited_with_redis_down_in_this_process(client, nurse, redis_down):
    wrong = {"login": nurse.email, "password": "not the password at all"}
    for _ in range(5):
        assert (
            "Too many failed login attempts"
            not in client.post(reverse("account_login"), wrong).content.decode()
        )
    refused = client.post(reverse("account_login"), {"login": nurse.email, "password": TEST_PASSWORD})
    assert refused.status_code == 200
    assert "Too many failed login attempts" in refused.content.decode()


@pytest.fixture
def everything(nurse, patient_a, patient_b):
    give_one_of_everything(patient_b, nurse)
    give_one_of_everything(patient_a, nurse, room_name="Room B", days_ahead=6)
    return patient_a, patient_b


def test_every_page_works_for_a_nurse_and_a_patient_with_redis_down(
    client_for, nurse, everything, redis_down
):
    patient_a, patient_b = everything
    staff, patient = client_for(nurse), client_for(patient_a.user)
    checked = 0
    started = time.monotonic()
    for route, name, view in project_urls():
        if view.audience == "staff":
            response = staff.get(url_for(name, route, patient_b))
            # The nurse's own permissions give 403 on some pages; what matters is no 500.
            assert response.status_code in (200, 302, 403, 404, 405), f"{name}: {response.status_code}"
        elif view.audience == "patient":
            response = patient.get(url_for(name, route, patient_a))
            assert response.status_code in (200, 302, 404, 405), f"{name}: {response.status_code}"
        else:
            continue
        checked += 1
    assert checked > 30
    assert redis_down.using_fallback
    # Redis was asked once and left alone for the rest of the window, not on every call.
    assert time.monotonic() - started < 60


def test_a_dead_redis_is_asked_once_per_window_and_the_warning_is_not_repeated(settings, caplog):
    from django.core.cache.backends.redis import RedisCacheClient

    degraded = fallback_cache(settings, DEAD_REDIS, RETRY_AFTER=3600)
    asked = []
    real = RedisCacheClient.get_client

    def counting(self, *args, **kwargs):
        asked.append(1)
        return real(self, *args, **kwargs)

    RedisCacheClient.get_client = counting
    try:
        with caplog.at_level(logging.INFO, logger="clinic.cache"):
            for number in range(50):
                degraded.set(f"n{number}", number)
                assert degraded.get(f"n{number}") == number
    finally:
        RedisCacheClient.get_client = real
        clinic_cache._outages.clear()
    assert len(asked) == 1
    assert caplog.text.count("Redis cache unreachable") == 1


def test_settings_are_read_from_the_database_with_redis_down(redis_down, db):
    ClinicSettings.objects.update_or_create(pk=1, defaults={"name": "Riverside Clinic"})
    assert ClinicSettings.load().name == "Riverside Clinic"


# Redis comes back --------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port):
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, db=14)
    for _ in range(100):
        try:
            client.ping()
            return process, client
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("redis-server did not start")


@pytest.mark.services
def test_the_cache_uses_redis_again_once_it_returns(settings, caplog):
    require_service(shutil.which("redis-server"), "redis-server is not installed")
    port = free_port()
    process, direct = start_redis(port)
    degraded = fallback_cache(settings, f"redis://127.0.0.1:{port}/14", RETRY_AFTER=0.3)
    try:
        degraded.set("greeting", "from redis")
        assert direct.get(degraded.make_key("greeting")) is not None

        process.terminate()
        process.wait(10)
        degraded.set("greeting", "from memory")
        assert degraded.using_fallback
        assert degraded.get("greeting") == "from memory"

        process, direct = start_redis(port)
        time.sleep(0.4)
        with caplog.at_level(logging.INFO, logger="clinic.cache"):
            degraded.set("greeting", "from redis again")
        assert not degraded.using_fallback
        assert "reachable again" in caplog.text
        assert degraded.get("greeting") == "from redis again"
        assert direct.get(degraded.make_key("greeting")) is not None
    finally:
        process.kill()
        process.wait(10)
        clinic_cache._outages.clear()


# The Celery broker is down -----------------------------------------------------------------------


@pytest.fixture
def broker_down(monkeypatch):
    """A real unreachable broker, not a mock: kombu's own errors, after its own publish retries."""
    # Celery reads the CELERY_BROKER_URL environment variable before its own setting (CI sets it).
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app.conf.task_always_eager = False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_inviting_a_patient_works_with_the_broker_down_and_the_invitation_goes_out_later(
    client_for, front_desk, broker_down, django_capture_on_commit_callbacks, caplog
):
    from patients.tasks import send_unsent_invitations

    patient = PatientFactory(status="screening", email="invitee@test.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(front_desk).post(reverse("patients:invite", args=[patient.external_id]))
    assert response.status_code == 302
    invitation = patient.invitations.get()
    assert invitation.sent_at is None and not mail.outbox
    assert "broker unreachable" in caplog.text

    celery_app.conf.task_always_eager = True  # the broker is back: beat's sweep reaches a worker
    assert send_unsent_invitations() == 0  # too recent: its own task may still be on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert send_unsent_invitations() == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    (message,) = mail.outbox
    assert message.to == ["invitee@test.example"]
    assert send_unsent_invitations() == 0


def test_booking_works_with_the_broker_down_and_the_reminders_wait_as_rows(
    client_for, nurse, patient_a, broker_down, django_capture_on_commit_callbacks
):
    day = timezone.localdate() + timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(nurse).post(
            reverse("sessions:book", args=[patient_a.external_id]),
            {
                "appointment_type": appointment_type("consultation").pk,
                "date": day.isoformat(),
                "time": "10:00",
                "room": room("Room A", is_chair=False).pk,
                "clinician": nurse.pk,
            },
        )
    assert response.status_code == 302, response.content.decode()[:500]
    appointment = patient_a.appointments.get()
    assert appointment.reminders.filter(status="pending").count() == 4
