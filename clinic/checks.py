from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def staff_mfa_required(app_configs, **kwargs):
    if settings.REQUIRE_STAFF_MFA:
        return []
    return [
        Warning(
            "REQUIRE_STAFF_MFA is off: staff can use Clinic without two-factor sign-in.",
            hint="Set REQUIRE_STAFF_MFA=true (HIPAA person authentication).",
            id="clinic.W001",
        )
    ]


@register(deploy=True)
def mail_is_delivered(app_configs, **kwargs):
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        return []
    return [
        Warning(
            "EMAIL_URL is not an SMTP server: invitations and reminders will not reach anyone.",
            hint="Set EMAIL_URL=smtp://user:password@host:587.",
            id="clinic.W002",
        )
    ]
