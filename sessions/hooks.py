"""What the sessions app adds to the layers below it, registered once its models are loaded
(TreatmentSessionsConfig.ready): its alert kind for the patient's open alerts, its timeline sources,
the clinic's sites for the Outcomes filter (a patient belongs to each site where they have an appointment),
and the receiver that stops a follow-up's e-mails when its questionnaire is answered or withdrawn."""

from django.urls import reverse
from django.utils import timezone

from assessments import outcomes
from clinic import roles
from patients import alerts
from sessions import timeline  # noqa: F401  (registers its sources on the patient timeline)
from sessions.integration import followups  # noqa: F401  (connects its assignment_closed receiver)
from sessions.models import Appointment, SessionAlert, Site


def describe_session_alert(alert):
    session = alert.session
    return (
        f"{alert.message} (on the {session.get_route_display()} chart of "
        f"{timezone.localtime(session.started_at):%b %-d}, {timezone.localtime(alert.raised_at):%H:%M})"
    )


def session_alert_url(alert):
    session = alert.session
    return reverse("sessions:chart", args=[session.patient.external_id, session.external_id]) + "#alerts"


def site_choices():
    return [(str(pk), name) for pk, name in Site.objects.filter(is_active=True).values_list("pk", "name")]


def patients_at_site(value):
    """A patient belongs to every site where they have had (or have booked) an appointment."""
    return (
        Appointment.objects.filter(room__site_id=value)
        .exclude(status=Appointment.Status.CANCELLED)
        .values("patient_id")
    )


def register(app_config):
    outcomes.register_sites(site_choices, patients_at_site)
    alerts.register(
        alerts.AlertKind(
            name="session",
            label="Treatment session alert",
            model=SessionAlert,
            patient_field="session__patient",
            time_field="raised_at",
            permission=roles.VIEW_SESSION,
            describe=describe_session_alert,
            url=session_alert_url,
            related=("session__patient",),
        )
    )
