"""Settings come from the environment; a malformed value stops start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.env import env_bool, env_database, env_email

ROOT = Path(__file__).resolve().parents[2]


def start_django(tmp_path, command=("check",), **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "DEBUG",
            "SECRET_KEY",
            "EMAIL_URL",
            "CELERY_BROKER_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    environment.update({"VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "postgres://user@host:notaport/clinic"),
        ("DATABASE_URL", "mysql://user@host/clinic"),
        ("DATABASE_URL", "not a url"),
        ("DEBUG", "flase"),
        ("REQUIRE_STAFF_MFA", "maybe"),
        ("EMAIL_URL", "smtp://host:abc"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("CELERY_BROKER_URL", "amqp2://broker"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    result = start_django(tmp_path, **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.splitlines()[-1]


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = start_django(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.splitlines()[-1]


def test_production_values_pass_check_deploy_with_nothing_to_report(tmp_path):
    result = start_django(
        tmp_path,
        command=("check", "--deploy", "--fail-level", "DEBUG"),
        DEBUG="false",
        SECRET_KEY="a-production-secret-that-is-long-and-random-1234567890-abcdefghij",
        ALLOWED_HOSTS="clinic.example.org",
        DATABASE_URL="postgres://clinic:pw@db.internal:5432/clinic",
        CELERY_BROKER_URL="redis://redis.internal:6379/0",
        EMAIL_URL="smtp://mailer:secret@smtp.example.org:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"), [("1", True), ("TRUE", True), ("on", True), ("no", False), ("0", False)]
)
def test_booleans_read_strictly(monkeypatch, text, expected):
    monkeypatch.setenv("SOME_FLAG", text)
    assert env_bool("SOME_FLAG", not expected) is expected


def test_an_empty_variable_means_the_default(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "  ")
    assert env_bool("SOME_FLAG", True) is True


def test_database_url_defaults_to_sqlite_and_reads_postgres(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")["ENGINE"].endswith("sqlite3")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h:5433/clinic")
    config = env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    assert (config["ENGINE"], config["HOST"], config["PORT"], config["NAME"]) == (
        "django.db.backends.postgresql",
        "h",
        5433,
        "clinic",
    )


def test_a_database_url_without_a_name_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")


def test_email_url_reads_smtp_with_tls(monkeypatch, tmp_path):
    monkeypatch.setenv("EMAIL_URL", "smtp://me%40example.org:p%3Ass@mail.example.org:2525")
    config = env_email("EMAIL_URL", tmp_path)
    assert config["EMAIL_HOST_USER"] == "me@example.org"
    assert config["EMAIL_HOST_PASSWORD"] == "p:ss"
    assert (config["EMAIL_PORT"], config["EMAIL_USE_TLS"], config["EMAIL_USE_SSL"]) == (2525, True, False)


def test_email_url_sends_without_tls_only_to_a_relay_on_this_machine(monkeypatch, tmp_path):
    monkeypatch.setenv("EMAIL_URL", "smtp+plain://localhost")
    config = env_email("EMAIL_URL", tmp_path)
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"], config["EMAIL_USE_SSL"]) == (
        "localhost",
        25,
        False,
        False,
    )
    monkeypatch.setenv("EMAIL_URL", "smtp+plain://mail.example.org:25")
    with pytest.raises(ImproperlyConfigured, match="only to a relay on this machine"):
        env_email("EMAIL_URL", tmp_path)


def test_email_defaults_to_files_under_var(monkeypatch, tmp_path):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    config = env_email("EMAIL_URL", tmp_path / "mail")
    assert config == {
        "EMAIL_BACKEND": "clinic.mail.FileAndConsoleBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
