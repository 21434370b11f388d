"""manage.py backup --out FILE|FOLDER: the database and the media files in one archive."""

from django.core.management.base import BaseCommand, CommandError

from clinic.backup import BackupError
from clinic.backup.operations import create_backup


def media_count(count):
    return f"{count:,} media file{'' if count == 1 else 's'}"


def size(count):
    for unit in ("bytes", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return None


class Command(BaseCommand):
    help = (
        "Write the database and the media files (signed consent PDFs) into one archive that only its "
        "owner can read, with a manifest of SHA-256 checksums. Safe while the clinic is running. "
        "See README: Backup and restore."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            required=True,
            help="the archive to write (never overwritten), or a folder to write "
            "clinic-backup-<UTC date-time>Z.tar into",
        )

    def handle(self, *args, out, verbosity, **options):
        try:
            report = create_backup(out)
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = report.manifest
        database = manifest["database"]
        self.stdout.write(
            f"Backed up the {report.database} ({database['dump_tool']}): {size(report.database_bytes)}."
        )
        self.stdout.write(
            f"Backed up {media_count(report.media_files)} ({size(report.media_bytes)}) from {report.media_root}."
        )
        if verbosity > 1:
            self.stdout.write(f"Clinic {manifest['clinic_version']}, migrations applied:")
            for app, names in manifest["migrations"].items():
                self.stdout.write(f"  {app}: {len(names)}, last {names[-1]}")
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {report.path} (readable by its owner only), SHA-256 {report.sha256}.")
        )
