"""The clinic's records as FHIR Bulk Data files: one ``<ResourceType>.ndjson`` per resource type, one
resource per line, and ``manifest.json`` shaped like the body of a completed Bulk Data ``$export``
(hl7.org/fhir/uv/bulkdata/export.html#response---complete-status).

Streamed: patients are taken ``CHUNK`` at a time in primary-key order (keyset pagination); each chunk's
records are read in a fixed number of queries (``interop.fhir.bundle.load_many``), built with the same
builders as the one-patient Bundle, each resource validated by fhir.resources as it is made, and turned
into NDJSON lines (``ChunkBuilder``). One process writes the chunks out in order and checkpoints after
each. What stays in memory across chunks is the clinic-wide resources already written (Practitioners,
Questionnaires: their ids), the counts, and with ``since`` the ids of the patients to export.

Parallel: validation is pure Python and nearly all of the time, so chunks are built in ``jobs`` worker
processes at once (interop.bulk_parallel), in order for the writer. Each worker leaves out the
clinic-wide resources it has made before and makes the others; the writer keeps the first of each and
drops the copies, so the files are byte for byte those of one process.

Resumable: after each chunk the files are flushed to disk and ``export-checkpoint.json`` records the last
patient written and every file's length in bytes. A run that finds a checkpoint for the same request
truncates the files back to those lengths (dropping a half-written chunk) and goes on after that patient.

References: inside a Bundle a reference is ``urn:uuid:<id>``; outside one that form resolves nowhere, so
the files use the relative form ``<ResourceType>/<id>`` with the same ids, which resolves across the
files of one export (and on a FHIR server they are loaded into).
"""

import gc
import json
import os
import re
from contextlib import contextmanager
from datetime import datetime
from typing import NamedTuple

from django.utils import timezone

from assessments.models import AssessmentResponse, RiskAlert
from interop.bulk_json import dump
from interop.bulk_parallel import ordered_map
from interop.fhir.bundle import assemble, load_many
from patients.models import ConsentSignature, IntakeSection, Patient, ScreeningDecision
from sessions.charting.models import (
    AdverseEvent,
    EsketamineDevice,
    SafetyOverride,
    SedationObservation,
    SessionAddendum,
    SessionAlert,
    TreatmentSession,
    VitalSignReading,
)
from sessions.integration.models import IntegrationNote
from sessions.scheduling.models import Appointment

#: Patients per chunk: a chunk costs a fixed number of queries, and its NDJSON (about 15 MB) is held until
#: it is written.
CHUNK = 50
CHECKPOINT = "export-checkpoint.json"
MANIFEST = "manifest.json"
_REFERENCE = re.compile(rb'"reference":"urn:uuid:([0-9a-f-]{36})"')


class ExportMismatch(Exception):
    """The folder holds another export (a different request, or files without a checkpoint)."""


def changed_patient_ids(since):
    """The pks of patients with anything in their record stamped at or after ``since``, sorted.

    "Changed" means: the patient's registration row saved (``updated_at``); an intake section entered or
    verified; an appointment booked, or one whose time is at or after ``since`` (its status may have
    changed: appointments carry no change time); a treatment session started, ordered, discharged or
    signed; any charted vital sign, sedation/dissociation observation, esketamine device or adverse event
    recorded; a session alert raised or acknowledged, a safety check overridden, an addendum written; a
    questionnaire completed, or its alert raised or acknowledged; a screening decision signed; a consent
    signed; an integration note signed or its summary shared. One UNION of simple id queries (an OR of
    EXISTS plans badly on PostgreSQL)."""
    sources = [
        Patient.objects.filter(updated_at__gte=since).values_list("pk"),
        IntakeSection.objects.filter(entered_at__gte=since).values_list("intake__patient_id"),
        IntakeSection.objects.filter(verified_at__gte=since).values_list("intake__patient_id"),
        Appointment.objects.filter(created_at__gte=since).values_list("patient_id"),
        Appointment.objects.filter(start__gte=since).values_list("patient_id"),
        AssessmentResponse.objects.filter(completed_at__gte=since).values_list("patient_id"),
        ConsentSignature.objects.filter(signed_at__gte=since).values_list("patient_id"),
        IntegrationNote.objects.filter(signed_at__gte=since).values_list("patient_id"),
        IntegrationNote.objects.filter(summary_shared_at__gte=since).values_list("patient_id"),
        RiskAlert.objects.filter(created_at__gte=since).values_list("patient_id"),
        RiskAlert.objects.filter(acknowledged_at__gte=since).values_list("patient_id"),
        ScreeningDecision.objects.filter(signed_at__gte=since).values_list("patient_id"),
        SessionAlert.objects.filter(raised_at__gte=since).values_list("session__patient_id"),
        SessionAlert.objects.filter(acknowledged_at__gte=since).values_list("session__patient_id"),
        SafetyOverride.objects.filter(at__gte=since).values_list("session__patient_id"),
        SessionAddendum.objects.filter(created_at__gte=since).values_list("session__patient_id"),
    ]
    for stamp in ("started_at", "ordered_at", "discharged_at", "nurse_signed_at", "prescriber_signed_at"):
        sources.append(TreatmentSession.objects.filter(**{f"{stamp}__gte": since}).values_list("patient_id"))
    for model in (VitalSignReading, SedationObservation, EsketamineDevice, AdverseEvent):
        sources.append(model.objects.filter(recorded_at__gte=since).values_list("session__patient_id"))
    # A model's default ordering is cleared: SQLite refuses ORDER BY inside a compound statement.
    first, *rest = [source.order_by() for source in sources]
    return sorted({pk for (pk,) in first.union(*rest) if pk is not None})


