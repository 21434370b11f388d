from django.conf import settings

from clinic.models import ClinicSettings


def clinic(request):
    return {
        "clinic_settings": ClinicSettings.load(),
        "idle_limit_seconds": getattr(request, "idle_limit_seconds", None),
        "debug_mail_folder": settings.EMAIL_FILE_PATH
        if settings.DEBUG and hasattr(settings, "EMAIL_FILE_PATH")
        else None,
    }
