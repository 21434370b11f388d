"""Recording audit events, and the middleware that accounts for every patient-scoped request.

A request is patient-scoped when its URL names an object by UUID (``<uuid:patient_id>``,
``<uuid:session_id>``, …) or its view is a portal view (``audience == "patient"``: the signed-in
patient's own record). The access decorators (patients/access.py) tell the request which patient it
reached (``request.audit_patient``); the URL tells which object.

Writing the row never fails a clinical action silently:
- a change (POST and other unsafe methods) runs in one transaction with its audit row, so a row that
  cannot be written undoes the change, and the user is told nothing was saved;
- a read whose row cannot be written is not shown: the user gets a 503 saying so.
"""

import contextvars
import logging
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string

from clinic.audit.models import AuditAction, AuditEvent
from clinic.client import client_address, user_agent

logger = logging.getLogger(__name__)

_current_request = contextvars.ContextVar("audit_request", default=None)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
EXPORT_TYPES = (
    "text/csv",
    "application/zip",
    "application/json",
    "application/fhir+json",
    "application/x-ndjson",
)


def current_request():
    """The request being served in this thread, if any (signal receivers use it to name the actor)."""
    return _current_request.get()


def record(
    action,
    *,
    request=None,
    user=None,
    patient_external_id=None,
    object_type="",
    object_id="",
    detail="",
    status=None,
):
    """Append one audit event. ``request`` (default: the current one) gives the actor, the client's
    address and user agent, the method and the path; ``user`` names the actor when there is no
    signed-in user on the request (a failed or a fresh sign-in). Raises on a database error: the
    caller decides whether the action may go on without its row (it may not)."""
    request = request if request is not None else current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    fields = {
        "action": action,
        "patient_external_id": patient_external_id,
        "object_type": object_type[:60],
        "object_id": str(object_id)[:64],
        "detail": detail[:300],
        "status": status,
    }
    if user is not None and getattr(user, "is_authenticated", False):
        fields |= {
            "actor_id": user.pk,
            "actor_email": user.email,
            "actor_is_patient": bool(getattr(user, "is_portal_patient", False)),
        }
    if request is not None:
        fields |= {
            "method": request.method or "",
            "path": request.path[:300],
            "client_address": client_address(request),
            "user_agent": user_agent(request),
        }
    return AuditEvent.objects.create(**fields)


def _uuid_kwargs(kwargs):
    return {key: value for key, value in kwargs.items() if isinstance(value, UUID)}


def _object_of(uuid_kwargs):
    """The most specific object the URL names: the last uuid kwarg other than the patient's."""
    others = [(key, value) for key, value in uuid_kwargs.items() if key != "patient_id"]
    if not others:
        return "", ""
    key, value = others[-1]
    return key.removesuffix("_id"), str(value)


def _read_action(response):
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if content_type == "application/pdf":
        return AuditAction.PRINT
    if content_type in EXPORT_TYPES or response.get("Content-Disposition", "").startswith("attachment"):
        return AuditAction.EXPORT
    return AuditAction.VIEW


def _patient_of(request, uuid_kwargs):
    patient = getattr(request, "audit_patient", None)
    if patient is not None:
        return patient.external_id
    return uuid_kwargs.get("patient_id")


