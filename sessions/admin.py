from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import RecordAdmin, SingletonSettingsAdmin
from sessions.integration import admin as integration_admin  # noqa: F401  (registers its models)
from sessions.models import (
    AdverseEvent,
    Appointment,
    AppointmentType,
    CadssItem,
    ChartingSettings,
    ClinicHours,
    Closure,
    EsketamineDevice,
    LedgerEntry,
    Reminder,
    Room,
    SafetyOverride,
    SchedulingSettings,
    SedationObservation,
    SessionAddendum,
    SessionAlert,
    Site,
    TreatmentPlan,
    TreatmentSession,
    Vial,
    VitalSignReading,
    WorkingHours,
)


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "duration_minutes", "fasting_rule", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "is_chair", "is_active")
    list_filter = ("site", "is_chair", "is_active")


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
    list_display = (
        "appointment",
        "channel",
        "hours_before",
        "due_at",
        "status",
        "attempts",
        "maybe_sent_at",
        "last_error",
    )
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


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fk_name = "vial"
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "kind",
        "change_ml",
        "balance_after_ml",
        "recorded_by",
        "witness",
        "patient",
        "reason",
        "corrects",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Vial)
class VialAdmin(RecordAdmin):
    list_display = (
        "lot",
        "drug",
        "concentration_mg_per_ml",
        "volume_ml",
        "balance_ml",
        "expiry",
        "received_at",
    )
    list_filter = ("lot", "expiry")
    readonly_fields = [field.name for field in Vial._meta.fields]
    inlines = [LedgerEntryInline]


def _chart_inline(chart_model, shown):
    class Inline(admin.TabularInline):
        model = chart_model
        extra = 0
        can_delete = False
        fields = shown
        readonly_fields = shown

        def has_add_permission(self, request, obj=None):
            return False

        def has_change_permission(self, request, obj=None):
            return False

    Inline.__name__ = f"{chart_model.__name__}Inline"
    return Inline


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(SimpleHistoryAdmin, RecordAdmin):
    """Charted in the application only: here every session, signed or not, is read-only."""

    list_display = ("patient", "route", "status", "started_at", "ordered_dose_mg", "lot_number")
    list_filter = ("route", "status")
    list_select_related = ("patient",)
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in TreatmentSession._meta.fields]
    inlines = [
        _chart_inline(VitalSignReading, ("taken_at", "sbp", "dbp", "hr", "spo2", "rr", "temp_c", "flags")),
        _chart_inline(SedationObservation, ("taken_at", "moaas", "cadss_total", "note")),
        _chart_inline(AdverseEvent, ("taken_at", "kind", "severity", "intervention", "outcome", "serious")),
        _chart_inline(EsketamineDevice, ("number", "taken_at", "lot_number", "recorded_by")),
        _chart_inline(SessionAlert, ("raised_at", "message", "acknowledged_by", "acknowledgement")),
        _chart_inline(SafetyOverride, ("at", "kind", "by", "reason", "covers")),
        _chart_inline(SessionAddendum, ("created_at", "author", "reason", "text")),
    ]


@admin.register(CadssItem)
class CadssItemAdmin(admin.ModelAdmin):
    """A clinic that holds the CADSS licence loads the item wording here; none ships with Clinic."""

    list_display = ("number", "subscale", "is_active")
    list_filter = ("subscale", "is_active")


@admin.register(SchedulingSettings)
class SchedulingSettingsAdmin(SingletonSettingsAdmin):
    fieldsets = (
        (
            "Appointments and reminders",
            {
                "fields": (
                    "reminder_hours",
                    "sms_reminders",
                    "quiet_hours_start",
                    "quiet_hours_end",
                    "cancellation_window_hours",
                )
            },
        ),
        ("Follow-up questionnaires", {"fields": ("questionnaire_reminder_days",)}),
    )


@admin.register(ChartingSettings)
class ChartingSettingsAdmin(SingletonSettingsAdmin):
    fieldsets = (
        (
            "Dosing limits",
            {
                "fields": (
                    "max_mg_per_kg",
                    "max_dose_mg",
                    "max_esketamine_mg",
                    "weight_valid_days",
                    "pump_rate_resolution",
                )
            },
        ),
        (
            "Before the dose: hold and caution",
            {
                "description": "A reading before the dose past a hold level holds dosing (and raises an "
                "alert) until a prescriber overrides it with a written reason after that reading; a "
                "caution is shown, not enforced. Shown wherever they are applied.",
                "fields": (
                    ("hold_sbp", "hold_dbp"),
                    ("caution_sbp", "caution_dbp"),
                    ("hold_spo2_below", "caution_spo2_below"),
                    ("hold_hr_above", "hold_hr_below", "caution_hr_above"),
                    ("hold_rr_below", "hold_rr_above"),
                    "hold_temp_c",
                ),
            },
        ),
        (
            "During and after the dose: alerts",
            {
                "description": "A value past one of these raises an alert that must be acknowledged.",
                "fields": (
                    "monitoring_minutes",
                    ("alert_sbp_above", "alert_dbp_above"),
                    ("alert_sbp_below", "alert_dbp_below"),
                    ("alert_hr_above", "alert_hr_below"),
                    "alert_spo2_below",
                    ("alert_rr_below", "alert_rr_above"),
                    "moaas_alert_at_most",
                ),
            },
        ),
    )
