"""Sign-in, sign-out, failed sign-in, MFA changes and role or permission changes, into the audit trail.

Connected in ClinicConfig.ready(). The actor of a role change is the user of the request being served
(Django admin); with no request (``migrate`` syncing the roles, a shell) the row names no actor and
says so.
"""

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from clinic.audit.models import AuditAction
from clinic.audit.trail import current_request, record

User = get_user_model()
GRANT_FIELDS = ("is_superuser", "is_staff", "is_active")


@receiver(user_logged_in, dispatch_uid="audit.sign_in")
def _signed_in(sender, request, user, **kwargs):
    record(AuditAction.SIGN_IN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="audit.sign_out")
def _signed_out(sender, request, user, **kwargs):
    record(AuditAction.SIGN_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="audit.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django cleanses credentials (the password is masked); the address tried is not secret.
    tried = str(credentials.get("email") or credentials.get("username") or "")[:200]
    record(AuditAction.SIGN_IN_FAILED, request=request, detail=f"tried {tried}" if tried else "")


def _mfa_changed(what):
    def receive(sender, request=None, user=None, authenticator=None, **kwargs):
        kind = getattr(authenticator, "type", "") or ""
        target = user or getattr(authenticator, "user", None)
        detail = f"{what} {kind}".strip()
        if target is not None:
            detail += f" for {target.email}"
        record(AuditAction.MFA, request=request, detail=detail)

    return receive


for _signal, _what in (
    (mfa_signals.authenticator_added, "added"),
    (mfa_signals.authenticator_removed, "removed"),
    (mfa_signals.authenticator_reset, "reset"),
):
    _signal.connect(_mfa_changed(_what), weak=False, dispatch_uid=f"audit.mfa.{_what}")


@receiver(pre_save, sender=User, dispatch_uid="audit.user_flags_before")
def _remember_grants(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_grants_before = None
        return
    before = sender._default_manager.filter(pk=instance.pk).values(*GRANT_FIELDS).first()
    instance._audit_grants_before = before


@receiver(post_save, sender=User, dispatch_uid="audit.user_flags_after")
def _grants_changed(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_audit_grants_before", None)
    if created:
        granted = [field for field in GRANT_FIELDS[:2] if getattr(instance, field)]
        if granted:
            _record_roles(f"{instance.email} created with {', '.join(granted)}")
        return
    if before is None:
        return
    changes = [
        f"{field} {'on' if getattr(instance, field) else 'off'}"
        for field in GRANT_FIELDS
        if before[field] != getattr(instance, field)
    ]
    if changes:
        _record_roles(f"{instance.email}: {', '.join(changes)}")


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit.user_groups")
@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit.user_permissions")
@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="audit.group_permissions")
def _memberships_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action == "pre_clear":
        field = None if reverse else _field_for(sender)
        if field is None:
            _record_roles(f"all {model._meta.verbose_name_plural} removed from {instance}")
            return
        pk_set = set(getattr(instance, field).values_list("pk", flat=True))
        action = "post_remove"
    if not pk_set:
        return
    verb = "granted" if action == "post_add" else "removed"
    names = sorted(str(each) for each in model._default_manager.filter(pk__in=pk_set))
    if reverse:
        # instance is the group or permission; the set names the users or groups it went to.
        _record_roles(f"{instance} {verb} for {', '.join(names)}")
    else:
        _record_roles(f"{verb} {', '.join(names)} for {getattr(instance, 'email', instance)}")


def _field_for(through):
    if through is User.groups.through:
        return "groups"
    if through is User.user_permissions.through:
        return "user_permissions"
    if through is Group.permissions.through:
        return "permissions"
    return None


def _record_roles(detail):
    request = current_request()
    if request is None:
        detail = f"{detail} (no signed-in user: migrate or a shell)"
    record(AuditAction.ROLES, request=request, detail=detail)