class AuditMiddleware:
    """Accounts for every patient-scoped request (read, print, export, change or denial), and for
    Django admin's change pages. Place it last: its process_view runs the view of a change itself,
    inside the transaction that also writes the row."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
            pending = getattr(request, "_audit_pending", None)
            if pending is not None and not pending.get("written"):
                response = self._record_after_response(request, response, pending)
            return response
        finally:
            _current_request.reset(token)

    def process_view(self, request, view, args, kwargs):
        pending = self._scope(request, view, kwargs)
        if pending is None:
            return None
        request._audit_pending = pending
        if request.method in SAFE_METHODS:
            return None
        return self._run_change(request, view, args, kwargs, pending)

    def _scope(self, request, view, kwargs):
        uuid_kwargs = _uuid_kwargs(kwargs)
        admin_object = self._admin_object(request, view, kwargs)
        if admin_object is not None:
            return admin_object
        if uuid_kwargs or getattr(view, "audience", None) == "patient":
            object_type, object_id = _object_of(uuid_kwargs)
            return {"uuid_kwargs": uuid_kwargs, "object_type": object_type, "object_id": object_id}
        return None

    def _admin_object(self, request, view, kwargs):
        """Django admin's change and delete pages name an object by primary key: find its patient."""
        match = getattr(request, "resolver_match", None)
        if match is None or match.app_name != "admin" or "object_id" not in kwargs:
            return None
        model_admin = getattr(view, "model_admin", None)
        model = getattr(model_admin, "model", None)
        if model is None:
            return None
        patient_external_id = None
        try:
            instance = model._default_manager.filter(pk=kwargs["object_id"]).first()
        except (ValueError, TypeError, DatabaseError):
            instance = None
        if instance is not None:
            patient_model = apps.get_model(settings.AUDIT_PATIENT_MODEL)
            patient = instance if isinstance(instance, patient_model) else getattr(instance, "patient", None)
            if isinstance(patient, patient_model):
                patient_external_id = patient.external_id
        return {
            "uuid_kwargs": {},
            "patient_external_id": patient_external_id,
            "object_type": model._meta.label_lower[:60],
            "object_id": str(kwargs["object_id"]),
        }

    def _patient(self, request, pending):
        if pending.get("patient_external_id"):
            return pending["patient_external_id"]
        return _patient_of(request, pending["uuid_kwargs"])

    def _write(self, request, action, pending, status):
        record(
            action,
            request=request,
            patient_external_id=self._patient(request, pending),
            object_type=pending["object_type"],
            object_id=pending["object_id"],
            status=status,
        )
        pending["written"] = True

    def _record_after_response(self, request, response, pending):
        if request.method not in SAFE_METHODS:
            # The view of a change raised (its transaction is undone): the status says so.
            try:
                self._write(request, AuditAction.CHANGE, pending, response.status_code)
            except DatabaseError:
                logger.exception("Could not write the audit row for %s %s", request.method, request.path)
            return response
        action = AuditAction.DENIED if response.status_code in (401, 403, 404) else _read_action(response)
        try:
            self._write(request, action, pending, response.status_code)
        except DatabaseError:
            logger.exception("Could not write the audit row for %s %s", request.method, request.path)
            return _not_recorded(request, changing=False)
        return response

    def _run_change(self, request, view, args, kwargs, pending):
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                status = response.status_code
                action = AuditAction.DENIED if status in (401, 403, 404) else AuditAction.CHANGE
                try:
                    self._write(request, action, pending, status)
                except DatabaseError as error:
                    raise _NotRecorded from error
        except _NotRecorded:
            pending["written"] = True
            logger.exception(
                "Could not write the audit row for %s %s; the change is undone", request.method, request.path
            )
            return _not_recorded(request, changing=True)
        except (PermissionDenied, Http404):
            self._write_denial(request, pending)
            raise
        return response

    def _write_denial(self, request, pending):
        try:
            self._write(request, AuditAction.DENIED, pending, None)
        except DatabaseError:
            logger.exception(
                "Could not write the audit row for a refused %s %s", request.method, request.path
            )


class _NotRecorded(Exception):
    pass


def _not_recorded(request, *, changing):
    if changing:
        message = (
            "Nothing was saved: Clinic could not record this change in the audit trail, so it was undone. "
            "What you typed is still on the page; send it again in a moment. If it keeps happening, tell your administrator."
        )
    else:
        message = (
            "Clinic could not record this access in the audit trail, so the page is not shown. "
            "Nothing was changed. Try again in a moment; if it keeps happening, tell your administrator."
        )
    if request.headers.get("HX-Request"):
        return HttpResponse(message, status=503, content_type="text/plain")
    return HttpResponse(
        render_to_string("audit_unavailable.html", {"message": message}, request=request), status=503
    )
