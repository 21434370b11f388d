"""`python manage.py export_fhir --patient EXTERNAL_ID`: one patient's record as a FHIR R4 Bundle (JSON)
on standard output, recorded in the audit trail as an export."""

import getpass
import uuid

from django.core.management.base import BaseCommand, CommandError

from clinic.audit.models import AuditAction
from clinic.audit.trail import record
from interop.fhir import find_patient, patient_bundle
from patients.models import Patient


class Command(BaseCommand):
    help = "Print one patient's record as a FHIR R4 Bundle (type collection, JSON)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patient",
            required=True,
            metavar="EXTERNAL_ID",
            help="The patient's external id: the UUID in the address of their page in Clinic.",
        )

    def handle(self, *args, patient, **options):
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


def _os_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "an unknown system user"
