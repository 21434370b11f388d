import json

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from assessments import scoring
from assessments.models import (
    AssessmentResponse,
    AssessmentSettings,
    Instrument,
    InstrumentVersion,
    RiskAlert,
)
from assessments.services import create_local_version
from clinic.admin import RecordAdmin, SingletonSettingsAdmin


class NewVersionForm(forms.ModelForm):
    """Editing an instrument = saving its definition as a new version; stored versions never change."""

    definition_text = forms.CharField(
        label="Definition (JSON)",
        # A class for the fixed-width font (static/css/admin.css): the CSP refuses style attributes.
        widget=forms.Textarea(attrs={"rows": 30, "cols": 110, "class": "json-definition"}),
        help_text="Saving creates a new version. Responses already given keep the version and score "
        "they were given with.",
    )

    class Meta:
        model = Instrument
        fields = ("name", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.current_version if self.instance.pk else None
        if current:
            self.fields["definition_text"].initial = json.dumps(
                current.definition, indent=2, ensure_ascii=False
            )

    def clean_definition_text(self):
        try:
            definition = json.loads(self.cleaned_data["definition_text"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}") from None
        try:
            scoring.validate_definition(definition)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if self.instance.pk and definition.get("code") != self.instance.code:
            raise forms.ValidationError(f'"code" must stay {self.instance.code!r}.')
        return definition


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    form = NewVersionForm
    list_display = ("code", "name", "is_active", "current")
    readonly_fields = ("code", "version_history")
    fields = ("code", "name", "is_active", "definition_text", "version_history")

    @admin.display(description="versions")
    def version_history(self, obj):
        rows = format_html_join(
            "",
            '<li><a href="{}">v{}</a> · {} · {}{}</li>',
            (
                (
                    reverse("admin:assessments_instrumentversion_change", args=[version.pk]),
                    version.version,
                    version.get_source_display(),
                    date_format(localtime(version.created_at), "DATETIME_FORMAT"),
                    f" · {version.created_by}" if version.created_by else "",
                )
                for version in obj.versions.select_related("created_by").order_by("-created_at", "-pk")
            ),
        )
        return format_html("<ul>{}</ul>", rows)

    @admin.display(description="current version")
    def current(self, obj):
        return obj.current_version.version if obj.current_version else "—"

    def has_add_permission(self, request):
        return False  # instruments arrive as shipped files; a clinic edits them into new versions

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        definition = form.cleaned_data["definition_text"]
        current = obj.current_version
        if current is None or definition != current.definition:
            version = create_local_version(obj, definition, request.user)
            messages.info(
                request, f"Saved as version {version.version}; earlier responses keep their scores."
            )

    def response_change(self, request, obj):
        return redirect("admin:assessments_instrument_change", obj.pk)


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(RecordAdmin):
    list_display = ("instrument", "version", "source", "created_at", "created_by")
    list_filter = ("instrument", "source")
    readonly_fields = ("instrument", "version", "source", "created_at", "created_by", "definition")


@admin.register(AssessmentResponse)
class AssessmentResponseAdmin(RecordAdmin):
    list_display = ("patient", "version", "total", "band", "mode", "completed_at")
    list_filter = ("version__instrument", "mode")
    list_select_related = ("patient", "version__instrument")
    readonly_fields = [field.name for field in AssessmentResponse._meta.fields]


@admin.register(RiskAlert)
class RiskAlertAdmin(RecordAdmin):
    list_display = ("patient", "rule", "created_at", "acknowledged_at", "acknowledged_by")
    list_filter = ("rule", "is_risk")
    list_select_related = ("patient", "acknowledged_by")
    readonly_fields = [field.name for field in RiskAlert._meta.fields]


# Integration notes: templates are the administrator's to edit; notes and addenda are clinical
# records written in the application, shown here read-only to those allowed to view them.


@admin.register(AssessmentSettings)
class AssessmentSettingsAdmin(SingletonSettingsAdmin):
    fieldsets = (("Outcomes", {"fields": ("outcome_min_followups",)}),)
