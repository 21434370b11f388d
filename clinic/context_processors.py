from django.conf import settings
from django.utils import timezone

from clinic import submissions
from clinic.models import ClinicSettings


def clinic(request):
    return {
        "clinic_settings": ClinicSettings.load(),
        "idle_limit_seconds": getattr(request, "idle_limit_seconds", None),
        # The clinic's offset from UTC now: the page's scripts show times in the clinic's zone.
        "utc_offset_minutes": int(timezone.localtime().utcoffset().total_seconds() // 60),
        # Called only when a full page renders it (base.html), so a partial does not use up the list.
        "saved_submissions": lambda: submissions.pop(request),
        "debug_mail_folder": settings.EMAIL_FILE_PATH
        if settings.DEBUG and hasattr(settings, "EMAIL_FILE_PATH")
        else None,
    }
