"""What the assessments app adds to the layers below it, registered once its models are loaded
(AssessmentsConfig.ready): its alert kind for the patient's open alerts, its timeline sources, and the
shipped instruments loaded after every migrate."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.urls import reverse
from django.utils import timezone

from assessments import timeline  # noqa: F401  (registers its sources on the patient timeline)
from assessments.models import AssessmentResponse, RiskAlert
from assessments.outcomes import patient_courses, patient_saved, response_changed
from assessments.services import sync_shipped_instruments
from clinic import roles
from patients import alerts, panels
from patients.models import Patient


def describe_risk_alert(alert):
    return (
        f"{alert.message} ({alert.response.version.instrument.code}, "
        f"{timezone.localtime(alert.created_at):%b %-d, %H:%M})"
    )


def risk_alert_url(alert):
    return reverse("assessments:measures", args=[alert.patient.external_id])


@panels.contribute("screening_review")
def rating_scale_courses(patient, user):
    return {"courses": patient_courses(patient)}


def load_shipped_instruments(sender, **kwargs):
    sync_shipped_instruments()


def register(app_config):
    # Shipped definitions (assessments/instruments/*.json) are loaded after every migrate; a version
    # already stored is left alone, so scores given with it never change.
    post_migrate.connect(load_shipped_instruments, sender=app_config, dispatch_uid="load_shipped_instruments")
    # The clinic's outcome counts read one summary row per course (assessments.outcomes), kept in step
    # with every response saved or deleted, inside the same transaction.
    post_save.connect(response_changed, sender=AssessmentResponse, dispatch_uid="outcome_course_on_save")
    post_delete.connect(response_changed, sender=AssessmentResponse, dispatch_uid="outcome_course_on_delete")
    post_save.connect(patient_saved, sender=Patient, dispatch_uid="outcome_course_route")
    alerts.register(
        alerts.AlertKind(
            name="risk",
            label="Questionnaire alert",
            model=RiskAlert,
            patient_field="patient",
            time_field="created_at",
            permission=roles.VIEW_ALERTS,
            describe=describe_risk_alert,
            url=risk_alert_url,
            related=("patient", "response__version__instrument"),
        )
    )