def _chunk_pks(since, after):
    """Lists of up to CHUNK patient pks, ascending, after pk ``after``."""
    if since is None:
        pks = Patient.objects.order_by("pk").values_list("pk", flat=True)
        while True:
            chunk = list(pks.filter(pk__gt=after)[:CHUNK])
            if not chunk:
                return
            yield chunk
            after = chunk[-1]
    ids = [pk for pk in changed_patient_ids(since) if pk > after]
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


class Chunk(NamedTuple):
    """The NDJSON of a chunk of patients, as one process made it.

    ``lines`` holds each type's lines but the clinic-wide resources, which are in ``shared`` one by one
    (type, id, line): another process may have made the same ones, and only the first is written."""

    last_pk: int
    patients: int
    lines: dict
    counts: dict
    shared: list


class ChunkBuilder:
    """Makes the Chunk of a list of patient pks; one per process.

    ``known`` is the clinic-wide resources (id: type) this process has made or found in the checkpoint:
    they are left out of later patients, and references to them made relative."""

    def __init__(self, known):
        self.known = dict(known)

    def __call__(self, pks):
        with _collecting_garbage_once():
            return self._build(pks)

    def _build(self, pks):
        patients = list(Patient.objects.select_related("intake").filter(pk__in=pks).order_by("pk"))
        loaded = load_many(patients)
        lines, counts, shared = {}, {}, []
        for patient in patients:
            resources = assemble(patient, loaded[patient.pk], self.known)
            types = {resource.id: resource.get_resource_type() for resource in resources}
            for resource in resources:
                kind = types[resource.id]
                line = _relative_references(dump(resource), types, self.known) + b"\n"
                if resource.id in self.known:
                    shared.append((kind, resource.id, line))
                else:
                    lines.setdefault(kind, []).append(line)
                    counts[kind] = counts.get(kind, 0) + 1
        lines = {kind: b"".join(kind_lines) for kind, kind_lines in lines.items()}
        return Chunk(pks[-1], len(patients), lines, counts, shared)


