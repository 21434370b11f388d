from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from clinic import roles
from clinic.audit import admin as audit_admin  # noqa: F401  (registers the read-only audit trail)
from clinic.email_addresses import vouch_for_email
from clinic.models import ClinicSettings, User

# What makes a login more powerful. Only a superuser grants or removes any of these, to anyone,
# themself included: the Administrator role holds change_user to manage accounts, and without this
# rule it could make itself superuser and read every note and chart the roles deny it.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


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
                "also opens this administration site. Only a superuser grants or removes roles, "
                "staff or superuser status. Patients get no role: they join by portal invitation.",
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

    # Privileges: read-only to anyone but a superuser. A read-only field is left out of the form, so
    # a crafted POST cannot set it; save_model and save_related hold the stored values besides.

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, *(field for field in PRIVILEGE_FIELDS if field not in fields))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is not None:
            return fieldsets
        # A new account starts with no role; a superuser gives it one.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in PRIVILEGE_FIELDS]})
            for name, options in fieldsets
        ]

    def has_change_permission(self, request, obj=None):
        # A superuser's e-mail or password in other hands is the superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            if change:
                stored = User.objects.get(pk=obj.pk)
                obj.is_superuser, obj.is_staff = stored.is_superuser, stored.is_staff
            else:
                obj.is_superuser = obj.is_staff = False
        super().save_model(request, obj, form, change)
        # The administrator vouches for the address: allauth lets a user enrol MFA only when their
        # addresses are verified (clinic/email_addresses.py).
        vouch_for_email(obj)

    @admin.display(description="roles")
    def role_list(self, obj):
        return ", ".join(group.name for group in obj.groups.all()) or "—"

    def save_related(self, request, form, formsets, change):
        user = form.instance
        if not request.user.is_superuser:
            groups = set(user.groups.values_list("pk", flat=True)) if change else set()
            permissions = set(user.user_permissions.values_list("pk", flat=True)) if change else set()
            super().save_related(request, form, formsets, change)
            if set(user.groups.values_list("pk", flat=True)) != groups:
                user.groups.set(groups)
            if set(user.user_permissions.values_list("pk", flat=True)) != permissions:
                user.user_permissions.set(permissions)
            return
        super().save_related(request, form, formsets, change)
        # The Administrator role is what opens Django admin; nothing else sets is_staff.
        is_staff = user.is_superuser or user.groups.filter(name=roles.ADMINISTRATOR).exists()
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])  # through save(): the audit trail records it


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(DjangoGroupAdmin):
    """Roles are groups whose permissions clinic/role_sync.py sets from clinic/roles.py after every
    migrate: an edit here would be undone and a renamed role recreated. Only a superuser may add,
    change or delete a group at all (permissions are privileges, PRIVILEGE_FIELDS above)."""

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.name in roles.ALL_ROLES:
            return ("name", "permissions")
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name in roles.ALL_ROLES:
            return False
        return request.user.is_superuser


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
        ("Audit trail", {"fields": ("audit_retention_years",)}),
    )
