from django.conf import settings

from clinic.models import ClinicSettings


def clinic(request):
    user = getattr(request, "user", None)
    open_alert_count = 0
    if user is not None and user.is_authenticated and user.has_perm("assessments.view_riskalert"):
        from assessments.models import RiskAlert

        open_alert_count = RiskAlert.objects.filter(acknowledged_at__isnull=True).count()
    return {
        "open_alert_count": open_alert_count,
        "clinic_settings": ClinicSettings.load(),
        "idle_limit_seconds": getattr(request, "idle_limit_seconds", None),
        "debug_mail_folder": settings.EMAIL_FILE_PATH
        if settings.DEBUG and hasattr(settings, "EMAIL_FILE_PATH")
        else None,
    }
