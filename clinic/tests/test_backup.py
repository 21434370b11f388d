"""Backup and restore (manage.py backup / restore).

A signed treatment session and a signed consent are backed up and restored into a new, empty database
and media folder; the application, pointed at them, then serves the session record PDF and the
consent PDF. Runs on the database the suite runs on: SQLite by default, PostgreSQL when DATABASE_URL
says so (CI), where the dump goes through pg_dump and pg_restore and the audit trail's append-only
trigger has to come back too. A damaged or changed archive, and a target holding data, are refused
before anything is written.
"""

import hashlib
import io
import json
import shutil
import stat
import tarfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse

from clinic.backup.archive import ArchiveWriter
from clinic.backup.databases import client_problem, tool_major
from conftest import require_service
from sessions.models import TreatmentSession
from sessions.tests.test_records import pdf_text
from testing.charting import charted_session

transactional = pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # pg_dump and SQLite's backup see committed rows; the roles survive the flush


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def media_files(root):
    return sorted(path.relative_to(root).as_posix() for path in Path(root).rglob("*") if path.is_file())


def user_triggers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        return [name for (name,) in cursor.fetchall()]


@contextmanager
def app_database(name):
    """The application's database connection pointed at ``name`` (the restored one) meanwhile."""
    connection.close()
    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@contextmanager
def uncommitted_row(group_name):
    """Another connection holding a write transaction open: the clinic at work during the backup."""
    other = connections.create_connection("default")
    other.set_autocommit(False)
    with other.cursor() as cursor:
        cursor.execute("INSERT INTO auth_group (name) VALUES (%s)", [group_name])
    try:
        yield
    finally:
        other.rollback()
        other.close()


@pytest.fixture
def empty_database(tmp_path):
    """A new, empty database on the suite's server (or a new SQLite file), dropped afterwards."""
    if connection.vendor == "sqlite":
        yield str(tmp_path / "restored.sqlite3")
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    quoted = connection.ops.quote_name(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
        cursor.execute(f"CREATE DATABASE {quoted} TEMPLATE template0")
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
            )
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")


@pytest.fixture
def signed_chart(nurse, prescriber, patient_a):
    """A signed and locked IV session; charting it cleared the patient, consent signed (a PDF)."""
    session = charted_session(patient_a, nurse, prescriber)
    consent = patient_a.consent_signatures.get()
    assert session.is_locked and consent.pdf
    return session, consent


@pytest.fixture
def archive(signed_chart, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    run("backup", "--out", str(folder))
    return next(folder.glob("clinic-backup-*Z.tar"))


@transactional
def test_a_backup_restored_into_an_empty_database_opens_the_signed_record_and_the_consent(
    signed_chart, nurse, patient_a, empty_database, settings, tmp_path, client_for
):
    session, consent = signed_chart
    signed_pdf = Path(consent.pdf.path).read_bytes()
    triggers = user_triggers() if connection.vendor == "postgresql" else []
    folder = tmp_path / "backups"
    folder.mkdir()

    with uncommitted_row("written while the backup ran"):
        output = run("backup", "--out", str(folder))

    (path,) = folder.iterdir()  # no temporary file left beside it
    assert path.name.startswith("clinic-backup-") and path.name.endswith("Z.tar")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Wrote {path}" in output and "1 media file " in output
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[-1] == "manifest.json"
    assert sorted(names) == sorted([*manifest["members"], "manifest.json"])
    assert manifest["members"][f"media/{consent.pdf.name}"] == {
        "size": len(signed_pdf),
        "sha256": sha256(signed_pdf),
    }
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["migrations"]["treatment_sessions"] and manifest["clinic_version"]
    assert manifest["created_at"].endswith("+00:00")
    with pytest.raises(CommandError, match="exists already"):
        run("backup", "--out", str(path))

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with app_database(empty_database):
        output = run("restore", str(path))
        assert "The database and 1 media file match their SHA-256 checksums." in output
        assert "Restored into the " in output and "Restored 1 media file " in output
        assert "nothing to migrate" in output

        restored = TreatmentSession.objects.get()
        assert restored.external_id == session.external_id and restored.is_locked
        assert not Group.objects.filter(name="written while the backup ran").exists()
        if connection.vendor == "postgresql":
            assert user_triggers() == triggers  # the audit trail's append-only trigger among them

        client = client_for(nurse)
        record = client.get(
            reverse("sessions:chart_record_pdf", args=[patient_a.external_id, session.external_id])
        )
        assert record.status_code == 200 and record["Content-Type"] == "application/pdf"
        text = pdf_text(record.content)
        assert "Treatment session record" in text and "Signed and locked" in text
        assert f"{patient_a.legal_family_name}, {patient_a.legal_given_name}" in text

        signed = client.get(
            reverse("patients:consent_pdf", args=[patient_a.external_id, consent.external_id])
        )
        assert signed.status_code == 200
        assert sha256(signed.content) == sha256(signed_pdf)
    assert (settings.MEDIA_ROOT / consent.pdf.name).read_bytes() == signed_pdf
    assert media_files(settings.MEDIA_ROOT) == [consent.pdf.name]  # no work folder left behind


# Refusals -----------------------------------------------------------------------------------------


def flip_a_byte(member):
    def tamper(path):
        with tarfile.open(path) as tar:
            found = next(info for info in tar.getmembers() if info.name.startswith(member))
        with open(path, "r+b") as file:
            file.seek(found.offset_data + found.size // 2)
            byte = file.read(1)
            file.seek(-1, io.SEEK_CUR)
            file.write(bytes([byte[0] ^ 0x01]))

    return tamper


def add_a_file(path):
    with tarfile.open(path, "a") as tar:
        info = tarfile.TarInfo("media/consents/added.pdf")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"%PDF"))


