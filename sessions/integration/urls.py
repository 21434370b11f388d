from django.urls import path

from sessions.integration import caseload_views, views

app_name = "integration"

urlpatterns = [
    path("caseload/", caseload_views.caseload, name="caseload"),
    # Integration notes
    path("patients/<uuid:patient_id>/notes/", views.note_list, name="notes"),
    path("patients/<uuid:patient_id>/notes/new/", views.note_new, name="note_new"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/", views.note_detail, name="note"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/draft/", views.note_draft, name="note_draft"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/sign/", views.note_sign, name="note_sign"),
    path("patients/<uuid:patient_id>/notes/<uuid:note_id>/share/", views.note_share, name="note_share"),
    path(
        "patients/<uuid:patient_id>/notes/<uuid:note_id>/stop-sharing/",
        views.note_stop_sharing,
        name="note_stop_sharing",
    ),
    path(
        "patients/<uuid:patient_id>/notes/<uuid:note_id>/addenda/",
        views.note_addendum,
        name="note_addendum",
    ),
]
