from assessments.models.assessment_settings import AssessmentSettings
from assessments.models.measures import (
    AssessmentResponse,
    Instrument,
    InstrumentVersion,
    QuestionnaireAssignment,
    RiskAlert,
)
from assessments.models.outcomes import OutcomeCourse

__all__ = [
    "AssessmentResponse",
    "AssessmentSettings",
    "Instrument",
    "InstrumentVersion",
    "OutcomeCourse",
    "QuestionnaireAssignment",
    "RiskAlert",
]
