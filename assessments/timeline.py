"""The assessments layer's entries on the patient timeline (patients/timeline.py): scores, missed
questionnaires and questionnaire alerts. Registered when assessments' AppConfig is ready. Addresses
are reverse_lazy(): the timeline shows a page of entries, and only the shown ones are linked."""

import heapq
from datetime import datetime, time
from itertools import islice
from operator import itemgetter

from django.urls import reverse_lazy
from django.utils import timezone

from assessments.models import AssessmentResponse, QuestionnaireAssignment, RiskAlert
from clinic import roles
from patients.timeline import ALERT, SCORE, Source, TimelineEntry, alert_state, newest, register, when


@register
class Responses(Source):
    kind = SCORE
    permissions = (roles.VIEW_RESPONSES,)
    at = "completed_at"

    def rows(self, patient, user):
        return (
            AssessmentResponse.objects.filter(patient=patient)
            .select_related("version__instrument")
            .defer("version__definition", "answers")
        )

    def entry(self, response, ids, user):
        band = f" ({response.band})" if response.band else ""
        return TimelineEntry(
            kind=SCORE,
            at=response.completed_at,
            summary=f"{response.version.instrument.code} total {response.total}{band}",
            detail=response.get_mode_display(),
            url=reverse_lazy("assessments:response", kwargs={**ids, "response_id": response.external_id}),
        )


def _end_of_day(day):
    return timezone.make_aware(datetime.combine(day, time.max))


@register
class MissedQuestionnaires(Source):
    """Questionnaires that expired unanswered. Those sent after a session expire at a set time; those
    assigned by hand have none and count as missed at the end of the due day (a local moment SQL is not
    asked to compute): each kind is read in its own order, and the two are merged by that moment."""

    kind = SCORE
    permissions = (roles.VIEW_RESPONSES,)

    def rows(self, patient, user):
        return (
            QuestionnaireAssignment.objects.filter(
                patient=patient, status=QuestionnaireAssignment.Status.EXPIRED
            )
            .select_related("version__instrument")
            .defer("version__definition")
        )

    def moments(self, patient, user, limit):
        return [at for at, _ in islice(self._dated(patient, user, limit, moments=True), limit)]

    def entries(self, patient, ids, user, limit):
        for at, assignment in islice(self._dated(patient, user, limit), limit):
            yield self.entry(assignment, ids, user, at)

    def _dated(self, patient, user, limit, moments=False):
        missed = self.rows(patient, user)
        expiring = newest(missed.filter(expires_at__isnull=False), "expires_at", limit=limit)
        by_hand = newest(missed.filter(expires_at__isnull=True), "due_date", "pk", limit=limit)
        if moments:
            expiring = ((at, None) for at in expiring.values_list("expires_at", flat=True))
            by_hand = ((_end_of_day(day), None) for day in by_hand.values_list("due_date", flat=True))
        else:
            expiring = ((assignment.expires_at, assignment) for assignment in expiring)
            by_hand = ((_end_of_day(assignment.due_date), assignment) for assignment in by_hand)
        return heapq.merge(expiring, by_hand, key=itemgetter(0), reverse=True)

    def entry(self, assignment, ids, user, at=None):
        return TimelineEntry(
            kind=SCORE,
            at=at or assignment.expires_at or _end_of_day(assignment.due_date),
            summary=f"{assignment.version.instrument.code} questionnaire not answered",
            detail=assignment.purpose,
            url=reverse_lazy("assessments:measures", kwargs=ids),
            state=assignment.get_status_display(),
            state_class="text-bg-warning",
        )


@register
class RiskAlerts(Source):
    kind = ALERT
    permissions = (roles.VIEW_ALERTS,)
    at = "created_at"

    def rows(self, patient, user):
        return (
            RiskAlert.objects.filter(patient=patient)
            .select_related("response__version__instrument")
            .defer("response__version__definition", "response__answers")
        )

    def entry(self, alert, ids, user):
        detail = f"from {alert.response.version.instrument.code}"
        if alert.acknowledged_at:
            detail += f" · acknowledged {when(alert.acknowledged_at)}"
        return TimelineEntry(
            kind=ALERT,
            at=alert.created_at,
            summary=f"{'Risk alert' if alert.is_risk else 'Score alert'}: {alert.message}",
            detail=detail,
            # Acknowledging is a form on the measures page (the acknowledge URL takes POST only).
            url=reverse_lazy("assessments:measures", kwargs=ids),
            **alert_state(alert),
        )
