"""Charting URLs, included in the sessions namespace."""

from django.urls import path

from sessions.charting import views

SESSION = "patients/<uuid:patient_id>/sessions/<uuid:session_id>/"

urlpatterns = [
    path(
        "patients/<uuid:patient_id>/appointments/<uuid:appointment_id>/chart/",
        views.start,
        name="start_chart",
    ),
    path("patients/<uuid:patient_id>/sessions/", views.patient_sessions, name="patient_sessions"),
    path(SESSION, views.chart, name="chart"),
    path(SESSION + "pre-session/", views.pre_session, name="chart_pre_session"),
    path(SESSION + "vitals/", views.vitals, name="chart_vitals"),
    path(SESSION + "calculate/", views.calculate, name="chart_calculate"),
    path(SESSION + "order/", views.order, name="chart_order"),
    path(SESSION + "administer/", views.administer, name="chart_administer"),
    path(SESSION + "devices/", views.device, name="chart_device"),
    path(SESSION + "devices/stop/", views.stop_devices, name="chart_stop_devices"),
    path(SESSION + "overrides/", views.override, name="chart_override"),
    path(SESSION + "observations/", views.observation, name="chart_observation"),
    path(SESSION + "adverse-events/", views.adverse_event, name="chart_adverse_event"),
    path(SESSION + "alerts/<int:alert_pk>/acknowledge/", views.acknowledge, name="chart_acknowledge"),
    path(SESSION + "discharge/", views.discharge, name="chart_discharge"),
    path(SESSION + "rems/", views.rems, name="chart_rems"),
    path(SESSION + "sign/", views.sign, name="chart_sign"),
    path(SESSION + "addenda/", views.addendum, name="chart_addendum"),
    path(SESSION + "record.pdf", views.record_pdf, name="chart_record_pdf"),
    path(SESSION + "rems.pdf", views.rems_pdf, name="chart_rems_pdf"),
]
