from assessments.models.assessment_settings import AssessmentSettings
from assessments.models.measures import (
    AssessmentResponse,
    Instrument,
    InstrumentVersion,
    QuestionnaireAssignment,
    RiskAlert,
)

__all__ = [
    "AssessmentResponse",
    "AssessmentSettings",
    "Instrument",
    "InstrumentVersion",
    "QuestionnaireAssignment",
    "RiskAlert",
]
