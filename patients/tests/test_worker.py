"""The invitation flow through a real Celery worker process (Redis in CI, the file-system broker on
a laptop): staff invite, the worker sends the email, the patient uses the link once."""

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from clinic.celery import app as celery_app
from conftest import REQUIRE_SERVICES, require_service
from patients.models import PortalInvitation
from testing.factories import PatientFactory

ROOT = Path(__file__).resolve().parents[2]
# serialized_rollback: the roles made by a data migration survive the flush after this test.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_is_reachable():
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:
        return False


@pytest.fixture
def worker(tmp_path):
    if REQUIRE_SERVICES:
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI runs the worker on Redis"
    require_service(broker_is_reachable(), f"the Celery broker {settings.CELERY_BROKER_URL} is not reachable")
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a laptop's `make run` worker must not take these
    mail_folder = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"file://{mail_folder}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--pool=solo", "-Q", queue,
         "--without-mingle", "--without-gossip", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield mail_folder
    finally:
        celery_app.conf.task_default_queue = "celery"
        process.terminate()
        process.wait(timeout=20)
        log.close()


def wait_for_mail(folder, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.log")) if folder.exists() else []
        if files:
            return files[0].read_text()
        time.sleep(0.2)
    raise AssertionError(f"the worker sent no email within {seconds} s")


def test_a_real_worker_sends_the_invitation_and_the_link_works_once(worker, client_for, nurse, client):
    patient = PatientFactory(email="worker.flow@test.example")
    response = client_for(nurse).post(reverse("patients:invite", args=[patient.external_id]))
    assert response.status_code == 302

    message = wait_for_mail(worker)
    assert "worker.flow@test.example" in message
    url = re.search(r"https?://\S+?(/portal/invitation/\S+/)", message).group(1)
    deadline = time.monotonic() + 10
    while PortalInvitation.objects.get().sent_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert PortalInvitation.objects.get().sent_at is not None

    password = "harbour-light-cobalt-8"
    response = client.post(url, {"password1": password, "password2": password}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    client.post(reverse("account_logout"))
    assert client.get(url).status_code == 410
