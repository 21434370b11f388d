"""Making a backup and restoring one: what the two management commands run.

Order matters for a backup taken while the clinic works: the database first, then the media files.
A consent PDF is written before its row commits and media files are never deleted, so every row in
the dump finds its file in the archive; a file newer than the dump is carried along unused.
"""

import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from clinic.backup import BackupError
from clinic.backup.archive import FORMAT, FORMAT_VERSION, MEDIA, ArchiveReader, ArchiveWriter
from clinic.backup.databases import engine_for
from clinic.backup.media import Staging, media_files, media_root


def clinic_version():
    """`git describe` of the running code, when it is a git checkout (else "unknown")."""
    try:
        result = subprocess.run(
            ["git", "describe", "--tags", "--always"],  # noqa: S607  (git from PATH, read-only)
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "unknown"


def applied_migrations():
    by_app = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        by_app.setdefault(app, []).append(name)
    return by_app


def archive_path(out, now):
    """``out`` itself, or in a folder a new name with the UTC time; never an existing file."""
    path = Path(out).expanduser()
    if path.is_dir():
        path = path / f"clinic-backup-{now:%Y%m%d-%H%M%S}Z.tar"
    if path.exists():
        raise BackupError(f"{path} exists already; a backup never overwrites a file.")
    if not path.parent.is_dir():
        raise BackupError(f"There is no folder {path.parent} to write the backup into.")
    return path


@dataclass
class BackupReport:
    path: Path
    sha256: str
    database: str
    database_bytes: int
    media_files: int
    media_bytes: int
    media_root: Path
    manifest: dict


def create_backup(out):
    engine = engine_for(connection)
    now = datetime.now(UTC)
    path = archive_path(out, now)
    migrations = applied_migrations()
    root = media_root()
    with (
        tempfile.TemporaryDirectory(prefix=".clinic-backup-", dir=path.parent) as work,
        ArchiveWriter(path) as archive,
    ):
        dump = Path(work) / engine.member
        database_info = engine.dump(dump)
        database_bytes = archive.add(engine.member, dump)
        dump.unlink()
        files = media_bytes = 0
        for relative, source in media_files(root):
            try:
                media_bytes += archive.add(MEDIA + relative, source)
            except FileNotFoundError:
                continue  # deleted since the folder was listed: not part of any record any more
            files += 1
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.isoformat(timespec="seconds"),
            "clinic_version": clinic_version(),
            "django_version": django.get_version(),
            "database": {"vendor": engine.vendor, "file": engine.member, **database_info},
            "migrations": migrations,
            "media": {"files": files, "bytes": media_bytes},
        }
        archive.close(manifest)
    return BackupReport(
        path=path,
        sha256=archive.sha256,
        database=engine.describe(),
        database_bytes=database_bytes,
        media_files=files,
        media_bytes=media_bytes,
        media_root=root,
        manifest=manifest,
    )


# Restore ------------------------------------------------------------------------------------------


@dataclass
class RestorePlan:
    """What a restore of ``reader`` would do here, found out before anything is written."""

    reader: ArchiveReader
    engine: object
    target: str
    tables: list
    media_root: Path
    media_files: int
    newer_in_code: list = field(default_factory=list)

    @property
    def manifest(self):
        return self.reader.manifest

    @property
    def target_has_data(self):
        return bool(self.tables or self.media_files)

    def refusal(self):
        """Why the target is not empty, as a message; None when it is."""
        if not self.target_has_data:
            return None
        found = []
        if self.tables:
            found.append(f"the {self.target} has {len(self.tables)} tables")
        if self.media_files:
            found.append(f"the media folder {self.media_root} has {self.media_files} files")
        return (
            f"Nothing was restored: {' and '.join(found)}. A restore writes only into an empty database "
            "and an empty media folder, so that a backup never overwrites records by mistake.\n"
            "Either point DATABASE_URL (and VAR_DIR) at a new, empty database and folder "
            "(PostgreSQL: createdb -O <user> <name>), or, to delete everything there now and put the "
            "backup in its place, stop the web server, worker and beat and run again with --replace."
        )


def migrations_check(manifest):
    """The code's migrations the backup lacks (run `migrate` after restoring); refuses a backup made
    by a newer Clinic, whose tables this code would misread."""
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(in_backup - on_disk)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"This backup was made by a newer version of Clinic ({manifest.get('clinic_version')}): it "
            f"has {len(unknown)} migration(s) this code does not know ({names}). Install that version, "
            "restore with it, and upgrade from there."
        )
    return sorted(on_disk - in_backup)


def plan_restore(reader):
    engine = engine_for(connection)
    database = reader.manifest["database"]
    if database.get("vendor") != engine.vendor:
        raise BackupError(
            f"This backup holds a {database.get('vendor')} database, and DATABASE_URL points at "
            f"{engine.vendor}: restore it into the same kind of database."
        )
    newer_in_code = migrations_check(reader.manifest)
    try:
        tables = engine.table_names()
    except DatabaseError as error:
        raise BackupError(
            f"Cannot open the {engine.describe()} ({str(error).strip()}). Create it, empty, first."
        ) from None
    engine.check_restore(database)
    root = media_root()
    return RestorePlan(
        reader=reader,
        engine=engine,
        target=engine.describe(),
        tables=tables,
        media_root=root,
        media_files=len(media_files(root)),
        newer_in_code=newer_in_code,
    )


@dataclass
class RestoreReport:
    target: str
    rows: dict
    media_files: int
    media_bytes: int
    media_root: Path
    newer_in_code: list

    @property
    def total_rows(self):
        return sum(self.rows.values())


def row_counts():
    tables = set(connection.introspection.table_names())
    recorder = MigrationRecorder(connection)
    counts = {recorder.Migration._meta.db_table: recorder.migration_qs.count()}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and meta.db_table in tables and meta.db_table not in counts:
            counts[meta.db_table] = model._base_manager.count()
    return counts


def restore(plan, *, replace=False):
    """Put the verified archive of ``plan`` in place: all of it, or (on any failure) nothing."""
    if plan.target_has_data and not replace:
        raise BackupError(plan.refusal())
    reader = plan.reader
    with Staging(plan.media_root) as staging, tempfile.TemporaryDirectory(prefix="clinic-restore-") as work:
        media_bytes = 0
        for member in reader.media_members:
            staging.unpack(reader, member, member.removeprefix(MEDIA))
            media_bytes += reader.members[member]["size"]
        dump = Path(work) / reader.database_member
        reader.extract(reader.database_member, dump)
        plan.engine.restore(dump, replace=replace)
        try:
            staging.put_in_place(replace=replace)
        except OSError as error:
            staging.keep = True  # the only copy outside the archive of what is not in place yet
            raise BackupError(
                f"The database was restored, but moving the media files into {plan.media_root} failed "
                f"({error}). They are all in {staging.folder}: move its contents into {plan.media_root}."
            ) from None
    return RestoreReport(
        target=plan.target,
        rows=row_counts(),
        media_files=len(reader.media_members),
        media_bytes=media_bytes,
        media_root=plan.media_root,
        newer_in_code=plan.newer_in_code,
    )
