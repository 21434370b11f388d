"""One chronological timeline of a patient's chart: sessions, scores, notes, alerts and messages.

Each kind comes from its own query (about ten in all, whatever the length of the chart) and is shown
only to users whose role may see it (clinic.roles). Entries carry a one-line summary made here, never
a message's body or a note's text: the timeline says what happened, the linked page says the rest.
"""

from dataclasses import dataclass
from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from assessments.models import (
    AssessmentResponse,
    IntegrationNote,
    QuestionnaireAssignment,
    QuestionnaireNotice,
    RiskAlert,
)
from clinic import roles
from patients.models import PortalInvitation
from sessions.models import Appointment, Reminder, SessionAlert, TreatmentSession

SESSION, SCORE, NOTE, ALERT, MESSAGE = "session", "score", "note", "alert", "message"

#: Every kind, in the order the filter shows them, with its label.
KINDS = {
    SESSION: "Sessions",
    SCORE: "Scores",
    NOTE: "Notes",
    ALERT: "Alerts",
    MESSAGE: "Messages",
}

#: Each kind's badge (Bootstrap classes), always with the kind's name in it.
KIND_CLASSES = {
    SESSION: "text-bg-primary",
    SCORE: "text-bg-info",
    NOTE: "text-bg-secondary",
    ALERT: "text-bg-dark",
    MESSAGE: "text-bg-light border",
}


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: datetime
    summary: str
    detail: str = ""
    url: str = ""
    #: A short state shown as a badge with its words ("Open", "Signed and locked", "Missed").
    state: str = ""
    #: The badge's CSS class, always beside the words, never instead of them.
    state_class: str = "text-bg-secondary"

    @property
    def kind_label(self):
        return KINDS[self.kind].removesuffix("s")

    @property
    def kind_class(self):
        return KIND_CLASSES[self.kind]


@dataclass(frozen=True)
class Access:
    """What a user may see on the timeline, read once from their permissions."""

    appointments: bool
    charts: bool
    scores: bool
    notes: bool
    alerts: bool
    messages: bool

    @classmethod
    def for_user(cls, user):
        return cls(
            appointments=user.has_perm(roles.VIEW_APPOINTMENTS),
            charts=user.has_perm(roles.VIEW_SESSION),
            scores=user.has_perm(roles.VIEW_RESPONSES),
            notes=user.has_perm(roles.VIEW_NOTE),
            alerts=user.has_perm(roles.VIEW_ALERTS),
            messages=user.has_perm(roles.VIEW_APPOINTMENTS),
        )

    @property
    def kinds(self):
        """The kinds this user may see, in display order."""
        shown = {
            SESSION: self.appointments or self.charts,
            SCORE: self.scores,
            NOTE: self.notes,
            ALERT: self.alerts,
            MESSAGE: self.messages,
        }
        return [kind for kind in KINDS if shown[kind]]


def chosen_kinds(requested, allowed):
    """The kinds asked for that the user may see; none asked (or none usable) means all allowed.
    Unknown or forbidden values are ignored rather than refused."""
    chosen = [kind for kind in allowed if kind in set(requested)]
    return chosen or list(allowed)


def build_timeline(patient, user, kinds=None):
    """The patient's timeline for `user`, newest first, limited to `kinds` (default: all they may see)."""
    access = Access.for_user(user)
    wanted = set(access.kinds if kinds is None else kinds) & set(access.kinds)
    ids = {"patient_id": patient.external_id}
    entries = []
    if SESSION in wanted:
        if access.appointments:
            entries += _appointments(patient, ids)
        if access.charts:
            entries += _charts(patient, ids)
    if SCORE in wanted:
        entries += _responses(patient, ids)
        entries += _missed_questionnaires(patient, ids)
    if NOTE in wanted:
        entries += _notes(patient, ids)
    if ALERT in wanted:
        entries += _risk_alerts(patient, ids)
        if access.charts:
            entries += _session_alerts(patient, ids)
    if MESSAGE in wanted:
        entries += _reminders(patient, ids, link=access.appointments)
        entries += _questionnaire_emails(patient, named=access.scores)
        entries += _portal_invitations(patient)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _when(moment):
    return date_format(timezone.localtime(moment), "M j, Y H:i")


