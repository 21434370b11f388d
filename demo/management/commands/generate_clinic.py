"""Fill the database with a large fake clinic, for benchmarks: `manage.py generate_clinic --patients N`.

Appends to what is there. On a database without the demo it loads `seed_demo` first, so the demo
logins exist and, being in the clinician pools, see the big clinic. Every name, phone number, address
and e-mail is invented (phones 555-01xx, addresses @example.test). PostgreSQL only: the rows are
written by set-based SQL (demo.generate.build), minutes for tens of thousands of patients.
"""

import json
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from assessments.services import current_version_for
from clinic import roles
from clinic.models import User
from demo.generate.answers import pattern_rows
from demo.generate.build import ClinicBuilder
from demo.generate.people import make_rooms, make_staff
from demo.management.commands.seed_demo import DEMO_PASSWORD, PATIENT_SECTIONS, STAFF_SECTIONS
from patients.models import ConsentDocument, Patient
from sessions.models import AppointmentType, NoteTemplate, TreatmentSession

TABLES = (
    "patients_patient",
    "clinic_user",
    "patients_intakesection",
    "patients_screeningdecision",
    "patients_consentsignature",
    "treatment_sessions_treatmentplan",
    "treatment_sessions_appointment",
    "treatment_sessions_treatmentsession",
    "treatment_sessions_vitalsignreading",
    "treatment_sessions_sedationobservation",
    "treatment_sessions_esketaminedevice",
    "treatment_sessions_vial",
    "treatment_sessions_ledgerentry",
    "treatment_sessions_reminder",
    "assessments_questionnaireassignment",
    "assessments_questionnairenotice",
    "assessments_assessmentresponse",
    "assessments_riskalert",
    "assessments_integrationnote",
)


class Command(BaseCommand):
    help = "Add N fake patients with three years of care (PostgreSQL; for benchmarks, never production)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="How many patients to add.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (the same seed, the same clinic)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run although DEBUG is off (it writes fake patients)."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Afterwards, open the main pages as each role and report errors.",
        )

    def handle(self, *args, patients, seed, force, check, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_clinic needs PostgreSQL (set DATABASE_URL=postgres://…): it writes its rows with "
                "set-based SQL that SQLite does not run."
            )
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this writes fake patients. Add --force if that is what you want."
            )
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        started = time.monotonic()
        if not User.objects.filter(email="nurse@clinic.example").exists():
            self.stdout.write("Loading the demo first (seed_demo)…")
            call_command("seed_demo", stdout=self.stdout)
        self.stdout.write(f"Generating {patients:,} patients (seed {seed})…")
        before = self.counts()
        with transaction.atomic():
            staff = make_staff(DEMO_PASSWORD, patients + Patient.objects.count())
            demo = {
                role: User.objects.get(email=f"{key}@clinic.example").pk
                for key, role in (
                    ("prescriber", roles.PRESCRIBER),
                    ("nurse", roles.NURSE),
                    ("therapist", roles.THERAPIST),
                    ("frontdesk", roles.FRONT_DESK),
                )
            }
            pools = {
                "prescribers": [demo[roles.PRESCRIBER], *staff[roles.PRESCRIBER]],
                "nurses": [demo[roles.NURSE], *staff[roles.NURSE]],
                "therapists": [demo[roles.THERAPIST], *staff[roles.THERAPIST]],
                "frontdesk": [demo[roles.FRONT_DESK], *staff[roles.FRONT_DESK]],
            }
            versions = {code: current_version_for(code) for code in ("PHQ-9", "GAD-7", "PCL-5")}
            builder = ClinicBuilder(
                patients=patients,
                seed=seed,
                staff=pools,
                rooms=make_rooms(patients + Patient.objects.count()),
                refs=self.references(versions),
                password_hash=make_password(DEMO_PASSWORD),
                out=self.stdout.write,
            )
            builder.build(pattern_rows(versions, seed))
            self.refresh_derived(builder)
        with connection.cursor() as cursor:
            started_analyze = time.monotonic()
            cursor.execute("ANALYZE")
            self.stdout.write(f"  {'ANALYZE':<34} {'':>10}       {time.monotonic() - started_analyze:6.1f} s")
        after = self.counts()
        self.stdout.write("Rows added:")
        for table in TABLES:
            self.stdout.write(f"  {table:<40} {after[table] - before[table]:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.0f} s."))
        if check:
            from demo.generate.check import check_pages

            problems = check_pages(self.stdout.write)
            if problems:
                raise CommandError(f"{len(problems)} page(s) failed: " + "; ".join(problems))

    def refresh_derived(self, builder):
        """Tables derived from responses (outcome course summaries, where the project has them) follow
        the bulk insert, which sends no signals."""
        try:
            from assessments.outcomes import refresh_outcome_courses
        except ImportError:
            return
        started = time.monotonic()
        patient_ids = builder.patient_ids()
        refresh_outcome_courses(patient_ids)
        self.stdout.write(
            f"  {'outcome courses':<34} {len(patient_ids):>10,} pts   {time.monotonic() - started:6.1f} s"
        )

    def counts(self):
        with connection.cursor() as cursor:
            result = {}
            for table in TABLES:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (names from TABLES)
                result[table] = cursor.fetchone()[0]
            return result

    def references(self, versions):
        """Ids and JSON the SQL needs: appointment types, consent documents, a note template, and the
        checklists and REMS answers of the demo's charted sessions (as the screens stored them)."""
        types = {
            kind: AppointmentType.objects.filter(kind=kind, is_active=True).order_by("pk").first().pk
            for kind in ("consultation", "iv", "im", "intranasal", "integration", "follow_up")
        }
        consents = {}
        for route in ("iv", "im", "intranasal"):
            document = ConsentDocument.current_for(route)
            if document is None:
                raise CommandError(f"No published consent document for {route}: run seed_demo first.")
            consents[route] = document.pk
        checklists = {}
        for route, fallback in (
            ("iv", {"iv_access": "yes"}),
            ("im", {}),
            ("intranasal", {"nasal": "yes"}),
        ):
            charted = TreatmentSession.objects.filter(route=route).exclude(checklist={}).first()
            checklists[route] = (
                charted.checklist
                if charted
                else {
                    "escort": "yes",
                    "fasting": "yes",
                    "pregnancy": "yes",
                    "medications": "yes",
                    "no_substances": "yes",
                    **fallback,
                }
            )
        rems_source = TreatmentSession.objects.filter(route="intranasal").exclude(rems={}).first()
        template = NoteTemplate.objects.filter(is_active=True).order_by("pk").first()
        return {
            **{f"type_{kind}": pk for kind, pk in types.items()},
            **{f"consent_{route}": pk for route, pk in consents.items()},
            **{f"checklist_{route}": json.dumps(value) for route, value in checklists.items()},
            "rems": json.dumps(rems_source.rems if rems_source else {}),
            "template": template.pk if template else None,
            "sections": json.dumps({**PATIENT_SECTIONS, **STAFF_SECTIONS}),
            "versions": {code: version.pk for code, version in versions.items()},
        }
