import base64

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from clinic import submissions
from clinic.models import ClinicSettings


def unsaved_work_key(user):
    """The key that encrypts a copy of what this user typed and has not saved, kept in the browser tab
    across a sign-out (static/js/unsaved.js): the same for the user in every session, given only to
    pages the user is signed in to, so the copy is unreadable on the sign-in page or to anyone else."""
    digest = salted_hmac("clinic.unsaved-work", str(user.pk), algorithm="sha256").digest()
    return base64.b64encode(digest).decode()


def clinic(request):
    user = getattr(request, "user", None)
    return {
        "unsaved_key": unsaved_work_key(user) if user is not None and user.is_authenticated else "",
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