# Sessions ------------------------------------------------------------------------------------------


def _appointments(patient, ids):
    now = timezone.now()
    for visit in patient.appointments.select_related("appointment_type", "clinician").order_by("-start"):
        state = visit.get_status_display()
        if visit.is_open and visit.start > now:
            state = f"Upcoming · {state}"
        detail = f"with {visit.clinician}"
        if visit.status == Appointment.Status.CANCELLED and visit.late_cancellation:
            detail += " · late cancellation"
        yield TimelineEntry(
            kind=SESSION,
            at=visit.start,
            summary=f"{visit.appointment_type} appointment",
            detail=detail,
            url=reverse("sessions:appointment", kwargs={**ids, "appointment_id": visit.external_id}),
            state=state,
            state_class=f"appt-{visit.status}",
        )


def _dose(session):
    if session.ordered_dose_mg is None:
        return "no dose charted"
    dose = f"{session.ordered_dose_mg.normalize():f} mg"
    if session.ordered_mg_per_kg is not None:
        dose += f" ({session.ordered_mg_per_kg.normalize():f} mg/kg)"
    if session.ordered_devices:
        dose += f", {session.ordered_devices} device{'s' if session.ordered_devices > 1 else ''}"
    return dose


def _charts(patient, ids):
    charts = patient.treatment_sessions.filter(
        status__in=[TreatmentSession.Status.DISCHARGED, TreatmentSession.Status.SIGNED]
    )
    for session in charts:
        yield TimelineEntry(
            kind=SESSION,
            at=session.discharged_at or session.started_at,
            summary=f"{session.get_route_display()} session charted: {_dose(session)}",
            detail="discharged" if session.discharged_at else "",
            url=reverse("sessions:chart", kwargs={**ids, "session_id": session.external_id}),
            state=session.get_status_display(),
            state_class="text-bg-success" if session.is_locked else "text-bg-warning",
        )


# Scores --------------------------------------------------------------------------------------------


def _responses(patient, ids):
    responses = AssessmentResponse.objects.filter(patient=patient).select_related("version__instrument")
    for response in responses:
        band = f" ({response.band})" if response.band else ""
        yield TimelineEntry(
            kind=SCORE,
            at=response.completed_at,
            summary=f"{response.version.instrument.code} total {response.total}{band}",
            detail=response.get_mode_display(),
            url=reverse("assessments:response", kwargs={**ids, "response_id": response.external_id}),
        )


def _missed_questionnaires(patient, ids):
    missed = QuestionnaireAssignment.objects.filter(
        patient=patient, status=QuestionnaireAssignment.Status.EXPIRED
    ).select_related("version__instrument")
    for assignment in missed:
        # Assignments made by hand have no expiry time: they count as missed at the end of the due day.
        at = assignment.expires_at or timezone.make_aware(datetime.combine(assignment.due_date, time.max))
        yield TimelineEntry(
            kind=SCORE,
            at=at,
            summary=f"{assignment.version.instrument.code} questionnaire not answered",
            detail=assignment.purpose,
            url=reverse("assessments:measures", kwargs=ids),
            state=assignment.get_status_display(),
            state_class="text-bg-warning",
        )


# Notes ---------------------------------------------------------------------------------------------


