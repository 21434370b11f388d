"""The audit report (ONC §170.315(d)(3)): administrators filter the trail by user, patient, action and
date range, page through it and export it as CSV; a patient's page shows who opened the record.

The trail lives in the lowest layer (clinic.audit) and names patients by external id; this layer puts
names to them. No count(*) over the whole trail: pages go newer/older by offset, one row past the page
says whether there is more.
"""

import csv
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinic import roles
from clinic.audit.models import AuditAction, AuditEvent
from clinic.audit.trail import record
from clinic.validators import plausible_date
from patients.access import staff_view
from patients.models import Patient

PAGE_SIZE = 50
CSV_BATCH = 2000
CSV_COLUMNS = [
    "when (UTC)",
    "action",
    "user",
    "user is the patient",
    "patient id",
    "patient",
    "object type",
    "object id",
    "method",
    "path",
    "status",
    "client address",
    "user agent",
    "detail",
]


class AuditFilterForm(forms.Form):
    user = forms.EmailField(required=False, label="User (e-mail)")
    patient = forms.UUIDField(required=False, label="Patient id", help_text="Set from a patient's page.")
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *AuditAction.choices])
    start = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[plausible_date],
    )
    end = forms.DateField(
        required=False,
        label="To (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[plausible_date],  # the day after 9999-12-31 is a server error
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "action" else "form-control"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"id_{name}-error"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return cleaned

    def events(self):
        """The filtered trail, newest first; the form must be valid."""
        data = self.cleaned_data
        events = AuditEvent.objects.all()
        if data.get("user"):
            found = (
                get_user_model()
                .objects.filter(email__iexact=data["user"])
                .values_list("pk", flat=True)
                .first()
            )
            events = (
                events.filter(actor_id=found) if found else events.filter(actor_email__iexact=data["user"])
            )
        if data.get("patient"):
            events = events.filter(patient_external_id=data["patient"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        zone = timezone.get_current_timezone()
        if data.get("start"):
            events = events.filter(at__gte=datetime.combine(data["start"], time.min, zone))
        if data.get("end"):
            events = events.filter(at__lt=datetime.combine(data["end"] + timedelta(days=1), time.min, zone))
        return events


def _names_for(events):
    ids = {event.patient_external_id for event in events if event.patient_external_id}
    return {
        patient.external_id: patient.sortable_name
        for patient in Patient.objects.filter(external_id__in=ids).only(
            "external_id", "legal_family_name", "legal_given_name", "preferred_name"
        )
    }


@staff_view(roles.VIEW_AUDIT)
def audit_report(request):
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "patients/audit_report.html", {"form": form, "events": []}, status=400)
    if not form.is_bound:
        form = AuditFilterForm({})
        form.is_valid()
    events = form.events()
    if request.GET.get("format") == "csv":
        return _csv(request, form, events)
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    rows = list(events[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    has_older = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    names = _names_for(rows)
    for event in rows:
        event.patient_name = names.get(event.patient_external_id, "")
    patient_name = ""
    if form.cleaned_data.get("patient"):
        patient = Patient.objects.filter(external_id=form.cleaned_data["patient"]).first()
        patient_name = patient.sortable_name if patient else "a deleted or unknown patient"
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "patients/audit_report.html",
        {
            "form": form,
            "events": rows,
            "page_number": page,
            "has_older": has_older,
            "query": query.urlencode(),
            "patient_name": patient_name,
        },
    )


def _csv_safe(value):
    """A cell a spreadsheet will not run as a formula (names and details are typed by people)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value):
        return value


def _csv(request, form, events):
    record(
        "export",
        request=request,
        object_type="audit report",
        detail=", ".join(f"{key}={value}" for key, value in form.cleaned_data.items() if value)[:300],
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        batch = []
        for event in events.iterator(chunk_size=CSV_BATCH):
            batch.append(event)
            if len(batch) == CSV_BATCH:
                yield from _csv_rows(writer, batch)
                batch = []
        yield from _csv_rows(writer, batch)

    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response


def _csv_rows(writer, batch):
    names = _names_for(batch)
    for event in batch:
        yield writer.writerow(
            [
                _csv_safe(value)
                for value in (
                    event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    event.get_action_display(),
                    event.actor_email,
                    "yes" if event.actor_is_patient else "",
                    event.patient_external_id or "",
                    names.get(event.patient_external_id, ""),
                    event.object_type,
                    event.object_id,
                    event.method,
                    event.path,
                    event.status or "",
                    event.client_address or "",
                    event.user_agent,
                    event.detail,
                )
            ]
        )


def recent_access(patient, limit=10):
    """The last reads and changes of this patient's record, for its page ("who has opened this record")."""
    return list(AuditEvent.objects.filter(patient_external_id=patient.external_id)[:limit])
