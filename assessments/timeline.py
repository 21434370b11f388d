"""The assessments layer's entries on the patient timeline (patients/timeline.py): scores, missed
questionnaires and questionnaire alerts. Registered when assessments' AppConfig is ready. Addresses
are reverse_lazy(): the timeline shows a page of entries, and only the shown ones are linked."""

from datetime import datetime, time

from django.urls import reverse_lazy
from django.utils import timezone

from assessments.models import AssessmentResponse, QuestionnaireAssignment, RiskAlert
from clinic import roles
from patients.timeline import ALERT, SCORE, TimelineEntry, alert_state, source, when


@source(SCORE, roles.VIEW_RESPONSES)
def responses(patient, ids, user):
    responses = (
        AssessmentResponse.objects.filter(patient=patient)
        .select_related("version__instrument")
        .defer("version__definition", "answers")
    )
    for response in responses:
        band = f" ({response.band})" if response.band else ""
        yield TimelineEntry(
            kind=SCORE,
            at=response.completed_at,
            summary=f"{response.version.instrument.code} total {response.total}{band}",
            detail=response.get_mode_display(),
            url=reverse_lazy("assessments:response", kwargs={**ids, "response_id": response.external_id}),
        )


@source(SCORE, roles.VIEW_RESPONSES)
def missed_questionnaires(patient, ids, user):
    missed = (
        QuestionnaireAssignment.objects.filter(patient=patient, status=QuestionnaireAssignment.Status.EXPIRED)
        .select_related("version__instrument")
        .defer("version__definition")
    )
    for assignment in missed:
        # Assignments made by hand have no expiry time: they count as missed at the end of the due day.
        at = assignment.expires_at or timezone.make_aware(datetime.combine(assignment.due_date, time.max))
        yield TimelineEntry(
            kind=SCORE,
            at=at,
            summary=f"{assignment.version.instrument.code} questionnaire not answered",
            detail=assignment.purpose,
            url=reverse_lazy("assessments:measures", kwargs=ids),
            state=assignment.get_status_display(),
            state_class="text-bg-warning",
        )


@source(ALERT, roles.VIEW_ALERTS)
def risk_alerts(patient, ids, user):
    alerts = (
        RiskAlert.objects.filter(patient=patient)
        .select_related("response__version__instrument")
        .defer("response__version__definition", "response__answers")
    )
    for alert in alerts:
        detail = f"from {alert.response.version.instrument.code}"
        if alert.acknowledged_at:
            detail += f" · acknowledged {when(alert.acknowledged_at)}"
        yield TimelineEntry(
            kind=ALERT,
            at=alert.created_at,
            summary=f"{'Risk alert' if alert.is_risk else 'Score alert'}: {alert.message}",
            detail=detail,
            # Acknowledging is a form on the measures page (the acknowledge URL takes POST only).
            url=reverse_lazy("assessments:measures", kwargs=ids),
            **alert_state(alert),
        )
