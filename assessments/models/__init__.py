from assessments.models.followups import FollowUpRule, QuestionnaireNotice
from assessments.models.measures import (
    AssessmentResponse,
    Instrument,
    InstrumentVersion,
    QuestionnaireAssignment,
    RiskAlert,
)
from assessments.models.notes import SECTIONS, IntegrationNote, NoteAddendum, NoteTemplate

__all__ = [
    "SECTIONS",
    "AssessmentResponse",
    "FollowUpRule",
    "Instrument",
    "InstrumentVersion",
    "IntegrationNote",
    "NoteAddendum",
    "NoteTemplate",
    "QuestionnaireAssignment",
    "QuestionnaireNotice",
    "RiskAlert",
]
