"""Who may see what. Every patient-scoped view asks here; nothing filters by owner ad hoc."""

from functools import wraps
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from patients.models import Patient


def sign_in_again(request):
    """The answer to a request that needs a signed-in user and has none (never signed in, or signed out
    after being idle). An htmx request gets 401, so the page can say that nothing was saved and keep
    what was typed (static/js/unsaved.js); it must not get the sign-in page swapped into a table. A
    POST sends the browser to sign in and then back to the page the form was on, not to the POST-only
    address."""
    if request.headers.get("HX-Request"):
        return HttpResponse(
            "Signed out: nothing was saved. Sign in again.", status=401, content_type="text/plain"
        )
    next_url = request.get_full_path()
    if request.method != "GET":
        referer = request.headers.get("Referer", "")
        allowed = url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
        next_url = urlsplit(referer).path if referer and allowed else "/"
    return redirect_to_login(next_url)


def get_patient_for(user, external_id, perm):
    """The patient with this external id if `user` may use it for `perm`.

    A patient login reaches only its own record, and another patient's id is a 404 whatever the
    view, so one patient cannot learn that another exists. Staff need the permission (403 without).
    """
    patient = Patient.objects.filter(external_id=external_id).first()
    if patient is None:
        raise Http404("No such patient.")
    own = user.patient_record
    if own is not None:
        if own.pk != patient.pk:
            raise Http404("No such patient.")
        raise PermissionDenied
    if not user.has_perm(perm):
        raise PermissionDenied
    return patient


def staff_view(perm):
    """A view for clinic staff holding `perm`: anonymous users go to login, others get 403.

    The permission is kept on the view (`required_permission`) so tests can walk the URLconf and
    check every role against it.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return sign_in_again(request)
            if "patient_id" in kwargs:
                kwargs["patient"] = get_patient_for(user, kwargs.pop("patient_id"), perm)
            elif not user.is_clinic_staff or not user.has_perm(perm):
                raise PermissionDenied
            if not user.is_clinic_staff:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm
        wrapper.audience = "staff"
        return wrapper

    return decorate


def patient_view(view):
    """A portal view: the signed-in patient's own record is passed as `patient`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return sign_in_again(request)
        patient = user.patient_record
        if patient is None:
            raise PermissionDenied
        return view(request, *args, patient=patient, **kwargs)

    wrapper.audience = "patient"
    return wrapper


def public_view(view):
    """Marks a view that needs no login (tests check that every other view does)."""
    view.audience = "public"
    return view
