"""Dumping and restoring the database: PostgreSQL with its own client tools, SQLite with its backup API.

Both dumps are consistent snapshots taken while the application keeps running: pg_dump reads in one
repeatable-read transaction, and SQLite's online backup copies every page inside one read
transaction (with the WAL journal the settings use, writers carry on meanwhile). Both restores are
one transaction: a restore that fails leaves the target as it was.
"""

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from django.db.backends.postgresql.client import DatabaseClient

from clinic.backup import BackupError
from clinic.backup.archive import CHUNK

#: How long a restore with --replace waits for the application's locks on PostgreSQL before giving up.
REPLACE_LOCK_TIMEOUT = "15s"
#: How long, in seconds, a copy of a SQLite database waits for a lock (the application's writes are
#: short: a wait this long means something holds the database).
SQLITE_LOCK_TIMEOUT = 20


def engine_for(connection):
    if connection.vendor == "postgresql":
        return PostgreSQL(connection)
    if connection.vendor == "sqlite":
        return SQLite(connection)
    raise BackupError(f"Backups cover PostgreSQL and SQLite; this database is {connection.vendor}.")


# PostgreSQL ---------------------------------------------------------------------------------------


def tool_major(version_text):
    """15 from 'pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)'; 9 from '... 9.6.24'."""
    match = re.search(r"\)\s+(\d+)", version_text) or re.search(r"(\d+)\.\d+", version_text)
    if not match:
        raise BackupError(f"Cannot read a version from {version_text!r}.")
    return int(match.group(1))


def client_problem(tool, client_major, needed_major, needed_for):
    """Why ``tool`` at ``client_major`` cannot work with ``needed_major``, or None when it can."""
    if client_major is not None and client_major >= needed_major:
        return None
    install = f"sudo apt-get install -y postgresql-client-{needed_major}"
    found = "is not installed" if client_major is None else f"is version {client_major}"
    return (
        f"{tool} {found}, and {needed_for} needs version {needed_major} or newer (the PostgreSQL client "
        f"tools). Install them and run this again:\n\n    {install}\n\n"
        "(If apt has no such package, add the PostgreSQL apt repository first: "
        "https://wiki.postgresql.org/wiki/Apt)"
    )


def _without_row_data(text):
    """psql's errors can quote a row of the dump (COPY context, key values): PHI, so left out."""
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("DETAIL:"):
            continue
        lines.append(re.sub(r"(COPY \S+, line \d+)\b.*", r"\1 (row not shown)", line))
    return "\n".join(lines[-12:])


