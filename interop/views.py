"""The right of access: a patient asks for a copy of their record in the portal; staff make one for a
request received by mail or fax and record how it was delivered. The copy is made in the background
(interop.tasks); these pages ask for it, show its progress and hand out the checked file."""

import logging

from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from clinic import roles
from clinic.audit.models import AuditAction
from clinic.audit.trail import record
from clinic.downloads import document_filename
from clinic.queue import send_task_on_commit
from clinic.stored_files import read_checked
from interop.forms import DeliveryForm, StaffExportForm
from interop.models import RecordExport
from interop.tasks import build_record_export, keep_days, requeue
from patients.access import patient_view, staff_view

log = logging.getLogger(__name__)

#: Staff who may make and deliver a copy of a patient's record (README, "Roles").
EXPORT_RECORD = roles.EXPORT_RECORD


def _ask_for(patient, user, *, for_portal, request_note=""):
    """A new export, or the one already under way (a double click asks once)."""
    under_way = patient.record_exports.filter(
        for_portal=for_portal, status__in=[RecordExport.Status.QUEUED, RecordExport.Status.WORKING]
    ).first()
    if under_way is not None:
        return under_way
    export = RecordExport.objects.create(
        patient=patient, requested_by=user, for_portal=for_portal, request_note=request_note
    )
    send_task_on_commit(build_record_export, export.pk)
    return export


def _unavailable(request, export, *, reason, status, layout, again_url):
    return render(
        request,
        "interop/unavailable.html",
        {"export": export, "reason": reason, "layout": layout, "again_url": again_url},
        status=status,
    )


def _download(request, export, *, layout, again_url):
    """POST: a download changes the row (first download, count) and is a disclosure, so it is a form
    sent, not a link (a GET would also be followed by crawlers and link previews)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if export.status == RecordExport.Status.EXPIRED or (
        export.expires_at is not None and export.expires_at <= timezone.now()
    ):
        return _unavailable(request, export, reason="expired", status=410, layout=layout, again_url=again_url)
    if export.status != RecordExport.Status.READY or not export.file:
        return _unavailable(
            request, export, reason="not_ready", status=409, layout=layout, again_url=again_url
        )
    content, state = read_checked(export.file, export.file_sha256)
    if state.bad:
        # Never hand out a file that is not the one made, nor fail with a 500: say so and offer a new one.
        log.warning("record export %s: file %s", export.external_id, state.value)
        RecordExport.objects.filter(pk=export.pk).update(
            status=RecordExport.Status.FAILED, error=f"The stored file is {state.value}."
        )
        return _unavailable(
            request, export, reason=state.name.lower(), status=410, layout=layout, again_url=again_url
        )
    now = timezone.now()
    RecordExport.objects.filter(pk=export.pk, downloaded_at__isnull=True).update(downloaded_at=now)
    RecordExport.objects.filter(pk=export.pk).update(download_count=F("download_count") + 1)
    record(
        AuditAction.EXPORT,
        request=request,
        patient_external_id=export.patient.external_id,
        object_type="record export",
        object_id=export.external_id,
        detail=f"copy of the record downloaded (ZIP, {len(content)} bytes, SHA-256 {export.file_sha256[:16]}…)",
    )
    day = timezone.localdate(export.finished_at or now)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="{document_filename("health-record", day, export.external_id, "zip")}"'
    )
    return response


# Portal -----------------------------------------------------------------------------------------


@patient_view
def portal_record(request, patient):
    if request.method == "POST":
        _ask_for(patient, request.user, for_portal=True)
        return redirect("interop:portal_record")
    exports = list(patient.record_exports.filter(for_portal=True)[:5])
    if exports:
        requeue(exports[0])
    return render(
        request,
        "interop/portal_record.html",
        {
            "patient": patient,
            "exports": exports,
            "latest": exports[0] if exports else None,
            "keep_days": keep_days(),
        },
    )


def _portal_export(patient, export_id):
    return get_object_or_404(patient.record_exports, external_id=export_id, for_portal=True)


@patient_view
def portal_record_status(request, patient, export_id):
    export = _portal_export(patient, export_id)
    if not request.headers.get("HX-Request"):
        return redirect("interop:portal_record")
    requeue(export)
    return render(request, "interop/_status.html", _status_context(export, portal=True))


@patient_view
def portal_record_download(request, patient, export_id):
    export = _portal_export(patient, export_id)
    return _download(request, export, layout="layouts/portal.html", again_url="interop:portal_record")


# Staff ------------------------------------------------------------------------------------------


def _status_context(export, *, portal):
    return {"export": export, "portal": portal, "keep_days": keep_days()}


def _staff_export(patient, export_id):
    return get_object_or_404(
        patient.record_exports.select_related("requested_by", "delivery_recorded_by"), external_id=export_id
    )


@staff_view(EXPORT_RECORD)
def patient_record_exports(request, patient):
    form = StaffExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        _ask_for(patient, request.user, for_portal=False, request_note=form.cleaned_data["request_note"])
        return redirect("interop:patient_record_exports", patient_id=patient.external_id)
    exports = list(patient.record_exports.select_related("requested_by", "delivery_recorded_by")[:20])
    for export in exports:
        requeue(export)
    return render(
        request,
        "interop/staff_exports.html",
        {"patient": patient, "form": form, "exports": exports, "keep_days": keep_days()},
        status=400 if form.errors else 200,
    )


@staff_view(EXPORT_RECORD)
def record_export_status(request, patient, export_id):
    export = _staff_export(patient, export_id)
    if not request.headers.get("HX-Request"):
        return redirect("interop:patient_record_exports", patient_id=patient.external_id)
    requeue(export)
    return render(
        request, "interop/_status.html", _status_context(export, portal=False) | {"patient": patient}
    )


@staff_view(EXPORT_RECORD)
def record_export_download(request, patient, export_id):
    export = _staff_export(patient, export_id)
    return _download(request, export, layout="layouts/staff.html", again_url=None)


@staff_view(EXPORT_RECORD)
def record_export_delivery(request, patient, export_id):
    export = _staff_export(patient, export_id)
    if export.status not in (RecordExport.Status.READY, RecordExport.Status.EXPIRED):
        return render(
            request,
            "interop/delivery.html",
            {"patient": patient, "export": export, "form": None},
            status=409,
        )
    form = DeliveryForm(request.POST if request.method == "POST" else None, instance=export)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            delivered = form.save(commit=False)
            delivered.delivery_recorded_by = request.user
            delivered.save(
                update_fields=[
                    "delivery_method",
                    "delivered_to",
                    "delivered_at",
                    "delivery_note",
                    "delivery_recorded_by",
                ]
            )
            # The disclosure itself (who received the copy, how, when) is an event of the record.
            record(
                AuditAction.EXPORT,
                request=request,
                patient_external_id=patient.external_id,
                object_type="record export",
                object_id=export.external_id,
                detail=(
                    f"copy of the record delivered by {delivered.get_delivery_method_display()} to "
                    f"{delivered.delivered_to} on {timezone.localtime(delivered.delivered_at):%Y-%m-%d %H:%M}"
                ),
            )
        return redirect("interop:patient_record_exports", patient_id=patient.external_id)
    return render(
        request,
        "interop/delivery.html",
        {"patient": patient, "export": export, "form": form},
        status=400 if form.errors else 200,
    )
