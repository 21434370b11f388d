import copy

from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import LabelledListEditable, RecordAdmin, SingletonSettingsAdmin
from patients.forms import PatientForm
from patients.models import (
    ConsentDocument,
    ConsentSignature,
    Patient,
    PatientSettings,
    PortalInvitation,
    ScreeningDecision,
    ScreeningRule,
)
from patients.search import search_patients


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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "indications":
            # The staff form's checkboxes, not the model's JSON box: that one takes any JSON, and
            # emptied it is NULL in a NOT NULL column (a server error on save).
            return copy.deepcopy(PatientForm.base_fields["indications"])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # Names as the patient list finds them (accents, capitals, punctuation ignored), besides the
        # fields above (email, external id).
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found |= search_patients(queryset, search_term)
        return found, may_have_duplicates


@admin.register(PortalInvitation)
class PortalInvitationAdmin(RecordAdmin):
    list_display = ("patient", "email", "created_at", "expires_at", "sent_at", "accepted_at", "revoked_at")
    list_filter = ("created_at",)
    readonly_fields = [field.name for field in PortalInvitation._meta.fields]
    list_select_related = ("patient",)


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(LabelledListEditable, SimpleHistoryAdmin):
    list_display = ("label", "kind", "active", "code")
    list_filter = ("kind", "active")
    list_editable = ("active",)
    search_fields = ("label", "code", "reason")
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False  # rules arrive with Clinic; a clinic tunes or switches them off

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "route", "version", "published_at")
    list_filter = ("route",)
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.published_at:
            return ("route", "version", "title", "body", "created_at", "published_at")
        return ("created_at", "published_at")

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.published_at is None

    @admin.action(description="Publish (signatures on older versions stop being current)")
    def publish(self, request, queryset):
        published = queryset.filter(published_at__isnull=True).update(published_at=timezone.now())
        self.message_user(request, f"{published} document(s) published.")


@admin.register(ScreeningDecision)
class ScreeningDecisionAdmin(RecordAdmin):
    list_display = ("patient", "outcome", "signer_name", "signed_at")
    list_filter = ("outcome",)
    list_select_related = ("patient",)
    readonly_fields = [field.name for field in ScreeningDecision._meta.fields]


@admin.register(ConsentSignature)
class ConsentSignatureAdmin(RecordAdmin):
    list_display = ("patient", "document", "typed_name", "signed_at", "on_clinic_tablet")
    list_select_related = ("patient", "document")
    readonly_fields = [field.name for field in ConsentSignature._meta.fields]


@admin.register(PatientSettings)
class PatientSettingsAdmin(SingletonSettingsAdmin):
    fieldsets = (
        ("Intake", {"fields": ("intake_self_verification",)}),
        ("Portal", {"fields": ("invitation_valid_hours",)}),
    )
