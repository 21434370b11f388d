from django.urls import path

from sessions import views

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
]
