from django.apps import AppConfig


def _describe_session_alert(alert):
    from django.utils import timezone

    session = alert.session
    return (
        f"{alert.message} (on the {session.get_route_display()} chart of "
        f"{timezone.localtime(session.started_at):%b %-d}, {timezone.localtime(alert.raised_at):%H:%M})"
    )


def _session_alert_url(alert):
    from django.urls import reverse

    session = alert.session
    return reverse("sessions:chart", args=[session.patient.external_id, session.external_id]) + "#alerts"


class TreatmentSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import roles
        from patients import alerts

        from .models import SessionAlert

        alerts.register(
            alerts.AlertKind(
                name="session",
                label="Treatment session alert",
                model=SessionAlert,
                patient_field="session__patient",
                time_field="raised_at",
                permission=roles.VIEW_SESSION,
                describe=_describe_session_alert,
                url=_session_alert_url,
                related=("session__patient",),
            )
        )
