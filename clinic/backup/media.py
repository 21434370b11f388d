"""The media folder (signed consent PDFs) in a backup, and putting it back all at once.

A restore unpacks the media files into a hidden folder inside MEDIA_ROOT first (same file system, so
that moving them into place is a rename that cannot half-fail) and moves them only after the
database restore has committed.
"""

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

#: Hidden folders a restore works in; never backed up, never counted as content.
STAGING_PREFIX = ".clinic-restore-"
REPLACED_PREFIX = ".clinic-replaced-"


def media_root():
    return Path(settings.MEDIA_ROOT)


def _ours(name):
    return name.startswith((STAGING_PREFIX, REPLACED_PREFIX))


def media_files(root):
    """(path relative to ``root`` with '/' separators, absolute path) for every regular file, sorted.
    Symbolic links are not followed: the application never makes them, and following one could
    put files from outside MEDIA_ROOT into the archive."""
    if not root.is_dir():
        return []
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if not (Path(folder) == root and _ours(name)))
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def _file_mode():
    # The mode the application gives a new upload (Django's FILE_UPLOAD_PERMISSIONS, 0o644 by default).
    return settings.FILE_UPLOAD_PERMISSIONS or 0o600


def _make_folder(path):
    mode = settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS
    if mode is None:
        path.mkdir(parents=True, exist_ok=True)
        return
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir()
            folder.chmod(mode)


class Staging:
    """A private folder inside MEDIA_ROOT holding the archive's media files until they go live."""

    def __init__(self, root):
        self.root = root
        _make_folder(root)
        self.folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
        self.files = []
        self.keep = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)

    def unpack(self, reader, member, relative):
        destination = self.folder / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        reader.extract(member, destination, mode=_file_mode())
        self.files.append(relative)

    def put_in_place(self, *, replace):
        """Move the unpacked files into MEDIA_ROOT; with ``replace`` what was there goes first."""
        aside = None
        if replace:
            aside = Path(tempfile.mkdtemp(prefix=REPLACED_PREFIX, dir=self.root))
            for entry in self.root.iterdir():
                if not _ours(entry.name):
                    os.replace(entry, aside / entry.name)
        for relative in self.files:
            destination = self.root / relative
            _make_folder(destination.parent)
            os.replace(self.folder / relative, destination)
        if aside is not None:
            shutil.rmtree(aside)
