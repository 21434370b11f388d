from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import RecordAdmin
from sessions.models import (
    Appointment,
    AppointmentType,
    ClinicHours,
    Closure,
    Reminder,
    Room,
    TreatmentPlan,
    WorkingHours,
)


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "duration_minutes", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "is_chair", "is_active")


@admin.register(ClinicHours)
class ClinicHoursAdmin(admin.ModelAdmin):
    list_display = ("weekday", "opens", "closes")


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("date", "reason")


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ("staff", "weekday", "starts", "ends")
    list_filter = ("staff",)


@admin.register(Reminder)
class ReminderAdmin(RecordAdmin):
    list_display = ("appointment", "channel", "hours_before", "due_at", "status", "attempts", "last_error")
    list_filter = ("status", "channel")
    list_select_related = ("appointment__appointment_type",)
    readonly_fields = [field.name for field in Reminder._meta.fields]


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin, RecordAdmin):
    list_display = ("start", "appointment_type", "patient", "room", "clinician", "status")
    list_filter = ("status", "appointment_type", "room")
    list_select_related = ("appointment_type", "patient", "room", "clinician")
    readonly_fields = [field.name for field in Appointment._meta.fields]
    date_hierarchy = "start"


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(SimpleHistoryAdmin, RecordAdmin):
    list_display = ("patient", "protocol", "induction_sessions", "created_at")
    list_select_related = ("patient",)
    readonly_fields = [field.name for field in TreatmentPlan._meta.fields]
