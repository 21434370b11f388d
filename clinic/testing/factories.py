"""factory_boy factories for tests. Every value is fake."""

from datetime import date

import factory
from django.contrib.auth.models import Group

from clinic.models import User
from patients.models import Patient

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
