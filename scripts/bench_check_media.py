"""Measure `manage.py check_media` on N generated consent PDFs (default 5,000) and extrapolate to 60k.

    .venv/bin/python scripts/bench_check_media.py [--files N] [--workers 1,4,8]

Works in a throwaway VAR_DIR (media and, unless DATABASE_URL names one, a SQLite database) and deletes
it afterwards; in a database DATABASE_URL names, its own patient, user and rows are deleted at the end (use a
database with no other stored files: check_media checks them all). Every file is a real signed consent PDF made by `sign_consent` with one byte varied, so
sizes and checksums are realistic. Prints files/s, MB/s and the peak RSS of the process.
"""

import argparse
import hashlib
import io
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--workers", default="1,4,8")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="clinic-bench-media-"))
    os.environ["VAR_DIR"] = str(work)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import CommandError, call_command

    try:
        call_command("migrate", verbosity=0)
        _generate(options.files)
        for workers in [int(w) for w in options.workers.split(",")]:
            out = io.StringIO()
            started = time.monotonic()
            try:
                call_command("check_media", "--workers", str(workers), stdout=out)
            except CommandError as error:
                sys.exit(f"check_media failed: {error}\n{out.getvalue()}")
            elapsed = time.monotonic() - started
            megabytes = sum(p.stat().st_size for p in (work / "media" / "consents").iterdir()) / 1e6
            files = options.files + 1
            print(
                f"workers={workers}: {files} files, {megabytes:.0f} MB in {elapsed:.2f} s = "
                f"{files / elapsed:.0f} files/s, {megabytes / elapsed:.0f} MB/s; "
                f"60,000 files would take ~{60000 / (files / elapsed):.0f} s"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process (generation included): {peak:.0f} MB")
    finally:
        from patients.models import ConsentSignature, Patient

        # Only the rows made here (a PostgreSQL database named by DATABASE_URL outlives the run).
        for patient in Patient.objects.filter(email__startswith="bench-", email__endswith="@bench.example"):
            ConsentSignature.objects.filter(patient=patient).delete()
            user = patient.user
            patient.delete()
            user.delete()
        shutil.rmtree(work, ignore_errors=True)


def _generate(count):
    from django.conf import settings

    from patients.models import ConsentSignature
    from testing.factories import PatientFactory, UserFactory, sign_consent_for

    email = f"bench-{uuid.uuid4().hex[:12]}@bench.example"
    patient = PatientFactory(email=email)
    patient.user = UserFactory(email=email)
    patient.save()
    first = sign_consent_for(patient, "iv")
    template = Path(first.pdf.path).read_bytes()
    folder = Path(settings.MEDIA_ROOT) / "consents"
    started = time.monotonic()
    rows = []
    for number in range(count):
        # A comment after %%EOF varies the bytes (and so the checksum) without breaking the PDF.
        content = template + f"\n% bench {number}\n".encode()
        name = f"consents/bench-{number:06d}.pdf"
        (folder / Path(name).name).write_bytes(content)
        rows.append(
            ConsentSignature(
                patient=patient,
                document=first.document,
                typed_name="bench",
                signed_in_as=patient.user,
                pdf=name,
                pdf_sha256=hashlib.sha256(content).hexdigest(),
            )
        )
    ConsentSignature.objects.bulk_create(rows, batch_size=1000)
    print(
        f"generated {count} PDFs of {len(template) / 1024:.0f} KB each in {time.monotonic() - started:.1f} s "
        f"(database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
    )


if __name__ == "__main__":
    main()
