import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.urls import reverse

from clinic.access import sign_in_again
from clinic.models import ClinicSettings

LAST_SEEN = "clinic:last_seen"


def idle_limit_seconds(user):
    current = ClinicSettings.load()
    minutes = current.patient_idle_minutes if user.is_portal_patient else current.staff_idle_minutes
    return minutes * 60


class IdleTimeoutMiddleware:
    """Sign out a user whose last request is older than their idle limit (staff 15, patients 30
    minutes by default: HIPAA's automatic logoff)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            limit = idle_limit_seconds(user)
            now = time.time()
            last_seen = request.session.get(LAST_SEEN)
            if last_seen is not None and now - last_seen > limit:
                logout(request)
                if request.path == reverse("keepalive"):
                    return HttpResponse(status=401)
                minutes = limit // 60
                saved = " Nothing you sent was saved." if request.method == "POST" else ""
                messages.info(
                    request,
                    f"You were signed out after {minutes} minute{pluralize(minutes)} without activity.{saved}",
                )
                return sign_in_again(request)
            request.session[LAST_SEEN] = now
            request.idle_limit_seconds = limit
        return self.get_response(request)


class StaffMFAMiddleware:
    """With REQUIRE_STAFF_MFA on, staff enrol an authenticator before anything else."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/session/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.REQUIRE_STAFF_MFA
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not user.is_portal_patient
            and not _has_totp(user)
        ):
            messages.warning(
                request,
                "Set up an authenticator app before using Clinic: staff accounts need two-factor sign-in.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_totp(user):
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