def remove_the_media_file(path):
    copy = path.with_suffix(".copy")
    with tarfile.open(path) as source, tarfile.open(copy, "w") as target:
        for info in source.getmembers():
            if not info.name.startswith("media/"):
                target.addfile(info, source.extractfile(info))
    copy.replace(path)


def cut_short(path):
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 2)


TAMPERING = {
    "a byte of the consent PDF changed": (flip_a_byte("media/"), "does not match its SHA-256"),
    "a byte of the database changed": (flip_a_byte("database."), "does not match its SHA-256"),
    "a file added": (add_a_file, "its manifest does not list"),
    "a file removed": (remove_the_media_file, "missing"),
    "cut short": (cut_short, "incomplete"),
    "not an archive": (lambda path: path.write_bytes(b"%PDF-1.7 not a backup"), "not a readable tar"),
}


@transactional
def test_a_damaged_or_changed_archive_is_refused_before_anything_is_written(
    archive, empty_database, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    intact = run("restore", str(archive), "--verify-only")
    assert "match their SHA-256 checksums" in intact and "Restored" not in intact
    assert not settings.MEDIA_ROOT.exists()

    for what, (tamper, reason) in TAMPERING.items():
        damaged = tmp_path / f"{what}.tar"
        shutil.copyfile(archive, damaged)
        tamper(damaged)
        with app_database(empty_database):
            with pytest.raises(CommandError) as refused:
                run("restore", str(damaged))
            assert reason in str(refused.value), what
            assert connection.introspection.table_names() == [], what
        assert media_files(settings.MEDIA_ROOT) == [], what
        with pytest.raises(CommandError, match=reason):
            run("restore", str(damaged), "--verify-only")


@transactional
def test_restore_refuses_a_database_with_data_and_replace_puts_the_backup_in_its_place(
    archive, signed_chart, empty_database, settings, tmp_path, monkeypatch
):
    _, consent = signed_chart
    signed_pdf = Path(consent.pdf.path).read_bytes()
    with pytest.raises(
        CommandError, match=r"Nothing was restored: the .* has \d+ tables and the media folder"
    ):
        run("restore", str(archive))  # the clinic's own database, which has the data
    assert Path(consent.pdf.path).read_bytes() == signed_pdf

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with app_database(empty_database):
        run("restore", str(archive))
        Group.objects.create(name="made after the backup")
        (settings.MEDIA_ROOT / "consents" / "made-after-the-backup.pdf").write_bytes(b"%PDF")
        with pytest.raises(CommandError, match="run again with --replace"):
            run("restore", str(archive))

        monkeypatch.setattr("builtins.input", lambda question: "no")
        with pytest.raises(CommandError, match="Nothing was restored"):
            run("restore", str(archive), "--replace")
        assert Group.objects.filter(name="made after the backup").exists()

        # The clinic still running: the restore waits for its locks, gives up and changes nothing.
        monkeypatch.setattr("clinic.backup.databases.REPLACE_LOCK_TIMEOUT", "1s")
        monkeypatch.setattr("clinic.backup.databases.SQLITE_LOCK_TIMEOUT", 1)
        with uncommitted_row("a write in progress"), pytest.raises(CommandError) as refused:
            run("restore", str(archive), "--replace", "--no-input")
        assert "Stop the web server, the Celery worker and beat first" in str(refused.value)
        assert Group.objects.filter(name="made after the backup").exists()
        assert "made-after-the-backup.pdf" in " ".join(media_files(settings.MEDIA_ROOT))

        output = run("restore", str(archive), "--replace", "--no-input")
        assert "Restored 1 media file " in output
        assert not Group.objects.filter(name="made after the backup").exists()
        assert TreatmentSession.objects.get().is_locked
    assert media_files(settings.MEDIA_ROOT) == [consent.pdf.name]
    assert (settings.MEDIA_ROOT / consent.pdf.name).read_bytes() == signed_pdf


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"migrations": {"clinic": ["9999_from_a_later_release"]}}, "made by a newer version of Clinic"),
        ({"vendor": "elsewhere"}, "restore it into the same kind of database"),
    ],
)
def test_a_backup_from_a_newer_clinic_or_another_database_is_refused(tmp_path, change, reason):
    dump = tmp_path / "database"
    dump.write_bytes(b"not read: refused before")
    path = tmp_path / "other.tar"
    with ArchiveWriter(path) as archive:
        archive.add("database.dump", dump)
        archive.close(
            {
                "format": "clinic-backup",
                "format_version": 1,
                "database": {
                    "vendor": change.get("vendor", connection.vendor),
                    "file": "database.dump",
                    "server_version": "15.20",
                    "dump_tool": "pg_dump (PostgreSQL) 15.20",
                },
                "migrations": change.get("migrations", {}),
                "media": {"files": 0, "bytes": 0},
            }
        )
    with pytest.raises(CommandError, match=reason):
        run("restore", str(path))


