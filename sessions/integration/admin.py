"""Admin for integration notes (read-only records), note templates and follow-up rules."""

from django.contrib import admin

from clinic.admin import LabelledListEditable, RecordAdmin
from sessions.models import FollowUpRule, IntegrationNote, NoteAddendum, NoteTemplate, QuestionnaireNotice


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(LabelledListEditable, admin.ModelAdmin):
    list_display = (
        "name",
        "appointment_kind",
        "instrument",
        "trigger",
        "hours_after",
        "every_days",
        "indication",
        "is_active",
    )
    list_filter = ("appointment_kind", "trigger", "instrument", "is_active")
    list_editable = ("is_active",)
    fields = (
        "name",
        "appointment_kind",
        "instrument",
        "trigger",
        "hours_after",
        "every_days",
        "indication",
        "is_active",
    )


@admin.register(QuestionnaireNotice)
class QuestionnaireNoticeAdmin(RecordAdmin):
    """Each questionnaire e-mail and whether it went out; failures show their last error."""

    list_display = (
        "assignment",
        "number",
        "due_at",
        "status",
        "attempts",
        "sent_at",
        "maybe_sent_at",
        "last_error",
    )
    list_filter = ("status",)
    list_select_related = ("assignment__version__instrument",)
    readonly_fields = [field.name for field in QuestionnaireNotice._meta.fields]


@admin.register(NoteTemplate)
class NoteTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "description")
    fieldsets = (
        (None, {"fields": ("name", "description", "is_active")}),
        (
            "Prompts shown under each section of a note",
            {"fields": ("experience", "themes", "insights", "emotional_state", "goals", "practices", "plan")},
        ),
        ("Prompt for the summary the patient reads", {"fields": ("summary",)}),
    )


class NoteAddendumInline(admin.TabularInline):
    model = NoteAddendum
    fields = ("created_at", "author", "reason", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IntegrationNote)
class IntegrationNoteAdmin(RecordAdmin):
    list_display = ("patient", "author", "status", "created_at", "signed_at", "summary_shared_at")
    list_filter = ("status",)
    list_select_related = ("patient", "author")
    readonly_fields = [field.name for field in IntegrationNote._meta.fields]
    inlines = [NoteAddendumInline]


@admin.register(NoteAddendum)
class NoteAddendumAdmin(RecordAdmin):
    list_display = ("note", "author", "reason", "created_at")
    list_select_related = ("note", "author")
    readonly_fields = [field.name for field in NoteAddendum._meta.fields]
