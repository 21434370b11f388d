from patients.models.consent import ConsentDocument, ConsentSignature
from patients.models.intake import Intake, IntakeSection, ScreeningDecision, ScreeningRule
from patients.models.patient import (
    Patient,
    PortalInvitation,
    digits_of,
    phone_validator,
    validate_birth_date,
)
from patients.models.patient_settings import PatientSettings

__all__ = [
    "ConsentDocument",
    "ConsentSignature",
    "Intake",
    "IntakeSection",
    "Patient",
    "PatientSettings",
    "PortalInvitation",
    "ScreeningDecision",
    "ScreeningRule",
    "digits_of",
    "phone_validator",
    "validate_birth_date",
]
