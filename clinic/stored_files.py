"""Stored files checked against the SHA-256 recorded when they were written.

A model that keeps a file declares it with a ``FileField`` named ``x`` and a ``CharField`` named
``x_sha256`` beside it (blank when no checksum could be recorded). ``checksummed_fields()`` finds
every such pair through the app registry, so `manage.py check_media` knows no domain model and every
layer above can add stored files without touching this one.
"""

import enum
import hashlib
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

#: Bytes read at a time: hashing a file of any size keeps memory flat.
CHUNK_BYTES = 1024 * 1024
CHECKSUM_SUFFIX = "_sha256"


class FileState(enum.Enum):
    INTACT = "intact"
    MISSING = "missing"
    ALTERED = "altered"
    #: The file is there but no checksum was recorded (it was missing when checksums were first computed).
    UNRECORDED = "no checksum recorded"

    @property
    def bad(self):
        return self in (FileState.MISSING, FileState.ALTERED)


def sha256_of_bytes(content):
    return hashlib.sha256(content).hexdigest()


def sha256_of_stream(stream):
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_of_stored(storage, name):
    """The file's SHA-256, or None when the storage has no such file (or cannot read it)."""
    try:
        with storage.open(name, "rb") as stream:
            return sha256_of_stream(stream)
    except OSError:  # gone, or unreadable (a folder in its place, permissions): either way not there
        return None


def state_of(storage, name, recorded):
    actual = sha256_of_stored(storage, name)
    if actual is None:
        return FileState.MISSING
    if not recorded:
        return FileState.UNRECORDED
    return FileState.INTACT if actual == recorded else FileState.ALTERED


def read_checked(fieldfile, recorded):
    """(content, state) of a small stored file read once; content is None unless the file is there."""
    try:
        with fieldfile.storage.open(fieldfile.name, "rb") as stream:
            content = stream.read()
    except OSError:
        return None, FileState.MISSING
    if not recorded:
        return content, FileState.UNRECORDED
    return content, FileState.INTACT if sha256_of_bytes(content) == recorded else FileState.ALTERED


@dataclass(frozen=True)
class ChecksummedField:
    model: type
    file_field: models.FileField
    checksum_field: str
    #: The field that dates a row in reports (the model's first ordering field when it is a date).
    date_field: str | None

    @property
    def label(self):
        return f"{self.model._meta.label}.{self.file_field.name}"


def _date_field(model):
    for name in model._meta.ordering or ():
        name = name.lstrip("-")
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # an ordering by a relation's field or an expression dates nothing
            continue
        if isinstance(field, models.DateField):
            return name
    return None


def checksummed_fields():
    """Every (model, FileField) with its checksum field, in a stable order."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = {field.name for field in model._meta.concrete_fields}
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField) and field.name + CHECKSUM_SUFFIX in names:
                found.append(ChecksummedField(model, field, field.name + CHECKSUM_SUFFIX, _date_field(model)))
    return sorted(found, key=lambda entry: entry.label)


def unchecked_file_fields():
    """FileFields of the project's models that have no checksum field beside them."""
    found = []
    for model in apps.get_models():
        names = {field.name for field in model._meta.concrete_fields}
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField) and field.name + CHECKSUM_SUFFIX not in names:
                found.append(f"{model._meta.label}.{field.name}")
    return found
