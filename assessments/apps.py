from django.apps import AppConfig
from django.db.models.signals import post_migrate


def load_shipped_instruments(sender, **kwargs):
    from assessments.services import sync_shipped_instruments

    sync_shipped_instruments()


def _describe_risk_alert(alert):
    from django.utils import timezone

    return (
        f"{alert.message} ({alert.response.version.instrument.code}, "
        f"{timezone.localtime(alert.created_at):%b %-d, %H:%M})"
    )


def _risk_alert_url(alert):
    from django.urls import reverse

    return reverse("assessments:measures", args=[alert.patient.external_id])


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self):
        from clinic import roles
        from patients import alerts

        from .models import RiskAlert

        # Shipped definitions (assessments/instruments/*.json) are loaded after every migrate; a
        # version already stored is left alone, so scores given with it never change.
        post_migrate.connect(load_shipped_instruments, sender=self, dispatch_uid="load_shipped_instruments")
        alerts.register(
            alerts.AlertKind(
                name="risk",
                label="Questionnaire alert",
                model=RiskAlert,
                patient_field="patient",
                time_field="created_at",
                permission=roles.VIEW_ALERTS,
                describe=_describe_risk_alert,
                url=_risk_alert_url,
                related=("patient", "response__version__instrument"),
            )
        )
