"""The assessments layer's entries on the patient timeline (patients/timeline.py): scores, missed
questionnaires and questionnaire alerts. Registered when assessments' AppConfig is ready. Addresses
are reverse_lazy(): the timeline shows a page of entries, and only the shown ones are linked."""

import heapq
from datetime import datetime, time
from operator import itemgetter

from django.urls import reverse_lazy
from django.utils import timezone

from assessments.models import AssessmentResponse, QuestionnaireAssignment, RiskAlert
from clinic import roles
from patients.timeline import ALERT, SCORE, TimelineEntry, alert_state, newest, source, when


@source(SCORE, roles.VIEW_RESPONSES)
def responses(patient, ids, user, limit):
    responses = (
        AssessmentResponse.objects.filter(patient=patient)
        .select_related("version__instrument")
        .defer("version__definition", "answers")
    )
    for response in newest(responses, "completed_at", limit=limit):
        band = f" ({response.band})" if response.band else ""
        yield TimelineEntry(
            kind=SCORE,
            at=response.completed_at,
            summary=f"{response.version.instrument.code} total {response.total}{band}",
            detail=response.get_mode_display(),
            url=reverse_lazy("assessments:response", kwargs={**ids, "response_id": response.external_id}),
        )


@source(SCORE, roles.VIEW_RESPONSES)
def missed_questionnaires(patient, ids, user, limit):
    missed = (
        QuestionnaireAssignment.objects.filter(patient=patient, status=QuestionnaireAssignment.Status.EXPIRED)
        .select_related("version__instrument")
        .defer("version__definition")
    )
    # Assignments made by hand have no expiry time: they count as missed at the end of the due day.
    # Each kind is read in its own order, and the two are merged by that moment.
    expiring = newest(missed.filter(expires_at__isnull=False), "expires_at", limit=limit)
    by_hand = newest(missed.filter(expires_at__isnull=True), "due_date", "pk", limit=limit)
    dated = heapq.merge(
        ((assignment.expires_at, assignment) for assignment in expiring),
        (
            (timezone.make_aware(datetime.combine(assignment.due_date, time.max)), assignment)
            for assignment in by_hand
        ),
        key=itemgetter(0),
        reverse=True,
    )
    for at, assignment in dated:
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
def risk_alerts(patient, ids, user, limit):
    alerts = (
        RiskAlert.objects.filter(patient=patient)
        .select_related("response__version__instrument")
        .defer("response__version__definition", "response__answers")
    )
    for alert in newest(alerts, "created_at", limit=limit):
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
