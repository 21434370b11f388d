from django.urls import path

from sessions.ledger.views import (
    ledger,
    ledger_report,
    receive,
    vial_correct,
    vial_count,
    vial_detail,
    vial_waste,
)
from sessions.scheduling import views

app_name = "sessions"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("schedule/", views.calendar, name="calendar"),
    path("schedule/book/", views.calendar_book, name="calendar_book"),
    path("patients/<uuid:patient_id>/appointments/", views.patient_appointments, name="patient_appointments"),
    path("patients/<uuid:patient_id>/appointments/book/", views.book_appointment, name="book"),
    path(
        "patients/<uuid:patient_id>/appointments/<uuid:appointment_id>/",
        views.appointment_detail,
        name="appointment",
    ),
    path(
        "patients/<uuid:patient_id>/appointments/<uuid:appointment_id>/status/",
        views.appointment_status,
        name="appointment_status",
    ),
    path(
        "patients/<uuid:patient_id>/appointments/<uuid:appointment_id>/move/",
        views.appointment_move,
        name="appointment_move",
    ),
    path(
        "patients/<uuid:patient_id>/appointments/<uuid:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("patients/<uuid:patient_id>/plans/new/", views.plan_create, name="plan_create"),
    path("patients/<uuid:patient_id>/plans/<uuid:plan_id>/", views.plan_detail, name="plan"),
    path("ledger/", ledger, name="ledger"),
    path("ledger/receive/", receive, name="receive_vial"),
    path("ledger/report/", ledger_report, name="ledger_report"),
    path("ledger/vials/<uuid:vial_id>/", vial_detail, name="vial"),
    path("ledger/vials/<uuid:vial_id>/waste/", vial_waste, name="vial_waste"),
    path("ledger/vials/<uuid:vial_id>/count/", vial_count, name="vial_count"),
    path("ledger/vials/<uuid:vial_id>/correct/", vial_correct, name="vial_correct"),
]

from sessions.charting.urls import urlpatterns as chart_urlpatterns  # noqa: E402

urlpatterns += chart_urlpatterns
