"""manage.py restore FILE: the database and the media files from a backup archive, all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from clinic.backup import BackupError
from clinic.backup.archive import ArchiveReader
from clinic.backup.operations import plan_restore, restore
from clinic.management.commands.backup import media_count, size

LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the database DATABASE_URL names and into "
        "MEDIA_ROOT. Every checksum is verified before anything is written, and both must be empty "
        "unless --replace is given. See README: Backup and restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar file written by manage.py backup")
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="check the archive's checksums and describe it; write nothing, need no database",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete everything in the database and the media folder and put the backup in its place "
            "(stop the web server, worker and beat first); asks for confirmation unless --no-input",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation (with --replace)",
        )

    def handle(self, *args, archive, verify_only, replace, interactive, verbosity, **options):
        try:
            with ArchiveReader(archive) as reader:
                self._restore(reader, verify_only, replace, interactive, verbosity)
        except BackupError as error:
            raise CommandError(f"{archive}: {error}") from None

    def _restore(self, reader, verify_only, replace, interactive, verbosity):
        manifest = reader.manifest
        database = manifest["database"]
        dumped_by = f" dumped by {database.get('dump_tool')}" if database["vendor"] == "postgresql" else ""
        self.stdout.write(
            f"Backup made {manifest.get('created_at')} by Clinic {manifest.get('clinic_version')}: "
            f"{LABELS.get(database['vendor'], database['vendor'])} {database.get('server_version')} database"
            f"{dumped_by}, "
            f"{media_count(manifest['media']['files'])} ({size(manifest['media']['bytes'])})."
        )
        plan = None if verify_only else plan_restore(reader)
        if plan and plan.target_has_data and not replace:
            raise BackupError(plan.refusal())
        reader.verify()
        self.stdout.write(
            f"The database and {media_count(len(reader.media_members))} match their SHA-256 checksums."
        )
        if plan is None:
            return
        if plan.target_has_data and interactive:
            answer = self._ask(
                f"This deletes everything in the {plan.target} ({len(plan.tables)} tables) and in "
                f"{plan.media_root} ({plan.media_files} files), and puts the backup in its place.\n"
                "Type 'yes' to continue, or anything else to stop: "
            )
            if answer != "yes":
                raise CommandError("Nothing was restored.")
        report = restore(plan, replace=replace)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored into the {report.target}: {len(report.rows)} tables, {report.total_rows:,} rows."
            )
        )
        if verbosity > 1:
            for table, count in sorted(report.rows.items()):
                self.stdout.write(f"  {table}: {count}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {media_count(report.media_files)} ({size(report.media_bytes)}) into {report.media_root}."
            )
        )
        if report.newer_in_code:
            names = ", ".join(f"{app}.{name}" for app, name in report.newer_in_code[:5])
            self.stdout.write(
                self.style.WARNING(
                    f"This code has {len(report.newer_in_code)} migration(s) newer than the backup ({names}): "
                    "run `python manage.py migrate` before starting the clinic."
                )
            )
        else:
            self.stdout.write("The database is at this code's migrations: nothing to migrate.")

    def _ask(self, question):
        try:
            return input(question).strip()
        except EOFError:
            return ""
