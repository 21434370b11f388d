from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from clinic import roles
from clinic.models import ClinicSettings, User


class RecordAdmin(admin.ModelAdmin):
    """Records that are written by the application and only looked at here: no add, edit or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LabelledListEditable:
    """Django admin renders a list_editable field without a label (a row of unnamed checkboxes to a
    screen reader): name each after its column and its row, "Active: Pregnancy"."""

    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class LabelledForm(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    field.widget.attrs["aria-label"] = f"{field.label}: {self.instance}"

        return LabelledForm


class ClinicUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class ClinicUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = ClinicUserChangeForm
    add_form = ClinicUserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role_list", "is_active", "last_login")
    list_filter = ("groups", "is_active", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("last_login", "date_joined", "is_staff")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "credential")}),
        (
            "Roles",
            {
                "fields": ("is_active", "groups", "is_staff", "is_superuser"),
                "description": "Roles decide what a staff member may do. The Administrator role "
                "also opens this administration site. Patients get no role: they join by "
                "portal invitation.",
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "credential", "groups")},
        ),
        (None, {"classes": ("wide",), "fields": ("password1", "password2")}),
    )
    # Five roles are a list of checkboxes; the two-box filter widget has an unlabelled search icon.
    filter_horizontal = ()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_list(self, obj):
        return ", ".join(group.name for group in obj.groups.all()) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        # The Administrator role is what opens Django admin; nothing else sets is_staff.
        is_staff = user.is_superuser or user.groups.filter(name=roles.ADMINISTRATOR).exists()
        if user.is_staff != is_staff:
            User.objects.filter(pk=user.pk).update(is_staff=is_staff)


class SingletonSettingsAdmin(SimpleHistoryAdmin):
    """The admin of a one-row settings model (clinic.models.SingletonSettings): no second row, no
    delete. Each layer registers its own (Patients › Patient settings, Treatment sessions › Charting
    settings, …)."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # A list of one row is a detour (and on a new install an empty list with an Add button): open
        # the settings themselves, with their defaults until an administrator saves them.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", self.model.load().pk)


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(SingletonSettingsAdmin):
    fieldsets = (
        ("Clinic", {"fields": ("name", "phone", "email", "address")}),
        (
            "Shown to patients",
            {
                "description": "In the portal and in questionnaire e-mails.",
                "fields": ("crisis_line", "emergency_number"),
            },
        ),
        ("Sign-in", {"fields": ("staff_idle_minutes", "patient_idle_minutes")}),
    )
