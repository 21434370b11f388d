"""Who may see what. Every patient-scoped view asks here; nothing filters by owner ad hoc."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.access import public_view, sign_in_again
from patients.models import Patient

__all__ = ["get_patient_for", "patient_view", "public_view", "staff_view"]


def get_patient_for(user, external_id, perm):
    """The patient with this external id if `user` may use it for `perm`.

    A patient login reaches only its own record, and another patient's id is a 404 whatever the
    view, so one patient cannot learn that another exists. Staff need the permission (403 without).
    """
    patient = Patient.objects.filter(external_id=external_id).first()
    if patient is None:
        raise Http404("No such patient.")
    own = Patient.of_user(user)
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
                request.audit_patient = kwargs["patient"]  # the audit trail names whose record this was
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
        patient = Patient.of_user(user)
        if patient is None:
            raise PermissionDenied
        request.audit_patient = patient
        return view(request, *args, patient=patient, **kwargs)

    wrapper.audience = "patient"
    return wrapper
