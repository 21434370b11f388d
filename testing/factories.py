"""factory_boy factories for tests. Every value is fake."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from clinic.email_addresses import vouch_for_email
from clinic.models import User
from patients.models import ConsentDocument, Patient
from patients.review import sign_consent
from sessions.models import Appointment, AppointmentType, Room, TreatmentPlan
from sessions.scheduling.booking import book

TEST_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
        self.save()
        if create:
            # As admin (staff) or the invitation link (patients) would: allauth lets only a verified
            # address enrol MFA.
            vouch_for_email(self)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    legal_given_name = factory.Faker("first_name")
    legal_family_name = factory.Faker("last_name")
    date_of_birth = factory.Sequence(lambda n: date(1960 + n % 40, 1 + n % 12, 1 + n % 28))
    sex_at_birth = Patient.SexAtBirth.FEMALE
    phone = factory.Sequence(lambda n: f"(555) 01{n % 10}-{1000 + n:04d}")
    email = factory.Sequence(lambda n: f"patient{n}@test.example")
    status = Patient.Status.SCREENING


def consent_document(route="iv", version=1, published=True):

    document, _ = ConsentDocument.objects.get_or_create(
        route=route,
        version=version,
        defaults={
            "title": f"Consent to {route} ketamine treatment",
            "body": "What the treatment is.\n\nIts risks and benefits.\n\nYour right to stop at any time.",
            "published_at": timezone.now() if published else None,
        },
    )
    return document


def sign_consent_for(patient, route="iv"):

    return sign_consent(
        patient,
        consent_document(route),
        typed_name=patient.full_name,
        confirmed=True,
        user=patient.user,
        ip_address="127.0.0.1",
        on_clinic_tablet=False,
    )


def appointment_type(kind="consultation", minutes=60, name=None):

    kind_type, _ = AppointmentType.objects.get_or_create(
        name=name or kind.replace("_", " ").title(),
        defaults={
            "kind": kind,
            "duration_minutes": minutes,
            "instructions": "Bring someone to drive you home.",
            **(
                {"fasting_food_hours": 4, "clear_fluids_until_minutes": 120}
                if kind in ("iv", "im", "intranasal")
                else {}
            ),
        },
    )
    return kind_type


def room(name="Chair 1", is_chair=True):

    return Room.objects.get_or_create(name=name, defaults={"is_chair": is_chair})[0]


def book_visit(patient, clinician, *, start=None, kind="consultation", room_name="Room A", days_ahead=5):
    """An appointment booked through the service (reminders included)."""

    start = start or (timezone.now() + timedelta(days=days_ahead)).replace(minute=0, second=0, microsecond=0)
    return book(
        patient=patient,
        appointment_type=appointment_type(kind),
        start=start,
        room=room(room_name, is_chair=False),
        clinician=clinician,
        by=clinician,
    )


def past_visit(patient, clinician, start, *, kind="consultation", status="completed", name=None, minutes=60):
    """An appointment that already took place, entered directly (booking refuses a time that has passed)."""

    kind_type = appointment_type(kind, minutes, name=name)
    return Appointment.objects.create(
        patient=patient,
        appointment_type=kind_type,
        room=room("Room A", is_chair=False),
        clinician=clinician,
        start=start,
        end=start + timedelta(minutes=kind_type.duration_minutes),
        status=status,
        created_by=clinician,
    )


def treatment_plan(patient, prescriber, sessions=6):

    return TreatmentPlan.objects.create(
        patient=patient,
        appointment_type=appointment_type("iv", 120, name="IV infusion"),
        protocol="IV ketamine 0.5 mg/kg over 40 min",
        mg_per_kg=Decimal("0.5"),
        infusion_minutes=40,
        induction_sessions=sessions,
        induction_weeks=3,
        prescribed_by=prescriber,
    )
