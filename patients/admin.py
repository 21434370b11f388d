from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import RecordAdmin
from patients.models import Patient, PortalInvitation


class PortalInvitationInline(admin.TabularInline):
    model = PortalInvitation
    extra = 0
    can_delete = False
    fields = ("email", "created_by", "created_at", "expires_at", "sent_at", "accepted_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = (
        "legal_family_name",
        "legal_given_name",
        "preferred_name",
        "date_of_birth",
        "phone",
        "status",
    )
    list_filter = ("status", "sex_at_birth", "created_at")
    search_fields = (
        "legal_family_name",
        "legal_given_name",
        "preferred_name",
        "phone",
        "email",
        "external_id",
    )
    readonly_fields = ("external_id", "user", "created_at", "updated_at")
    inlines = [PortalInvitationInline]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        # Clinical records are kept; a discharged patient is marked, not deleted.
        return False


@admin.register(PortalInvitation)
class PortalInvitationAdmin(RecordAdmin):
    list_display = ("patient", "email", "created_at", "expires_at", "sent_at", "accepted_at", "revoked_at")
    list_filter = ("created_at",)
    readonly_fields = [field.name for field in PortalInvitation._meta.fields]
    list_select_related = ("patient",)
