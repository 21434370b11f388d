from django.urls import path

from assessments import views as assessment_views
from patients import screening_views
from patients import views as patient_views
from portal import views
from sessions.integration import views as integration_views
from sessions.scheduling import views as session_views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("invitation/<str:token>/", patient_views.accept_portal_invitation, name="accept_invitation"),
    path("appointments/", session_views.portal_appointments, name="appointments"),
    path(
        "appointments/<uuid:appointment_id>/confirm/",
        session_views.portal_confirm,
        name="appointment_confirm",
    ),
    path(
        "appointments/<uuid:appointment_id>/change/", session_views.portal_change, name="appointment_change"
    ),
    path("intake/", screening_views.portal_intake, name="intake"),
    path("intake/<str:key>/", screening_views.portal_intake_step, name="intake_step"),
    path("consent/<str:route>/", screening_views.portal_consent, name="consent"),
    path("consents/<uuid:signature_id>/", screening_views.portal_consent_pdf, name="consent_pdf"),
    path("questionnaires/<uuid:assignment_id>/", assessment_views.questionnaire, name="questionnaire"),
    path(
        "questionnaires/<uuid:assignment_id>/draft/",
        assessment_views.questionnaire_draft,
        name="questionnaire_draft",
    ),
    path(
        "questionnaires/<uuid:assignment_id>/done/",
        assessment_views.questionnaire_done,
        name="questionnaire_done",
    ),
    path("notes/", integration_views.portal_notes, name="notes"),
]