@contextmanager
def _collecting_garbage_once():
    """Python's cyclic garbage collector off while a chunk is built, and one collection after it.

    Building a record allocates millions of objects that live a moment (validated models, ORM rows), and
    the collector, run every 700 allocations, kept walking them: a third of an export's CPU time.
    Reference counting still frees almost all of them at once; only objects in reference cycles wait for
    the collection after the chunk, so no more than one chunk's are held (peak memory rose about 5 %)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def _request_text(since):
    return "manage.py export_fhir" + (f" --since {since.isoformat()}" if since else "")


class BulkExport:
    """One export into ``folder``: ``run()`` starts it, or resumes it from the checkpoint."""

    def __init__(self, folder, since=None):
        self.folder = folder
        self.since = since
        self.request = _request_text(since)
        self.state = None

    def _path(self, name):
        return os.path.join(self.folder, name)

    def _save_state(self):
        path = self._path(CHECKPOINT)
        with open(path + ".tmp", "w") as out:
            json.dump(self.state, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(path + ".tmp", path)

    def prepare(self):
        """Read the checkpoint or start a new one; returns "new", "resume" or "finished".

        Raises ExportMismatch when the folder holds a different export."""
        os.makedirs(self.folder, exist_ok=True)
        path = self._path(CHECKPOINT)
        if os.path.exists(path):
            with open(path) as checkpoint:
                self.state = json.load(checkpoint)
            if self.state["request"] != self.request:
                raise ExportMismatch(
                    f"{self.folder} holds another export ({self.state['request']}): "
                    "use an empty folder, or --restart to replace it."
                )
            return "finished" if self.state["finished"] else "resume"
        leftovers = [name for name in os.listdir(self.folder) if name.endswith(".ndjson") or name == MANIFEST]
        if leftovers:
            raise ExportMismatch(
                f"{self.folder} holds export files but no checkpoint: use an empty folder, or --restart."
            )
        self.state = {
            "request": self.request,
            "transactionTime": timezone.now().replace(microsecond=0).isoformat(),
            "last_patient_pk": 0,
            "patients": 0,
            "sizes": {},
            "counts": {},
            "known": {},
            "finished": False,
        }
        self._save_state()
        return "new"

    def restart(self):
        """Remove this export's files from the folder (nothing else in it)."""
        if os.path.isdir(self.folder):
            for name in os.listdir(self.folder):
                if name.endswith(".ndjson") or name in (MANIFEST, CHECKPOINT, CHECKPOINT + ".tmp"):
                    os.remove(self._path(name))

    def _open_files(self):
        """The NDJSON files, cut back to the lengths of the last checkpoint, open for appending."""
        files = {}
        for name in os.listdir(self.folder):
            if name.endswith(".ndjson") and name not in self.state["sizes"]:
                os.remove(self._path(name))
        for name, size in self.state["sizes"].items():
            with open(self._path(name), "r+b") as existing:
                existing.truncate(size)
            files[name] = open(self._path(name), "ab")  # noqa: SIM115 - closed in run()
        return files

    def run(self, progress=None, jobs=1):
        """Write the remaining chunks, made in ``jobs`` processes; returns the manifest.
        ``progress(patients_done)`` after each chunk."""
        state = self.state
        files = self._open_files()
        try:
            with ordered_map(ChunkBuilder(state["known"]), jobs) as build:
                for chunk in build(_chunk_pks(self.since, state["last_patient_pk"])):
                    self._write(files, chunk)
                    for out in files.values():
                        out.flush()
                        os.fsync(out.fileno())
                    state["sizes"] = {name: out.tell() for name, out in files.items()}
                    state["last_patient_pk"] = chunk.last_pk
                    state["patients"] += chunk.patients
                    self._save_state()
                    if progress:
                        progress(state["patients"])
        finally:
            for out in files.values():
                out.close()
        manifest = self.manifest()
        with open(self._path(MANIFEST), "w") as out:
            json.dump(manifest, out, indent=2)
        state["finished"] = True
        self._save_state()
        return manifest

    def _write(self, files, chunk):
        """Append ``chunk`` to the files: its clinic-wide resources only if not written before."""
        counts, known = self.state["counts"], self.state["known"]
        for kind, text in chunk.lines.items():
            self._file(files, kind).write(text)
            counts[kind] = counts.get(kind, 0) + chunk.counts[kind]
        for kind, resource_id, line in chunk.shared:
            if resource_id not in known:
                known[resource_id] = kind
                self._file(files, kind).write(line)
                counts[kind] = counts.get(kind, 0) + 1

    def _file(self, files, kind):
        name = f"{kind}.ndjson"
        if name not in files:
            files[name] = open(self._path(name), "ab")  # noqa: SIM115 - closed in run()
        return files[name]

    def manifest(self):
        return {
            "transactionTime": self.state["transactionTime"],
            "request": self.request,
            "requiresAccessToken": False,
            "output": [
                {"type": kind, "url": f"{kind}.ndjson", "count": count}
                for kind, count in sorted(self.state["counts"].items())
            ],
            "error": [],
        }


def _relative_references(line, types, known):
    def relative(match):
        resource_id = match[1].decode()
        kind = types.get(resource_id) or known.get(resource_id)
        return f'"reference":"{kind}/{resource_id}"'.encode() if kind else match[0]

    return _REFERENCE.sub(relative, line)


def parse_since(text):
    """``--since``: an ISO date (midnight, the clinic's time zone) or date-time (naive = clinic time)."""
    value = datetime.fromisoformat(text.strip())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value