class PostgreSQL:
    vendor = "postgresql"
    member = "database.pgdump"

    def __init__(self, connection):
        self.connection = connection

    def describe(self):
        settings = self.connection.settings_dict
        where = settings.get("HOST") or "the local socket"
        if settings.get("PORT"):
            where += f":{settings['PORT']}"
        return f'PostgreSQL database "{settings["NAME"]}" on {where}'

    def server_major(self):
        return self.connection.pg_version // 10000

    def server_version(self):
        with self.connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0].split()[0]

    def _tool(self, name, needed_major, needed_for):
        path = shutil.which(name)
        version_text, major = "", None
        if path:
            version_text = subprocess.run(  # noqa: S603  (a PostgreSQL client tool found on PATH)
                [path, "--version"], capture_output=True, text=True, check=False
            ).stdout.strip()
            major = tool_major(version_text)
        problem = client_problem(name, major, needed_major, needed_for)
        if problem:
            raise BackupError(problem)
        return path, version_text

    def _command(self, path, parameters):
        # Django's own psql settings: user, host and port as arguments; password, service and TLS
        # settings in the environment, so no password shows in the process list.
        args, env = DatabaseClient.settings_to_cmd_args_env(self.connection.settings_dict, parameters)
        environment = {**os.environ, **(env or {}), "PGAPPNAME": "clinic-backup"}
        environment.setdefault("PGCONNECT_TIMEOUT", "10")
        return [path, *args[1:]], environment

    def dump(self, destination):
        server = self.server_version()
        path, version_text = self._tool("pg_dump", self.server_major(), f"backing up PostgreSQL {server}")
        args, environment = self._command(path, ["--format=custom", "--no-password", f"--file={destination}"])
        result = subprocess.run(args, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed:\n{result.stderr.strip()}")
        return {"server_version": server, "dump_tool": version_text}

    def check_restore(self, database_info):
        """The client tools can read the archive and talk to this server."""
        dumped_with = tool_major(database_info.get("dump_tool", ""))
        server = self.server_major()
        self._tool("pg_restore", dumped_with, f"reading a dump made by pg_dump {dumped_with}")
        self._tool("psql", server, f"restoring into PostgreSQL {server}")

    def table_names(self):
        return self.connection.introspection.table_names()

    def restore(self, dump, *, replace):
        pg_restore = shutil.which("pg_restore")
        psql, environment = self._command(
            shutil.which("psql"),
            ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"],
        )
        environment["PGOPTIONS"] = "-c client_min_messages=warning"
        preamble = b""
        if replace:
            # In the same transaction as the restore, so a restore that fails drops nothing. The lock
            # timeout turns "the application still holds the tables" into an error instead of a wait.
            preamble = (
                f"SET lock_timeout = '{REPLACE_LOCK_TIMEOUT}';\n"
                "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"
            ).encode()
        self.connection.close()
        # pg_restore writes the dump as SQL and psql runs it as one transaction: ownership and grants
        # are left out (the objects belong to the user restoring, the one the application connects
        # as). Triggers, such as the audit trail's append-only trigger, come after the data in the
        # dump, and the data goes in with COPY (inserts), which they allow anyway.
        with tempfile.TemporaryFile() as reader_errors, tempfile.TemporaryFile() as writer_errors:
            reader = subprocess.Popen(  # noqa: S603
                [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
                stdout=subprocess.PIPE,
                stderr=reader_errors,
            )
            writer = subprocess.Popen(  # noqa: S603
                psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=writer_errors, env=environment
            )
            try:
                writer.stdin.write(preamble)
                shutil.copyfileobj(reader.stdout, writer.stdin, CHUNK)
            except BrokenPipeError:
                pass  # psql stopped at an error; its message below says which
            finally:
                reader.stdout.close()
                with contextlib.suppress(BrokenPipeError):
                    writer.stdin.close()
            written, read = writer.wait(), reader.wait()
            if written != 0 or read != 0:
                reader_errors.seek(0)
                writer_errors.seek(0)
                messages = (writer_errors.read() + reader_errors.read()).decode(errors="replace")
                hint = ""
                if "lock timeout" in messages:
                    hint = "\nStop the web server, the Celery worker and beat first: they hold the tables."
                raise BackupError(
                    "The restore failed and was rolled back; the database is as it was before.\n"
                    f"{_without_row_data(messages)}{hint}"
                )
        with self.connection.cursor() as cursor:
            # A restored database has no planner statistics until autovacuum gets to it.
            cursor.execute("ANALYZE")


# SQLite -------------------------------------------------------------------------------------------


def _copy_pages(source, target, what):
    """SQLite's online backup, giving up after SQLITE_LOCK_TIMEOUT seconds of waiting for a lock.

    Python's backup() retries a busy database forever; its progress callback, called after each
    try, is where a deadline can stop it (an exception there aborts the copy, changing nothing).
    """
    deadline = time.monotonic() + SQLITE_LOCK_TIMEOUT

    def give_up_when_late(status, remaining, total):
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise BackupError(
                f"{what} stayed locked for {SQLITE_LOCK_TIMEOUT} seconds: nothing was changed. "
                "Stop the web server, the Celery worker and beat first."
            )

    # All pages in one step, so inside one transaction: a snapshot of the source, and a target that is
    # written completely or (on failure) not at all.
    source.backup(target, pages=-1, progress=give_up_when_late)


def _read_only(path):
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=SQLITE_LOCK_TIMEOUT)


def _check_integrity(database, what):
    result = database.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} fails SQLite's integrity check: {result}")


class SQLite:
    vendor = "sqlite"
    member = "database.sqlite3"

    def __init__(self, connection):
        self.connection = connection

    @property
    def path(self):
        name = str(self.connection.settings_dict["NAME"])
        if not name or name == ":memory:" or "mode=memory" in name:
            raise BackupError("The database is in memory: there is no file to back up or restore into.")
        return Path(name)

    def describe(self):
        return f"SQLite database {self.path}"

    def dump(self, destination):
        if not self.path.is_file():
            raise BackupError(f"There is no database at {self.path}: nothing to back up.")
        source = _read_only(self.path)
        try:
            copy = sqlite3.connect(destination)
            try:
                _copy_pages(source, copy, "The database")
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                _check_integrity(copy, "The copy of the database")
            finally:
                copy.close()
        finally:
            source.close()
        return {"server_version": sqlite3.sqlite_version, "dump_tool": f"SQLite {sqlite3.sqlite_version}"}

    def check_restore(self, database_info):
        pass

    def table_names(self):
        if not self.path.exists():
            return []
        database = _read_only(self.path)
        try:
            rows = database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{self.path} is not a readable SQLite database ({error}).") from None
        finally:
            database.close()
        return sorted(name for (name,) in rows)

    def restore(self, dump, *, replace):
        target = self.path
        self.connection.close()
        source = _read_only(dump)
        try:
            _check_integrity(source, "The database in the archive")
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            database = sqlite3.connect(target, timeout=1)
            try:
                # Through SQLite's locking and journal, so a WAL file beside the target is handled,
                # which copying the file over it would not do.
                _copy_pages(source, database, f"The target database {target}")
            except sqlite3.Error as error:
                raise BackupError(f"The restore failed and changed nothing: {error}.") from None
            finally:
                database.close()
        finally:
            source.close()
