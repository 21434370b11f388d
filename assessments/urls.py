from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("patients/<uuid:patient_id>/measures/", views.patient_measures, name="measures"),
    path("patients/<uuid:patient_id>/measures/give/<str:code>/", views.give_instrument, name="give"),
    path("patients/<uuid:patient_id>/measures/assign/", views.assign_questionnaire, name="assign"),
    path(
        "patients/<uuid:patient_id>/measures/assignments/<uuid:assignment_id>/cancel/",
        views.cancel_assignment,
        name="cancel_assignment",
    ),
    path(
        "patients/<uuid:patient_id>/measures/responses/<uuid:response_id>/",
        views.response_detail,
        name="response",
    ),
    path("patients/<uuid:patient_id>/measures/progress-report.pdf", views.progress_report, name="report"),
    path(
        "patients/<uuid:patient_id>/alerts/<uuid:alert_id>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
    ),
]