def _notes(patient, ids):
    # Metadata only: the note's text stays on the note's own page.
    notes = IntegrationNote.objects.filter(patient=patient).select_related(
        "author",
        "treatment_session__appointment__appointment_type",
        "appointment__appointment_type",
    )
    for note in notes:
        follows = note.follows
        summary = "Integration note"
        if follows is not None:
            when = date_format(timezone.localtime(follows.start), "M j")
            summary += f" after the {follows.appointment_type} appointment of {when}"
        detail = f"by {note.author}"
        if note.signed_at:
            detail += f" · signed {_when(note.signed_at)}"
        yield TimelineEntry(
            kind=NOTE,
            at=note.created_at,
            summary=summary,
            detail=detail,
            url=reverse("assessments:note", kwargs={**ids, "note_id": note.external_id}),
            state=note.get_status_display(),
            state_class="text-bg-success" if note.is_locked else "text-bg-warning",
        )


# Alerts --------------------------------------------------------------------------------------------


def _alert_state(alert):
    if alert.acknowledged_at is None:
        return {"state": "Open", "state_class": "text-bg-danger"}
    return {"state": "Acknowledged", "state_class": "text-bg-secondary"}


def _risk_alerts(patient, ids):
    alerts = RiskAlert.objects.filter(patient=patient).select_related("response__version__instrument")
    for alert in alerts:
        detail = f"from {alert.response.version.instrument.code}"
        if alert.acknowledged_at:
            detail += f" · acknowledged {_when(alert.acknowledged_at)}"
        yield TimelineEntry(
            kind=ALERT,
            at=alert.created_at,
            summary=f"{'Risk alert' if alert.is_risk else 'Score alert'}: {alert.message}",
            detail=detail,
            # Acknowledging is a form on the measures page (the acknowledge URL takes POST only).
            url=reverse("assessments:measures", kwargs=ids),
            **_alert_state(alert),
        )


def _session_alerts(patient, ids):
    alerts = SessionAlert.objects.filter(session__patient=patient).select_related("session")
    for alert in alerts:
        detail = f"during the {alert.session.get_route_display()} session"
        if alert.acknowledged_at:
            detail += f" · acknowledged {_when(alert.acknowledged_at)}"
        yield TimelineEntry(
            kind=ALERT,
            at=alert.raised_at,
            summary=f"Session alert: {alert.message}",
            detail=detail,
            url=reverse("sessions:chart", kwargs={**ids, "session_id": alert.session.external_id}),
            **_alert_state(alert),
        )


# Messages: that something was sent, never what it said ---------------------------------------------


def _reminders(patient, ids, *, link):
    reminders = Reminder.objects.filter(
        appointment__patient=patient, status=Reminder.Status.SENT, sent_at__isnull=False
    ).select_related("appointment__appointment_type")
    for reminder in reminders:
        visit = reminder.appointment
        how = "texted (SMS)" if reminder.channel == Reminder.Channel.SMS else "e-mailed"
        yield TimelineEntry(
            kind=MESSAGE,
            at=reminder.sent_at,
            summary=f"Appointment reminder {how}",
            detail=f"for the {visit.appointment_type} appointment of {_when(visit.start)}",
            url=reverse("sessions:appointment", kwargs={**ids, "appointment_id": visit.external_id})
            if link
            else "",
        )


def _questionnaire_emails(patient, *, named):
    notices = QuestionnaireNotice.objects.filter(
        assignment__patient=patient, status=QuestionnaireNotice.Status.SENT, sent_at__isnull=False
    ).select_related("assignment__version__instrument")
    for notice in notices:
        what = "Questionnaire invitation" if notice.number == 0 else f"Questionnaire reminder {notice.number}"
        yield TimelineEntry(
            kind=MESSAGE,
            at=notice.sent_at,
            summary=f"{what} e-mailed",
            # Which questionnaire is a clinical detail: only for users who may see scores.
            detail=f"for the {notice.assignment.version.instrument.code}" if named else "",
        )


def _portal_invitations(patient):
    for invitation in PortalInvitation.objects.filter(patient=patient, sent_at__isnull=False):
        yield TimelineEntry(kind=MESSAGE, at=invitation.sent_at, summary="Portal invitation e-mailed")
