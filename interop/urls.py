from django.urls import path

from interop import views

app_name = "interop"

urlpatterns = [
    path("portal/record/", views.portal_record, name="portal_record"),
    path("portal/record/<uuid:export_id>/status/", views.portal_record_status, name="portal_record_status"),
    path(
        "portal/record/<uuid:export_id>/download/",
        views.portal_record_download,
        name="portal_record_download",
    ),
    path(
        "patients/<uuid:patient_id>/record-exports/",
        views.patient_record_exports,
        name="patient_record_exports",
    ),
    path(
        "patients/<uuid:patient_id>/record-exports/<uuid:export_id>/status/",
        views.record_export_status,
        name="record_export_status",
    ),
    path(
        "patients/<uuid:patient_id>/record-exports/<uuid:export_id>/download/",
        views.record_export_download,
        name="record_export_download",
    ),
    path(
        "patients/<uuid:patient_id>/record-exports/<uuid:export_id>/delivery/",
        views.record_export_delivery,
        name="record_export_delivery",
    ),
]
