from django.urls import path

from patients import audit_report, screening_views, timeline_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("pick/", views.patient_pick, name="pick"),
    path("audit/", audit_report.audit_report, name="audit"),
    path("screening-queue/", screening_views.work_queue, name="queue"),
    path("<uuid:patient_id>/", views.patient_detail, name="detail"),
    path("<uuid:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<uuid:patient_id>/history/", views.patient_history, name="history"),
    path("<uuid:patient_id>/timeline/", timeline_views.timeline, name="timeline"),
    path("<uuid:patient_id>/invite/", views.patient_invite, name="invite"),
    path("<uuid:patient_id>/intake/", screening_views.intake_overview, name="intake"),
    path("<uuid:patient_id>/intake/verify/", screening_views.intake_verify_many, name="intake_verify_many"),
    path("<uuid:patient_id>/intake/<str:key>/", screening_views.intake_section, name="intake_section"),
    path("<uuid:patient_id>/intake/<str:key>/verify/", screening_views.intake_verify, name="intake_verify"),
    path("<uuid:patient_id>/screening/", screening_views.screening_review, name="screening"),
    path("<uuid:patient_id>/consent/<str:route>/", screening_views.consent_on_tablet, name="consent_tablet"),
    path("<uuid:patient_id>/consents/<uuid:signature_id>/", screening_views.consent_pdf, name="consent_pdf"),
]
