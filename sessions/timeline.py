"""The sessions layer's entries on the patient timeline (patients/timeline.py): appointments, charts,
session alerts, integration notes and the messages sent. Registered when the sessions AppConfig is ready.
Messages say that something was sent, never what it said. Addresses are reverse_lazy(): the timeline
shows a page of a chart that may hold hundreds of entries, and only that page's are worked out."""

from django.db.models.functions import Coalesce
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format

from clinic import roles
from patients.timeline import ALERT, MESSAGE, NOTE, SESSION, TimelineEntry, alert_state, newest, source, when
from sessions.models import (
    Appointment,
    IntegrationNote,
    QuestionnaireNotice,
    Reminder,
    SessionAlert,
    TreatmentSession,
)


@source(SESSION, roles.VIEW_APPOINTMENTS)
def appointments(patient, ids, user, limit):
    now = timezone.now()
    visits = patient.appointments.select_related("appointment_type", "clinician")
    for visit in newest(visits, "start", limit=limit):
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
            url=reverse_lazy("sessions:appointment", kwargs={**ids, "appointment_id": visit.external_id}),
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


@source(SESSION, roles.VIEW_SESSION)
def charts(patient, ids, user, limit):
    charts = patient.treatment_sessions.filter(
        status__in=[TreatmentSession.Status.DISCHARGED, TreatmentSession.Status.SIGNED]
    )
    for session in newest(charts, Coalesce("discharged_at", "started_at"), limit=limit):
        yield TimelineEntry(
            kind=SESSION,
            at=session.discharged_at or session.started_at,
            summary=f"{session.get_route_display()} session charted: {_dose(session)}",
            detail="discharged" if session.discharged_at else "",
            url=reverse_lazy("sessions:chart", kwargs={**ids, "session_id": session.external_id}),
            state=session.get_status_display(),
            state_class="text-bg-success" if session.is_locked else "text-bg-warning",
        )


@source(NOTE, roles.VIEW_NOTE)
def notes(patient, ids, user, limit):
    # Metadata only: the note's text stays on the note's own page.
    notes = IntegrationNote.objects.filter(patient=patient).select_related(
        "author",
        "treatment_session__appointment__appointment_type",
        "appointment__appointment_type",
    )
    for note in newest(notes, "created_at", limit=limit):
        follows = note.follows
        summary = "Integration note"
        if follows is not None:
            day = date_format(timezone.localtime(follows.start), "M j")
            summary += f" after the {follows.appointment_type} appointment of {day}"
        detail = f"by {note.author}"
        if note.signed_at:
            detail += f" · signed {when(note.signed_at)}"
        yield TimelineEntry(
            kind=NOTE,
            at=note.created_at,
            summary=summary,
            detail=detail,
            url=reverse_lazy("integration:note", kwargs={**ids, "note_id": note.external_id}),
            state=note.get_status_display(),
            state_class="text-bg-success" if note.is_locked else "text-bg-warning",
        )


@source(ALERT, roles.VIEW_ALERTS, roles.VIEW_SESSION)
def session_alerts(patient, ids, user, limit):
    alerts = SessionAlert.objects.filter(session__patient=patient).select_related("session")
    for alert in newest(alerts, "raised_at", limit=limit):
        detail = f"during the {alert.session.get_route_display()} session"
        if alert.acknowledged_at:
            detail += f" · acknowledged {when(alert.acknowledged_at)}"
        yield TimelineEntry(
            kind=ALERT,
            at=alert.raised_at,
            summary=f"Session alert: {alert.message}",
            detail=detail,
            url=reverse_lazy("sessions:chart", kwargs={**ids, "session_id": alert.session.external_id}),
            **alert_state(alert),
        )


@source(MESSAGE, roles.VIEW_APPOINTMENTS)
def reminders(patient, ids, user, limit):
    reminders = Reminder.objects.filter(
        appointment__patient=patient, status=Reminder.Status.SENT, sent_at__isnull=False
    ).select_related("appointment__appointment_type")
    for reminder in newest(reminders, "sent_at", limit=limit):
        visit = reminder.appointment
        how = "texted (SMS)" if reminder.channel == Reminder.Channel.SMS else "e-mailed"
        yield TimelineEntry(
            kind=MESSAGE,
            at=reminder.sent_at,
            summary=f"Appointment reminder {how}",
            detail=f"for the {visit.appointment_type} appointment of {when(visit.start)}",
            url=reverse_lazy("sessions:appointment", kwargs={**ids, "appointment_id": visit.external_id}),
        )


@source(MESSAGE, roles.VIEW_APPOINTMENTS)
def questionnaire_emails(patient, ids, user, limit):
    notices = QuestionnaireNotice.objects.filter(
        assignment__patient=patient, status=QuestionnaireNotice.Status.SENT, sent_at__isnull=False
    ).select_related("assignment__version__instrument")
    # Only the instrument's code: a version's definition (its whole questionnaire) is not read per e-mail.
    notices = notices.only("number", "sent_at", "assignment__version__instrument__code")
    named = user.has_perm(roles.VIEW_RESPONSES)
    for notice in newest(notices, "sent_at", limit=limit):
        what = "Questionnaire invitation" if notice.number == 0 else f"Questionnaire reminder {notice.number}"
        yield TimelineEntry(
            kind=MESSAGE,
            at=notice.sent_at,
            summary=f"{what} e-mailed",
            # Which questionnaire is a clinical detail: only for users who may see scores.
            detail=f"for the {notice.assignment.version.instrument.code}" if named else "",
        )