# PostgreSQL client tools --------------------------------------------------------------------------


def test_a_missing_or_older_postgresql_client_is_named_with_the_command_to_install_it():
    assert tool_major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)") == 15
    assert tool_major("pg_restore (PostgreSQL) 9.6.24") == 9
    missing = client_problem("pg_dump", None, 16, "backing up PostgreSQL 16.4")
    assert "pg_dump is not installed" in missing
    assert "sudo apt-get install -y postgresql-client-16" in missing
    older = client_problem("pg_dump", 15, 16, "backing up PostgreSQL 16.4")
    assert "pg_dump is version 15, and backing up PostgreSQL 16.4 needs version 16 or newer" in older
    assert client_problem("pg_dump", 17, 16, "backing up PostgreSQL 16.4") is None


@pytest.mark.services
@pytest.mark.django_db
def test_without_pg_dump_the_backup_stops_with_the_apt_command(tmp_path, monkeypatch):
    require_service(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    major = connection.pg_version // 10000
    fake = tmp_path / "bin"
    fake.mkdir()
    monkeypatch.setenv("PATH", str(fake))
    with pytest.raises(CommandError, match=f"sudo apt-get install -y postgresql-client-{major}"):
        run("backup", "--out", str(tmp_path))

    too_old = fake / "pg_dump"
    too_old.write_text(f"#!/bin/sh\necho 'pg_dump (PostgreSQL) {major - 1}.9'\n")
    too_old.chmod(0o755)
    with pytest.raises(CommandError, match=f"pg_dump is version {major - 1}"):
        run("backup", "--out", str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bin"]  # nothing written
