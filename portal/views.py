"""The patient portal's home: what is next for the patient, gathered from every domain."""

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from patients.access import patient_view
from patients.models import Patient
from sessions.integration.notes import shared_summaries


@patient_view
def portal_home(request, patient):
    now = timezone.now()
    pending = (
        patient.assignments.filter(status="pending")
        .filter(Q(available_at__isnull=True) | Q(available_at__lte=now))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("version")
        .order_by("due_date")
    )
    intake_open = patient.status in (Patient.Status.INQUIRY, Patient.Status.SCREENING)
    next_appointment = patient.appointments.upcoming().first()
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "pending": pending,
            "intake_open": intake_open,
            "next_appointment": next_appointment,
            "latest_shared_note": shared_summaries(patient).first(),
        },
    )
