from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_POST

from clinic.access import public_view


@public_view
def home(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login("/")
    if user.is_portal_patient:
        return redirect("portal:home")
    if user.is_clinic_staff:
        return redirect(
            "sessions:today" if user.has_perm("treatment_sessions.view_appointment") else "patients:list"
        )
    raise PermissionDenied("Your account has no role yet. Ask an administrator to assign one.")


@public_view
def email_managed_by_clinic(request):
    """allauth's page for adding and verifying e-mail addresses is closed: a sign-in address is the one
    an administrator vouched for (clinic/email_addresses.py), and an unverified second address would
    block the user's own two-factor enrolment."""
    if request.user.is_authenticated:
        messages.info(
            request, "Your sign-in address is managed by the clinic: ask an administrator to change it."
        )
    return redirect("home")


@public_view
@require_POST
def keepalive(request):
    """Called by the page while someone is typing or clicking, so active work is not idle."""
    return HttpResponse(status=204 if request.user.is_authenticated else 401)


@requires_csrf_token
def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # No context processors: whatever broke may be what they would call.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
