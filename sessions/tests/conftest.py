import pytest

from patients.models import Patient
from patients.review import record_decision
from patients.tests.test_screening_flow import complete_intake
from testing.factories import sign_consent_for


@pytest.fixture
def cleared(patient_a, nurse, prescriber):
    """Patient A may be treated by IV: intake verified, approved, consent signed."""
    patient_a.status = Patient.Status.SCREENING
    patient_a.treatment_route = "iv"
    patient_a.save()
    complete_intake(patient_a, nurse)
    record_decision(
        patient_a,
        outcome="approved",
        note="Suitable.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    sign_consent_for(patient_a, "iv")
    return patient_a
