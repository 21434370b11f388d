"""Personas and service guards shared by every test.

Personas: one user per staff role, patient A and patient B (each with a portal login), anonymous.
REQUIRE_SERVICES=1 (CI) turns every "skip: service missing" into a failure.
"""

import os
import shutil

import pytest

from clinic import roles
from clinic.celery import app as celery_app
from clinic.env import env_bool

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the
# live server and fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES", False)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


def require_service(available, reason):
    """Skip when a service is missing; with REQUIRE_SERVICES=1 fail instead."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def pytest_sessionstart(session):
    """Stop at once, with the command to run, when WeasyPrint lacks a system library.

    Without HarfBuzz subset WeasyPrint warns on every PDF, and `filterwarnings = error` would turn
    that into dozens of failures that do not say why. `make test` installs it first; this covers a
    bare `pytest`.
    """
    import warnings

    fix = "sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 (or: make system-packages)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            from weasyprint.text import ffi
        except OSError as error:
            pytest.exit(f"WeasyPrint cannot load a system library ({error}). Run: {fix}", returncode=4)
    if ffi.harfbuzz_subset is None:
        pytest.exit(f"HarfBuzz subset (libharfbuzz-subset0) is not installed. Run: {fix}", returncode=4)


@pytest.fixture(autouse=True)
def _fast_and_eager(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REQUIRE_STAFF_MFA = False
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    from django.core.cache import cache

    cache.clear()
    yield
    celery_app.conf.task_always_eager = False


def _staff(role):
    from testing.factories import UserFactory

    return UserFactory(email=f"{role.lower().replace(' ', '')}@test.example", roles=[role])


@pytest.fixture
def administrator(db):
    user = _staff(roles.ADMINISTRATOR)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def prescriber(db):
    return _staff(roles.PRESCRIBER)


@pytest.fixture
def nurse(db):
    return _staff(roles.NURSE)


@pytest.fixture
def therapist(db):
    return _staff(roles.THERAPIST)


@pytest.fixture
def front_desk(db):
    return _staff(roles.FRONT_DESK)


@pytest.fixture
def staff_by_role(administrator, prescriber, nurse, therapist, front_desk):
    return {
        roles.ADMINISTRATOR: administrator,
        roles.PRESCRIBER: prescriber,
        roles.NURSE: nurse,
        roles.THERAPIST: therapist,
        roles.FRONT_DESK: front_desk,
    }


def _portal_patient(email):
    from testing.factories import PatientFactory, UserFactory

    patient = PatientFactory(email=email)
    patient.user = UserFactory(
        email=email, first_name=patient.legal_given_name, last_name=patient.legal_family_name
    )
    patient.save()
    return patient


@pytest.fixture
def patient_a(db):
    return _portal_patient("patient.a@test.example")


@pytest.fixture
def patient_b(db):
    return _portal_patient("patient.b@test.example")


@pytest.fixture
def client_for(client):
    """client_for(user) gives a test client signed in as that user (None: anonymous)."""
    from django.test import Client

    def make(user):
        if user is None:
            return client
        signed_in = Client()
        signed_in.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return signed_in

    return make


# Browser ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_service(
        os.path.exists(CHROMIUM) and shutil.which(CHROMIUM) is not None,
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def screenshot():
    """screenshot(page, name) saves artifacts/screenshots/<name>.png to look at."""
    folder = os.path.join(ARTIFACTS, "screenshots")
    os.makedirs(folder, exist_ok=True)

    def take(page, name):
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)

    return take


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connections

    contents = getattr(connections["default"], "_test_serialized_contents", None)
    if contents:
        # Playwright's sync API switches greenlets, after which Django hands out a fresh connection
        # object without the snapshot that serialized_rollback restores. On the class, every
        # connection object has it, whichever fixture started Playwright first.
        type(connections["default"])._test_serialized_contents = contents
    yield
    # Connections opened inside Playwright's greenlets are out of reach of close_all(); PostgreSQL
    # will not drop the test database while they live, so end them first.
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
