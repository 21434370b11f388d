import logging
import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.template.defaultfilters import pluralize
from django.urls import reverse

from clinic.access import sign_in_again
from clinic.models import ClinicSettings

LAST_SEEN = "clinic:last_seen"
# The last request's time is written at most this often: otherwise every request writes its session
# row back (an UPDATE per page). A user may so be signed out up to this much before the limit.
LAST_SEEN_RESOLUTION = 30

log = logging.getLogger(__name__)

NUL_REFUSED = (
    "The form contained a character Clinic cannot store (NUL), usually from text pasted from another "
    "program, so nothing was saved."
)
NUL_WHAT_NOW = "Go back, type the pasted text again instead of pasting it, and send the form again."
# An htmx form is still on the page: the script shows this in it (static/js/unsaved.js).
NUL_WHAT_NOW_IN_PLACE = "Type the pasted text again instead of pasting it, and send it again."


class RejectNulMiddleware:
    """Refuse a request whose address, query or form fields hold a NUL byte, before any view reads it.

    PostgreSQL text cannot hold NUL (the driver raises in the middle of whatever step was saving), and
    nobody types one: it comes pasted from another program or from a probe. One clear 400 here, ahead
    of sessions, views and the audit trail, instead of a check in every form. Uploaded files are left
    alone (a PDF holds NUL bytes); an htmx request gets the reason as plain text, which
    static/js/unsaved.js shows in the form it came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if carries_nul(request):
            log.warning("Refused a request with a NUL byte: %s %s", request.method, request.path)
            if request.headers.get("HX-Request"):
                return HttpResponse(
                    f"{NUL_REFUSED} {NUL_WHAT_NOW_IN_PLACE}",
                    status=400,
                    content_type="text/plain; charset=utf-8",
                )
            page = loader.get_template("400.html").render({"message": NUL_REFUSED, "what_now": NUL_WHAT_NOW})
            return HttpResponse(page, status=400)
        return self.get_response(request)


def carries_nul(request):
    def any_nul(query):
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())

    if "\x00" in request.path_info or any_nul(request.GET):
        return True
    return request.method == "POST" and any_nul(request.POST)


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
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
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
