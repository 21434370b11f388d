"""Making the right-of-access ZIP in the background, and the beat sweep that requeues, recovers and
expires. The task takes the row's id, claims it with a conditional UPDATE, and is safe to run twice."""

import io
import json
import logging
import zipfile
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from clinic.downloads import document_filename
from clinic.queue import send_task
from clinic.stored_files import sha256_of_bytes
from interop.fhir import patient_bundle
from interop.models import RecordExport
from interop.record_pdf import record_pdf

log = logging.getLogger(__name__)

#: How long a finished file is kept before the sweep deletes it (the row stays). RECORD_EXPORT_DAYS.
DEFAULT_KEEP_DAYS = 7
#: A queued row older than this was never picked up (broker down): queue it again.
REQUEUE_AFTER = timedelta(minutes=1)
#: A row "being made" for longer than this lost its worker (killed, restarted): try again.
STALE_WORKING_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3

README = """This download is a copy of your health record at {clinic}, made {made}.

record.pdf   the record to read: your details, appointments, treatment sessions with doses and
             vital signs, questionnaire scores over time, notes your care team shared with you,
             and the consents you signed.
bundle.json  the same record as a FHIR R4 Bundle (JSON), the standard format other health
             systems and apps read. You can give it to another clinic or doctor.

Keep these files private: they hold your health information.
SHA-256 of bundle.json: {bundle_sha}
SHA-256 of record.pdf:  {pdf_sha}
"""


def keep_days():
    return int(getattr(settings, "RECORD_EXPORT_DAYS", DEFAULT_KEEP_DAYS))


def _strip_staff_emails(value, key=None):
    """A member of staff with no name on file is named by their e-mail address in the FHIR export;
    the patient's copy says "Clinic staff" instead (a staff login is not part of the patient's record)."""
    if isinstance(value, dict):
        return {k: _strip_staff_emails(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_staff_emails(v, key) for v in value]
    if key in ("display", "text") and isinstance(value, str) and "@" in value and " " not in value.strip():
        return "Clinic staff"
    return value


def bundle_json(patient):
    """The patient's FHIR Bundle as JSON text, validated again after the staff e-mails are taken out."""
    from fhir.resources.R4B.bundle import Bundle

    data = json.loads(patient_bundle(patient).model_dump_json())
    entries = []
    for entry in data.get("entry", []):
        resource = entry["resource"]
        if resource.get("resourceType") == "Practitioner":
            resource = _strip_staff_emails(resource)
        else:
            resource = {k: (_strip_staff_emails(v) if k != "telecom" else v) for k, v in resource.items()}
        entries.append({**entry, "resource": resource})
    data["entry"] = entries
    return Bundle.model_validate(data).model_dump_json(indent=2)


def _progress(export, percent, step):
    RecordExport.objects.filter(pk=export.pk).update(progress=percent, step=step)


def build_zip(export):
    """The ZIP's bytes: bundle.json, record.pdf and a README."""
    from clinic.models import ClinicSettings

    patient = export.patient
    _progress(export, 10, "Gathering your record")
    bundle = bundle_json(patient).encode()
    _progress(export, 40, "Writing the readable copy (PDF)")
    pdf = record_pdf(patient)
    _progress(export, 85, "Packing the download")
    made = timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    readme = README.format(
        clinic=ClinicSettings.load().name,
        made=made,
        bundle_sha=sha256_of_bytes(bundle),
        pdf_sha=sha256_of_bytes(pdf),
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr("bundle.json", bundle)
        archive.writestr("record.pdf", pdf)
    return buffer.getvalue()


@shared_task
def build_record_export(export_id):
    """Make the ZIP of one RecordExport. A row another worker has claimed, or one already made, is left
    alone. Any failure marks the row failed with the reason, so the page says so instead of waiting."""
    now = timezone.now()
    claimed = RecordExport.objects.filter(pk=export_id, status=RecordExport.Status.QUEUED).update(
        status=RecordExport.Status.WORKING,
        started_at=now,
        attempts=F("attempts") + 1,
        progress=5,
        step="Starting",
    )
    if not claimed:
        log.info("record export %s: nothing to do", export_id)
        return
    export = RecordExport.objects.select_related("patient").get(pk=export_id)
    try:
        content = build_zip(export)
        name = document_filename("health-record", timezone.localdate(), export.external_id, "zip")
        export.file.save(name, ContentFile(content), save=False)
    except Exception as error:  # every failure must reach the page, whatever raised it
        log.exception("record export %s failed", export.external_id)
        RecordExport.objects.filter(pk=export.pk).update(
            status=RecordExport.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:300],
            step="",
        )
        return
    finished = timezone.now()
    RecordExport.objects.filter(pk=export.pk, status=RecordExport.Status.WORKING).update(
        status=RecordExport.Status.READY,
        file=export.file.name,
        file_sha256=sha256_of_bytes(content),
        file_size=len(content),
        progress=100,
        step="",
        finished_at=finished,
        expires_at=finished + timedelta(days=keep_days()),
    )
    log.info("record export %s ready (%d bytes)", export.external_id, len(content))


def requeue(export):
    """Queue a row's task again if it waited too long (the broker was down when it was asked for)."""
    if export.status == RecordExport.Status.QUEUED and export.requested_at <= timezone.now() - REQUEUE_AFTER:
        send_task(build_record_export, export.pk)


def purge_expired(now=None):
    """Delete the files of exports past their expiry; the rows stay, marked expired. Returns how many."""
    now = now or timezone.now()
    purged = 0
    for export in RecordExport.objects.filter(status=RecordExport.Status.READY, expires_at__lte=now):
        if export.file:
            export.file.storage.delete(export.file.name)
        RecordExport.objects.filter(pk=export.pk).update(
            status=RecordExport.Status.EXPIRED, file="", file_sha256=""
        )
        purged += 1
    return purged


@shared_task
def sweep_record_exports():
    """Beat, every few minutes: queue rows nobody picked up, retry rows whose worker died, give up after
    MAX_ATTEMPTS, and delete expired files."""
    now = timezone.now()
    stale = RecordExport.objects.filter(
        status=RecordExport.Status.WORKING, started_at__lte=now - STALE_WORKING_AFTER
    )
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=RecordExport.Status.FAILED, finished_at=now, error="The worker stopped while making it."
    )
    restarted = list(stale.values_list("pk", flat=True))
    RecordExport.objects.filter(pk__in=restarted).update(
        status=RecordExport.Status.QUEUED, progress=0, step=""
    )
    waiting = RecordExport.objects.filter(
        status=RecordExport.Status.QUEUED, requested_at__lte=now - REQUEUE_AFTER
    ).values_list("pk", flat=True)
    for pk in sorted({*waiting, *restarted}):
        send_task(build_record_export, pk)
    purge_expired(now)
