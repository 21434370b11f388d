"""`python manage.py export_fhir --patient EXTERNAL_ID`: one patient's record as a FHIR R4 Bundle (JSON)
on standard output, recorded in the audit trail as an export.

`python manage.py export_fhir --out DIR [--since DATE] [--restart] [--jobs N]`: the clinic's records as FHIR
Bulk Data NDJSON files in DIR (interop.bulk), made in N processes, resumable; each run recorded in the
audit trail as one export."""

import getpass
import time
import uuid

from django.core.management.base import BaseCommand, CommandError

from clinic.audit.models import AuditAction
from clinic.audit.trail import record
from interop.bulk import BulkExport, ExportMismatch, parse_since
from interop.bulk_parallel import DEFAULT_JOBS_CAP, default_jobs, why_one_process
from interop.fhir import find_patient, patient_bundle
from patients.models import Patient


class Command(BaseCommand):
    help = (
        "Print one patient's record as a FHIR R4 Bundle (type collection, JSON), or with --out write the "
        "clinic's records as FHIR Bulk Data NDJSON files."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--patient",
            metavar="EXTERNAL_ID",
            help="The patient's external id: the UUID in the address of their page in Clinic.",
        )
        which.add_argument(
            "--out",
            metavar="DIR",
            help="Bulk export: write one <ResourceType>.ndjson per resource type and manifest.json here.",
        )
        parser.add_argument(
            "--since",
            metavar="DATE",
            help="Bulk export: only patients whose record changed at or after this date or date-time "
            "(ISO 8601; without a time zone, the clinic's).",
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Bulk export: delete the export files already in DIR and start again.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            metavar="N",
            help=f"Bulk export: build the resources in N processes at once (default: one per CPU, at most "
            f"{DEFAULT_JOBS_CAP}: here {default_jobs()}). The files are the same whatever N.",
        )

    def handle(self, *args, patient=None, out=None, since=None, restart=False, jobs=None, **options):
        if out is not None:
            return self._bulk(out, since, restart, default_jobs() if jobs is None else jobs)
        if since is not None or restart or jobs is not None:
            raise CommandError("--since, --restart and --jobs go with --out (a bulk export).")
        try:
            external_id = uuid.UUID(patient.strip())
        except ValueError:
            raise CommandError(
                f"{patient!r} is not a patient id: give the UUID from the address of the patient's page."
            ) from None
        try:
            person = find_patient(external_id)
        except Patient.DoesNotExist:
            raise CommandError(f"No patient has the id {external_id}.") from None
        bundle = patient_bundle(person)
        # HIPAA audit controls: an export of a record is an event, whoever runs it and however.
        record(
            AuditAction.EXPORT,
            patient_external_id=person.external_id,
            object_type="FHIR Bundle",
            object_id=bundle.id,
            detail=f"manage.py export_fhir run by {_os_user()}: {len(bundle.entry)} resources",
        )
        self.stdout.write(bundle.model_dump_json(indent=2))

    def _bulk(self, out, since, restart, jobs):
        if jobs < 1:
            raise CommandError("--jobs is a number of processes: 1 or more.")
        try:
            since_value = parse_since(since) if since else None
        except ValueError:
            raise CommandError(
                f"{since!r} is not a date: give it as YYYY-MM-DD or an ISO 8601 date-time."
            ) from None
        export = BulkExport(out, since_value)
        if restart:
            export.restart()
        try:
            stage = export.prepare()
        except ExportMismatch as mismatch:
            raise CommandError(str(mismatch)) from None
        if stage == "finished":
            self.stdout.write(
                f"This export is already finished ({export.state['patients']} patients): {out}/manifest.json. "
                "Use --restart to export again."
            )
            return
        done = export.state["patients"]
        # HIPAA audit controls: written before any record leaves, so an interrupted run is accounted for too.
        record(
            AuditAction.EXPORT,
            object_type="FHIR Bulk Data export",
            object_id=export.state["transactionTime"],
            detail=f"{export.request} --out {out} run by {_os_user()}"
            + (f": resumed after {done} patients" if done else ""),
        )
        if done:
            self.stdout.write(f"Resuming after {done} patients.")
        reason = why_one_process() if jobs > 1 else None
        if reason:
            self.stdout.write(f"One process, not {jobs}: {reason}.")
            jobs = 1
        started = time.monotonic()
        manifest = export.run(
            progress=lambda n: self.stderr.write(f"{n} patients written", ending="\r"), jobs=jobs
        )
        seconds = time.monotonic() - started
        patients = export.state["patients"]
        total = sum(item["count"] for item in manifest["output"])
        self.stdout.write(
            f"Finished: {patients} patients, {total} resources in {len(manifest['output'])} files; manifest "
            f"{out}/manifest.json. This run: {patients - done} patients in {seconds:.0f} s "
            f"({(patients - done) / max(seconds, 0.001):.1f} patients/s, {jobs} process{'es' if jobs > 1 else ''})."
        )


def _os_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "an unknown system user"
