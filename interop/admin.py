from django.contrib import admin

from interop.models import RecordExport


@admin.register(RecordExport)
class RecordExportAdmin(admin.ModelAdmin):
    """Read only: a copy of the record is asked for, made and delivered through the portal and the
    patient's page, where each step is recorded in the audit trail."""

    list_display = ("external_id", "requested_at", "status", "for_portal", "downloaded_at", "delivered_at")
    list_filter = ("status", "for_portal", "delivery_method")
    exclude = ("file",)
    readonly_fields = [f.name for f in RecordExport._meta.fields if f.name not in ("id", "file")]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
