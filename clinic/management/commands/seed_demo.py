"""Demo data: one login per role, a portal patient and a handful of fake patients.

Idempotent: running it again changes nothing that is already there. Every name, date and number
here is invented.
"""

from datetime import date

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from clinic import roles
from clinic.models import ClinicSettings, User
from patients.models import Patient

DEMO_PASSWORD = "clinic-demo-2026"

STAFF = [
    ("admin@clinic.example", "Ada", "Admin", "", roles.ADMINISTRATOR),
    ("prescriber@clinic.example", "Priya", "Prescott", "MD", roles.PRESCRIBER),
    ("nurse@clinic.example", "Noah", "Nguyen", "RN", roles.NURSE),
    ("therapist@clinic.example", "Theo", "Thorne", "LCSW", roles.THERAPIST),
    ("frontdesk@clinic.example", "Fran", "Fields", "", roles.FRONT_DESK),
]
PORTAL_PATIENT_EMAIL = "patient@clinic.example"

PATIENTS = [
    # given, family, preferred, born, sex, pronouns, phone, email, status
    (
        "Jordan",
        "Avery",
        "Jo",
        date(1986, 3, 14),
        "female",
        "she/her",
        "(555) 010-1001",
        PORTAL_PATIENT_EMAIL,
        "active",
    ),
    (
        "Marcus",
        "Bell",
        "",
        date(1979, 11, 2),
        "male",
        "he/him",
        "(555) 010-1002",
        "marcus.bell@example.com",
        "screening",
    ),
    (
        "Riley",
        "Chen",
        "",
        date(1994, 6, 30),
        "intersex",
        "they/them",
        "(555) 010-1003",
        "riley.chen@example.com",
        "active",
    ),
    ("Elena", "Duarte", "Lena", date(1968, 1, 21), "female", "she/her", "(555) 010-1004", "", "inquiry"),
    (
        "Samuel",
        "Okafor",
        "Sam",
        date(2001, 9, 9),
        "male",
        "he/him",
        "(555) 010-1005",
        "sam.okafor@example.com",
        "screening",
    ),
    (
        "Grace",
        "Lindqvist",
        "",
        date(1957, 4, 17),
        "female",
        "she/her",
        "(555) 010-1006",
        "grace.l@example.com",
        "on_hold",
    ),
    ("Tomas", "Reyes", "", date(1990, 12, 5), "male", "", "(555) 010-1007", "", "inquiry"),
    (
        "Hannah",
        "Weiss",
        "",
        date(1975, 8, 28),
        "female",
        "she/her",
        "(555) 010-1008",
        "hannah.weiss@example.com",
        "discharged",
    ),
]


class Command(BaseCommand):
    help = "Load demo users (one per role, one portal patient) and fake patients."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load nothing if the database has users other than the demo ones (make run uses this).",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and User.objects.exclude(email__endswith="@clinic.example").exists():
            self.stdout.write("The database has users of its own: demo data not loaded.")
            return
        with transaction.atomic():
            self._clinic()
            self._staff()
            self._patients()
        self.print_logins()

    def _clinic(self):
        current = ClinicSettings.load()
        if current.name == "Clinic":
            current.name = "Riverside Ketamine Clinic (demo)"
            current.phone = "(555) 010-0000"
            current.email = "frontdesk@clinic.example"
            current.address = "100 Example Street, Springfield"
            current.save()

    def _staff(self):
        for email, first, last, credential, role in STAFF:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={"first_name": first, "last_name": last, "credential": credential},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = role == roles.ADMINISTRATOR
                user.save()
            user.groups.add(Group.objects.get(name=role))

    def _patients(self):
        for given, family, preferred, born, sex, pronouns, phone, email, status in PATIENTS:
            patient, _ = Patient.objects.get_or_create(
                legal_given_name=given,
                legal_family_name=family,
                date_of_birth=born,
                defaults={
                    "preferred_name": preferred,
                    "sex_at_birth": sex,
                    "pronouns": pronouns,
                    "phone": phone,
                    "email": email,
                    "status": status,
                    "address_line1": f"{len(family) * 17} Demo Avenue",
                    "city": "Springfield",
                    "region": "IL",
                    "postal_code": "62701",
                    "emergency_contact_name": "Pat Example",
                    "emergency_contact_relationship": "Partner",
                    "emergency_contact_phone": "(555) 010-2000",
                    "escort_name": "Pat Example" if status == "active" else "",
                    "escort_phone": "(555) 010-2000" if status == "active" else "",
                },
            )
            if email == PORTAL_PATIENT_EMAIL and patient.user is None:
                user = User.objects.create_user(
                    email=email, password=DEMO_PASSWORD, first_name=preferred or given, last_name=family
                )
                patient.user = user
                patient.save()

    def print_logins(self):
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for email, *_, role in STAFF:
            self.stdout.write(f"  {role:<14} {email}")
        self.stdout.write(f"  {'Patient':<14} {PORTAL_PATIENT_EMAIL}  (portal)")
