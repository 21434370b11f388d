"""The sessions layer's entries on the patient timeline (patients/timeline.py): appointments, charts,
session alerts, integration notes and the messages sent. Registered when the sessions AppConfig is ready.
Messages say that something was sent, never what it said. Addresses are reverse_lazy(): the timeline
shows a page of a chart that may hold hundreds of entries, and only that page's are worked out."""

from django.db.models.functions import Coalesce
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format

from clinic import roles
from patients.timeline import (
    ALERT,
    MESSAGE,
    NOTE,
    SESSION,
    Source,
    TimelineEntry,
    alert_state,
    register,
    when,
)
from sessions.models import (
    Appointment,
    IntegrationNote,
    QuestionnaireNotice,
    Reminder,
    SessionAlert,
    TreatmentSession,
)


@register
class Appointments(Source):
    kind = SESSION
    permissions = (roles.VIEW_APPOINTMENTS,)
    at = "start"

    def rows(self, patient, user):
        return patient.appointments.select_related("appointment_type", "clinician")

    def entry(self, visit, ids, user):
        state = visit.get_status_display()
        if visit.is_open and visit.start > timezone.now():
            state = f"Upcoming · {state}"
        detail = f"with {visit.clinician}"
        if visit.status == Appointment.Status.CANCELLED and visit.late_cancellation:
            detail += " · late cancellation"
        return TimelineEntry(
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


@register
class Charts(Source):
    kind = SESSION
    permissions = (roles.VIEW_SESSION,)
    at = Coalesce("discharged_at", "started_at")

    def rows(self, patient, user):
        return patient.treatment_sessions.filter(
            status__in=[TreatmentSession.Status.DISCHARGED, TreatmentSession.Status.SIGNED]
        )

    def entry(self, session, ids, user):
        return TimelineEntry(
            kind=SESSION,
            at=session.discharged_at or session.started_at,
            summary=f"{session.get_route_display()} session charted: {_dose(session)}",
            detail="discharged" if session.discharged_at else "",
            url=reverse_lazy("sessions:chart", kwargs={**ids, "session_id": session.external_id}),
            state=session.get_status_display(),
            state_class="text-bg-success" if session.is_locked else "text-bg-warning",
        )


@register
class Notes(Source):
    kind = NOTE
    permissions = (roles.VIEW_NOTE,)
    at = "created_at"

    def rows(self, patient, user):
        # Metadata only: the note's text stays on the note's own page, and is not even read here.
        return (
            IntegrationNote.objects.filter(patient=patient)
            .select_related(
                "author",
                "treatment_session__appointment__appointment_type",
                "appointment__appointment_type",
            )
            .only(
                "external_id",
                "status",
                "created_at",
                "signed_at",
                "author",
                "treatment_session__appointment__start",
                "treatment_session__appointment__appointment_type__name",
                "appointment__start",
                "appointment__appointment_type__name",
            )
        )

    def entry(self, note, ids, user):
        follows = note.follows
        summary = "Integration note"
        if follows is not None:
            day = date_format(timezone.localtime(follows.start), "M j")
            summary += f" after the {follows.appointment_type} appointment of {day}"
        detail = f"by {note.author}"
        if note.signed_at:
            detail += f" · signed {when(note.signed_at)}"
        return TimelineEntry(
            kind=NOTE,
            at=note.created_at,
            summary=summary,
            detail=detail,
            url=reverse_lazy("integration:note", kwargs={**ids, "note_id": note.external_id}),
            state=note.get_status_display(),
            state_class="text-bg-success" if note.is_locked else "text-bg-warning",
        )


@register
class SessionAlerts(Source):
    kind = ALERT
    permissions = (roles.VIEW_ALERTS, roles.VIEW_SESSION)
    at = "raised_at"

    def rows(self, patient, user):
        return SessionAlert.objects.filter(session__patient=patient).select_related("session")

    def entry(self, alert, ids, user):
        detail = f"during the {alert.session.get_route_display()} session"
        if alert.acknowledged_at:
            detail += f" · acknowledged {when(alert.acknowledged_at)}"
        return TimelineEntry(
            kind=ALERT,
            at=alert.raised_at,
            summary=f"Session alert: {alert.message}",
            detail=detail,
            url=reverse_lazy("sessions:chart", kwargs={**ids, "session_id": alert.session.external_id}),
            **alert_state(alert),
        )


@register
class Reminders(Source):
    kind = MESSAGE
    permissions = (roles.VIEW_APPOINTMENTS,)
    at = "sent_at"

    def rows(self, patient, user):
        return Reminder.objects.filter(
            appointment__patient=patient, status=Reminder.Status.SENT, sent_at__isnull=False
        ).select_related("appointment__appointment_type")

    def entry(self, reminder, ids, user):
        visit = reminder.appointment
        how = "texted (SMS)" if reminder.channel == Reminder.Channel.SMS else "e-mailed"
        return TimelineEntry(
            kind=MESSAGE,
            at=reminder.sent_at,
            summary=f"Appointment reminder {how}",
            detail=f"for the {visit.appointment_type} appointment of {when(visit.start)}",
            url=reverse_lazy("sessions:appointment", kwargs={**ids, "appointment_id": visit.external_id}),
        )


@register
class QuestionnaireEmails(Source):
    kind = MESSAGE
    permissions = (roles.VIEW_APPOINTMENTS,)
    at = "sent_at"

    def rows(self, patient, user):
        notices = QuestionnaireNotice.objects.filter(
            assignment__patient=patient, status=QuestionnaireNotice.Status.SENT, sent_at__isnull=False
        ).select_related("assignment__version__instrument")
        # Only the instrument's code: a version's definition (its whole questionnaire) is not read per e-mail.
        return notices.only("number", "sent_at", "assignment__version__instrument__code")

    def entry(self, notice, ids, user):
        what = "Questionnaire invitation" if notice.number == 0 else f"Questionnaire reminder {notice.number}"
        # Which questionnaire is a clinical detail: only for users who may see scores.
        named = user.has_perm(roles.VIEW_RESPONSES)
        return TimelineEntry(
            kind=MESSAGE,
            at=notice.sent_at,
            summary=f"{what} e-mailed",
            detail=f"for the {notice.assignment.version.instrument.code}" if named else "",
        )
