from django.urls import path

from assessments import caseload_views, note_views, views

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
    path("caseload/", caseload_views.caseload, name="caseload"),
    # Integration notes
    path("patients/<uuid:patient_id>/notes/", note_views.note_list, name="notes"),
    path("patients/<uuid:patient_id>/notes/new/", note_views.note_new, name="note_new"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/", note_views.note_detail, name="note"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/draft/", note_views.note_draft, name="note_draft"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/sign/", note_views.note_sign, name="note_sign"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/share/", note_views.note_share, name="note_share"),
    path(
        "patients/<uuid:patient_id>/notes/<uuid:note_id>/stop-sharing/",
        note_views.note_stop_sharing,
        name="note_stop_sharing",
    ),
    path(
        "patients/<uuid:patient_id>/notes/<uuid:note_id>/addenda/",
        note_views.note_addendum,
        name="note_addendum",
    ),
]
