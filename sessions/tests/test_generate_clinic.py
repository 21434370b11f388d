"""`manage.py generate_clinic`: a small generated clinic has the shape of a real one, scores the
scoring engine agrees with, and pages that open for every demo role. The bulk path is PostgreSQL
only; on SQLite the command refuses with a message that says so."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from assessments import scoring
from assessments.models import AssessmentResponse, QuestionnaireAssignment, RiskAlert
from conftest import require_service
from demo.generate.check import check_pages
from patients.models import ConsentSignature, IntakeSection, Patient, ScreeningDecision
from sessions.models import (
    Appointment,
    EsketamineDevice,
    IntegrationNote,
    LedgerEntry,
    QuestionnaireNotice,
    Reminder,
    SedationObservation,
    TreatmentSession,
    Vial,
    VitalSignReading,
)

PATIENTS = 40


def generate(*extra):
    out = StringIO()
    call_command("generate_clinic", "--patients", str(PATIENTS), "--force", *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def generated(db):
    require_service(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    return generate()


@pytest.mark.django_db
def test_on_sqlite_the_command_stops_and_says_postgresql_is_needed():
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite refusal needs SQLite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        generate()


@pytest.mark.services
@pytest.mark.django_db
def test_with_debug_off_it_refuses_without_force(settings):
    require_service(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_clinic", "--patients", "5", stdout=StringIO())
    assert not Patient.objects.filter(email__endswith="@example.test").exists()


@pytest.mark.services
def test_a_generated_clinic_has_every_table_filled_in_a_realistic_shape_and_true_scores(generated):
    made = Patient.objects.filter(email__endswith="@example.test")
    assert made.count() == PATIENTS
    assert "patients" in generated and "ANALYZE" in generated
    sessions = TreatmentSession.objects.filter(patient__in=made)
    per_patient = sessions.count() / PATIENTS
    assert 2 <= per_patient <= 5  # issue 16: 65k sessions for 20k patients
    assert 9 <= VitalSignReading.objects.filter(session__in=sessions).count() / sessions.count() <= 15
    # Small clinics run a little high: one patient in every thousand, and the first, has a long course.
    assert 6 <= Appointment.objects.filter(patient__in=made).count() / PATIENTS <= 12
    assert 10 <= AssessmentResponse.objects.filter(patient__in=made).count() / PATIENTS <= 30
    assert 1 <= IntegrationNote.objects.filter(patient__in=made).count() / PATIENTS <= 3.5
    for model in (
        IntakeSection,
        ScreeningDecision,
        ConsentSignature,
        SedationObservation,
        EsketamineDevice,
        Vial,
        LedgerEntry,
        Reminder,
        QuestionnaireAssignment,
        QuestionnaireNotice,
        RiskAlert,
    ):
        assert model.objects.exists(), model.__name__
    assert IntegrationNote.objects.filter(patient__in=made, summary_shared_at__isnull=False).exists()
    assert (
        Reminder.objects.filter(status="sent").exists() and Reminder.objects.filter(status="pending").exists()
    )
    # Each patient is seen at one site, by that site's staff: no generated clinician works at two sites.
    visits = Appointment.objects.filter(patient__in=made, start__lt=timezone.now())
    sites_per_patient = visits.values("patient").annotate(n=Count("room__site", distinct=True))
    assert {row["n"] for row in sites_per_patient} == {1}
    staff = visits.exclude(clinician__email__endswith="@clinic.example")
    sites_per_clinician = staff.values("clinician").annotate(n=Count("room__site", distinct=True))
    assert {row["n"] for row in sites_per_clinician} == {1}
    # Every contact detail is obviously invented.
    assert not made.exclude(phone__contains="555-01").exists()
    # The ledger adds up: each vial's balance is its receipts less what was drawn.
    for vial in Vial.objects.filter(lot__startswith="GEN-")[:20]:
        entries = list(vial.entries.order_by("created_at", "pk"))
        assert sum(entry.change_ml for entry in entries) == vial.balance_ml
        assert entries[-1].balance_after_ml == vial.balance_ml
    # Scores are what the scoring engine gives for the stored answers, alerts included.
    responses = AssessmentResponse.objects.filter(patient__email__endswith="@example.test").select_related(
        "version"
    )
    checked = 0
    for response in responses.order_by("pk")[:300]:
        result = scoring.score(response.version.definition, response.answers)
        assert (response.total, response.band or None) == (result.total, result.band)
        assert response.subscales == result.subscales
        assert set(response.alerts.values_list("rule", flat=True)) == {alert["id"] for alert in result.alerts}
        checked += 1
    assert checked == 300


@pytest.mark.services
def test_the_same_seed_gives_the_same_clinic(generated):
    def shape():
        made = Patient.objects.filter(email__endswith="@example.test").order_by("pk")
        return [
            (
                p.legal_family_name,
                p.status,
                p.treatment_route,
                p.treatment_sessions.count(),
                p.responses.count(),
            )
            for p in made
        ]

    first = shape()
    Patient.objects.filter(email__endswith="@example.test").update(email="first-run@example.invalid")
    generate()  # appended to the first run: staff and rooms are reused, nothing collides
    assert shape() == first
    assert Patient.objects.filter(email="first-run@example.invalid").count() == PATIENTS


@pytest.mark.services
def test_every_demo_role_and_a_portal_patient_open_the_main_pages(generated):
    roles = ("prescriber", "therapist", "frontdesk")
    assert check_pages(lambda line: None, roles=roles, pdf_roles=("prescriber",)) == []
