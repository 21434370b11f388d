"""Demo data: one login per role, a portal patient and a handful of fake patients.

Idempotent: running it again changes nothing that is already there. Every name, date and number
here is invented.
"""

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from assessments.models import AssessmentResponse, RiskAlert
from assessments.services import assign, current_version_for, submit_response
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
ROUTES = {
    "Avery": "iv",
    "Chen": "intranasal",
    "Lindqvist": "iv",
    "Okafor": "iv",
    "Bell": "kap",
    "Weiss": "im",
}

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


# Weekly totals per instrument; the last number is this week's. {week: {item: value}} sets answers.
DEMO_COURSES = {
    ("Jordan", "Avery"): [
        ("PHQ-9", [19, 15, 11, 8, 6, 4], {}),
        ("GAD-7", [15, 13, 10, 8, 6], {}),
    ],
    ("Riley", "Chen"): [
        ("PHQ-9", [22, 20, 16, 13, 10], {}),
        ("PCL-5", [52, 47, 41, 36, 30], {}),
    ],
    ("Grace", "Lindqvist"): [("PHQ-9", [17, 16, 18], {})],
    ("Samuel", "Okafor"): [("PHQ-9", [15], {0: {"9": 1}})],  # an open safety alert to work through
    ("Marcus", "Bell"): [("PHQ-9", [18], {}), ("GAD-7", [12], {})],
}


def answers_totalling(definition, total):
    """Item answers that add up to `total`, filled from the first item on (demo data only)."""
    answers, left = {}, total
    for item in definition["items"]:
        if item.get("scored", True) is False:
            continue
        options = item["options"]
        values = [
            option["value"]
            for option in (definition["option_sets"][options] if isinstance(options, str) else options)
        ]
        value = min(max(values), left)
        answers[item["id"]] = value
        left -= value
    for item in definition["items"]:
        if item.get("ask_if") and total > item["ask_if"].get("total_above", 0):
            answers[item["id"]] = 1
    return answers


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
            self._measures()
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
                    "treatment_route": ROUTES.get(family, ""),
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

    def _measures(self):
        """A course of treatment in scores: weekly totals, oldest first, ending this week."""
        nurse = User.objects.get(email="nurse@clinic.example")
        today = timezone.localdate()
        for (given, family), courses in DEMO_COURSES.items():
            patient = Patient.objects.get(legal_given_name=given, legal_family_name=family)
            if AssessmentResponse.objects.filter(patient=patient).exists():
                continue
            for code, totals, item_overrides in courses:
                version = current_version_for(code)
                for week, total in enumerate(totals):
                    raw = answers_totalling(version.definition, total) | item_overrides.get(week, {})
                    response = submit_response(
                        patient=patient,
                        version=version,
                        raw=raw,
                        entered_by=nurse,
                        mode=AssessmentResponse.Mode.CLINIC if week == 0 else AssessmentResponse.Mode.PORTAL,
                        is_baseline=week == 0,
                    )
                    when = timezone.make_aware(
                        datetime.combine(today - timedelta(weeks=len(totals) - 1 - week), time(10, 30))
                    )
                    AssessmentResponse.objects.filter(pk=response.pk).update(completed_at=when)
                    RiskAlert.objects.filter(response=response).update(created_at=when)
        jordan = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)
        if not jordan.assignments.exists():
            assign(
                jordan,
                current_version_for("PHQ-9"),
                due_date=today + timedelta(days=2),
                purpose="Before your next infusion",
                by=nurse,
            )

    def print_logins(self):
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for email, *_, role in STAFF:
            self.stdout.write(f"  {role:<14} {email}")
        self.stdout.write(f"  {'Patient':<14} {PORTAL_PATIENT_EMAIL}  (portal)")
