"""The audit trail in Django admin: read-only, for administrators who prefer admin's list to the
report page (patients:audit), which also names the patients and exports CSV."""

from django.contrib import admin

from clinic.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "actor_email",
        "action",
        "patient_external_id",
        "method",
        "path",
        "status",
        "client_address",
    )
    list_filter = ("action", "actor_is_patient")
    date_hierarchy = "at"
    search_fields = ("=patient_external_id", "=object_id")  # ids only: search terms land in access logs
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
