"""The backup archive: one tar holding the database dump, the media files and a manifest.

Uncompressed, because its big parts are compressed already (pg_dump's custom format, PDFs), and
because an uncompressed tar on disk can be read at any member without reading what comes before it:
the manifest, with every member's SHA-256, is written last (the checksums are known only once the
rest is in) and read first. Members are streamed in and out in chunks, so a large media folder never
has to fit in memory.

The checksums detect damage (a bad disk, a copy cut short, a flipped bit), not forgery: whoever can
rewrite the archive can rewrite its manifest. Authenticity off site comes from the encryption tool
that carries the copy (README: Backup and restore).
"""

import contextlib
import hashlib
import io
import json
import os
import re
import tarfile
import time
from pathlib import Path, PurePosixPath

from clinic.backup import BackupError

FORMAT = "clinic-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media/"
CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ArchiveError(BackupError):
    """The file is damaged, incomplete or not a Clinic backup."""


def private_file(path):
    """A new file only its owner can read or write (it holds PHI); refuses to replace one."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(descriptor, 0o600)  # the umask can only take bits away; make the mode exact
    return os.fdopen(descriptor, "wb")


class _HashingReader:
    def __init__(self, stream):
        self.stream = stream
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self.stream.read(size)
        self.sha256.update(data)
        return data


class _HashingWriter:
    """The archive file as tarfile writes it, hashed on the way (the SHA-256 of the whole archive)."""

    def __init__(self, stream):
        self.stream = stream
        self.sha256 = hashlib.sha256()

    def write(self, data):
        self.sha256.update(data)
        return self.stream.write(data)

    def tell(self):
        return self.stream.tell()


def _member_info(name, size, mtime):
    # No owner names or ids: the archive is restored on other machines under other accounts.
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    info.type = tarfile.REGTYPE
    return info


class ArchiveWriter:
    """Writes ``path`` through ``path.partial``, renamed into place only when complete: a backup that
    stops half way (disk full, killed by the scheduler) never leaves a file that looks finished."""

    def __init__(self, path):
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.members = {}
        self.sha256 = None
        self._file = private_file(self.partial)
        self._hashing = _HashingWriter(self._file)
        self._tar = tarfile.open(fileobj=self._hashing, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if not self._closed:
            self.discard()

    def add(self, name, source):
        """Stream the file ``source`` in as ``name``; returns its size in bytes."""
        with open(source, "rb") as stream:
            stat = os.fstat(stream.fileno())
            # tarfile copies exactly st_size bytes: a file that grows meanwhile is cut at the size the
            # header states, and the checksum is of those bytes.
            reader = _HashingReader(stream)
            self._tar.addfile(_member_info(name, stat.st_size, stat.st_mtime), reader)
        self.members[name] = {"size": stat.st_size, "sha256": reader.sha256.hexdigest()}
        return stat.st_size

    def close(self, manifest):
        """Write the manifest (with every member's checksum), make the file durable and name it."""
        data = json.dumps({**manifest, "members": self.members}, indent=2, sort_keys=True).encode()
        self._tar.addfile(_member_info(MANIFEST, len(data), time.time()), io.BytesIO(data))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._closed = True
        if self.path.exists():
            self.partial.unlink()
            raise BackupError(f"{self.path} appeared while the backup ran; nothing was overwritten.")
        os.replace(self.partial, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self.sha256 = self._hashing.sha256.hexdigest()

    def discard(self):
        self._closed = True
        with contextlib.suppress(Exception):  # already failing: the partial file goes either way
            self._tar.close()
        self._file.close()
        self.partial.unlink(missing_ok=True)


def _safe_name(name):
    """A member name that can only land where it belongs (no absolute path, no '..', no NUL)."""
    path = PurePosixPath(name)
    return (
        bool(name)
        and "\x00" not in name
        and not path.is_absolute()
        and not any(part in ("", ".", "..") for part in name.split("/"))
    )


def _parse_manifest(data):
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ArchiveError("Its manifest.json is not readable JSON: the archive is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError("It is not a Clinic backup (its manifest does not say format: clinic-backup).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"It is a Clinic backup in format version {manifest.get('format_version')!r}, which this "
            f"version of Clinic (format {FORMAT_VERSION}) cannot read: restore it with the Clinic "
            "version that made it."
        )
    members = manifest.get("members")
    database = manifest.get("database")
    if (
        not isinstance(members, dict)
        or not isinstance(database, dict)
        or database.get("file") not in members
        or not isinstance(manifest.get("migrations"), dict)
    ):
        raise ArchiveError("Its manifest lacks the database or the member list: the archive is damaged.")
    for name, entry in members.items():
        if not (
            _safe_name(name)
            and (name == database["file"] or (name.startswith(MEDIA) and len(name) > len(MEDIA)))
            and isinstance(entry, dict)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            and _SHA256.fullmatch(entry["sha256"])
        ):
            raise ArchiveError(f"Its manifest has a bad entry ({name!r}): the archive is damaged.")
    return manifest


class ArchiveReader:
    """Reads a backup archive; nothing is trusted until ``verify`` has checked every checksum, and
    ``extract`` checks each member again as it writes it (the file may change in between)."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise BackupError(f"There is no file {self.path}.")
        try:
            self._tar = tarfile.open(self.path, mode="r:")  # noqa: SIM115  (closed by close())
        except (tarfile.TarError, EOFError) as error:
            raise ArchiveError(f"It is not a readable tar archive ({error}).") from None
        try:
            self._read_manifest()
        except BaseException:
            self._tar.close()
            raise

    def _read_manifest(self):
        try:
            members = self._tar.getmembers()
        except (tarfile.TarError, EOFError) as error:
            raise ArchiveError(
                f"The archive is damaged or incomplete (a copy cut short?): {error}."
            ) from None
        self._members = {}
        for member in members:
            if member.name in self._members:
                raise ArchiveError(f"It holds {member.name!r} twice: the archive was tampered with.")
            self._members[member.name] = member
        if MANIFEST not in self._members:
            raise ArchiveError(
                "It has no manifest.json: the archive is incomplete (a copy cut short?) or not a Clinic backup."
            )
        self.manifest = _parse_manifest(self._read_small(MANIFEST))
        self.members = self.manifest["members"]
        self.database_member = self.manifest["database"]["file"]

    def close(self):
        self._tar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def media_members(self):
        return sorted(name for name in self.members if name.startswith(MEDIA))

    def _read_small(self, name):
        member = self._members[name]
        if not member.isreg() or member.size > 16 * 1024 * 1024:
            raise ArchiveError(f"Its {name} is not a plain file of sensible size: the archive is damaged.")
        try:
            return self._tar.extractfile(member).read()
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ArchiveError(f"Its {name} cannot be read ({error}): the archive is damaged.") from None

    def _copy(self, name, sink):
        """Stream member ``name`` into ``sink`` (a writable file or None), checking size and SHA-256."""
        member = self._members.get(name)
        expected = self.members[name]
        if member is None:
            raise ArchiveError(f"{name} is listed in the manifest but missing from the archive.")
        if not member.isreg():
            raise ArchiveError(f"{name} is not a plain file in the archive: it was tampered with.")
        if member.size != expected["size"]:
            raise ArchiveError(
                f"{name} is {member.size} bytes, the manifest says {expected['size']}: the archive is damaged."
            )
        sha256 = hashlib.sha256()
        try:
            stream = self._tar.extractfile(member)
            while chunk := stream.read(CHUNK):
                sha256.update(chunk)
                if sink is not None:
                    sink.write(chunk)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ArchiveError(f"{name} cannot be read ({error}): the archive is damaged.") from None
        if sha256.hexdigest() != expected["sha256"]:
            raise ArchiveError(
                f"{name} does not match its SHA-256 in the manifest: the archive is damaged or was changed."
            )

    def verify(self):
        """Check that the archive holds exactly the manifest's members, each with its checksum."""
        unlisted = sorted(set(self._members) - set(self.members) - {MANIFEST})
        if unlisted:
            raise ArchiveError(
                f"It holds {len(unlisted)} file(s) its manifest does not list (first: {unlisted[0]}): "
                "it was changed after the backup."
            )
        missing = sorted(set(self.members) - set(self._members))
        if missing:
            raise ArchiveError(
                f"{len(missing)} file(s) listed in its manifest are missing (first: {missing[0]}): "
                "the archive is incomplete."
            )
        # In the order they lie in the file: one pass from start to end.
        for name in sorted(self.members, key=lambda name: self._members[name].offset):
            self._copy(name, None)

    def extract(self, name, destination, mode=0o600):
        """Write member ``name`` to the new file ``destination``; removed again if it fails its check."""
        destination = Path(destination)
        with private_file(destination) as sink:
            try:
                self._copy(name, sink)
            except BaseException:
                sink.close()
                destination.unlink(missing_ok=True)
                raise
        if mode != 0o600:
            destination.chmod(mode)
