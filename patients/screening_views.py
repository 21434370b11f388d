"""Intake, screening review, consent and the work queue: staff views and the portal's steps."""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinic import roles
from clinic.client import client_address
from clinic.stored_files import read_checked
from patients import panels, screening
from patients.access import patient_view, staff_view
from patients.alerts import open_alerts_for
from patients.intake import (
    BY_KEY,
    PATIENT_STEPS,
    SECTIONS,
    cleaned_section_data,
    rows_error,
    save_section,
    section_forms,
    sections_of,
    verify_sections,
)
from patients.models import ConsentDocument, Patient, PatientSettings, ScreeningDecision
from patients.review import (
    ConsentError,
    DecisionError,
    current_consent,
    findings_for,
    latest_decision,
    may_treat,
    record_decision,
    screening_queue,
    sign_consent,
)

log = logging.getLogger(__name__)
QUEUE_PAGE_SIZE = 50


def _section_or_404(key):
    section = BY_KEY.get(key)
    if section is None:
        raise Http404("No such intake section.")
    return section


def _edit_section(request, patient, section, stored, on_saved):
    """Shared by staff and portal: bind, validate and save one section."""
    form, formset = section_forms(section, request.POST or None, stored.data if stored else None)
    problem = None
    if request.method == "POST":
        valid = form.is_valid() and (formset is None or formset.is_valid())
        if valid:
            data = cleaned_section_data(form, formset)
            problem = rows_error(section, data)
            if problem is None:
                save_section(patient, section.key, data, request.user)
                return on_saved(), form, formset, None
    return None, form, formset, problem


# Staff ------------------------------------------------------------------------------------------


@staff_view(roles.VIEW_INTAKE)
def intake_overview(request, patient):
    sections = sections_of(patient)
    findings = findings_for(patient, sections)
    prior = sections["psychiatric_history"].data.get("rows", []) if "psychiatric_history" in sections else []
    return render(
        request,
        "patients/intake_overview.html",
        {
            "patient": patient,
            "rows": [(section, sections.get(section.key)) for section in SECTIONS],
            "findings": findings,
            "summary": screening.summarize(findings),
            "adequate_trials": screening.adequate_trials(prior),
            "failed_trials": screening.failed_adequate_trials(prior),
            "treatment_resistant": screening.is_treatment_resistant(prior),
            "can_edit": request.user.has_perm(roles.CHANGE_INTAKE),
            "can_verify": request.user.has_perm(roles.VERIFY_INTAKE),
            "can_decide": request.user.has_perm(roles.DECIDE_SCREENING),
            "to_verify": sum(1 for s in sections.values() if not s.is_verified),
            "self_verification": PatientSettings.load().intake_self_verification,
        },
    )


@staff_view(roles.CHANGE_INTAKE)
def intake_section(request, patient, key):
    section = _section_or_404(key)
    stored = sections_of(patient).get(key)
    url = reverse("patients:intake", args=[patient.external_id])
    done, form, formset, problem = _edit_section(request, patient, section, stored, lambda: redirect(url))
    if done:
        messages.success(request, f"{section.title} saved.")
        return done
    return render(
        request,
        "patients/intake_section.html",
        {
            "patient": patient,
            "section": section,
            "form": form,
            "formset": formset,
            "problem": problem,
            "stored": stored,
        },
    )


@staff_view(roles.VERIFY_INTAKE)
@require_POST
def intake_verify(request, patient, key):
    _section_or_404(key)
    stored = sections_of(patient).get(key)
    if stored is None:
        messages.error(request, "There is nothing entered to verify yet.")
        return redirect("patients:intake", patient_id=patient.external_id)
    return _verify(request, patient, [stored])


@staff_view(roles.VERIFY_INTAKE)
@require_POST
def intake_verify_many(request, patient):
    """Verify the ticked sections in one step."""
    sections = sections_of(patient)
    keys = [key for key in request.POST.getlist("keys") if key in sections]
    if not keys:
        messages.error(request, "Tick the sections to verify: nothing was verified.")
        return redirect("patients:intake", patient_id=patient.external_id)
    return _verify(request, patient, [sections[key] for key in keys])


def _verify(request, patient, sections):
    verified, refused = verify_sections(sections, request.user)
    if verified:
        titles = ", ".join(BY_KEY[s.key].title for s in verified)
        own = [BY_KEY[s.key].title for s in verified if s.self_verified]
        messages.success(request, f"Verified: {titles}.")
        if own:
            messages.warning(
                request,
                f"You entered these yourself ({', '.join(own)}): the prescriber sees that no second person "
                "checked them.",
            )
    for reason in refused:
        messages.error(request, "Not verified. " + reason)
    return redirect("patients:intake", patient_id=patient.external_id)


@staff_view(roles.VIEW_SCREENING)
def screening_review(request, patient):
    sections = sections_of(patient)
    findings = findings_for(patient, sections)
    form_data = request.POST if request.method == "POST" else {}
    error = None
    if request.method == "POST":
        if not request.user.has_perm(roles.DECIDE_SCREENING):
            return render(
                request,
                "403.html",
                {"message": "Only a prescriber can sign a screening decision."},
                status=403,
            )
        try:
            record_decision(
                patient,
                outcome=request.POST.get("outcome"),
                note=request.POST.get("note"),
                conditions=request.POST.get("conditions"),
                override_reason=request.POST.get("override_reason"),
                prescriber=request.user,
            )
        except DecisionError as problem:
            error = str(problem)
        else:
            messages.success(request, "Decision signed.")
            return redirect("patients:screening", patient_id=patient.external_id)
    prior = sections["psychiatric_history"].data.get("rows", []) if "psychiatric_history" in sections else []
    return render(
        request,
        "patients/screening_review.html",
        {
            "patient": patient,
            "findings": findings,
            "has_absolute": screening.has_absolute(findings),
            "sections": sections,
            "measurements": sections["measurements"].data if "measurements" in sections else None,
            "diagnoses": sections["diagnoses"].data.get("rows", []) if "diagnoses" in sections else [],
            "prior": prior,
            "treatment_resistant": screening.is_treatment_resistant(prior),
            "failed_trials": screening.failed_adequate_trials(prior),
            "unverified": [BY_KEY[key].title for key, s in sections.items() if not s.is_verified],
            "self_verified": [BY_KEY[key].title for key, s in sections.items() if s.self_verified],
            "open_alerts": open_alerts_for(patient, request.user),
            "missing": [s.title for s in SECTIONS if s.key not in sections],
            "decisions": patient.screening_decisions.select_related("signed_by"),
            "outcomes": ScreeningDecision.Outcome.choices,
            "form_data": form_data,
            "error": error,
            "can_decide": request.user.has_perm(roles.DECIDE_SCREENING),
            **panels.context_for("screening_review", patient, request.user),
        },
    )


@staff_view(roles.WITNESS_CONSENT)
def consent_on_tablet(request, patient, route):
    document = ConsentDocument.current_for(route)
    if document is None:
        raise Http404("No published consent for this route.")
    return _consent_page(request, patient, document, on_clinic_tablet=True)


@staff_view(roles.VIEW_PATIENT)
def consent_pdf(request, patient, signature_id):
    signature = get_object_or_404(patient.consent_signatures, external_id=signature_id)
    return _pdf_response(request, patient, signature, for_patient=False)


@staff_view(roles.VIEW_INTAKE)
def work_queue(request):
    """Everyone in screening, a page at a time in name order; what each waits for is worked out for the
    page shown only."""
    page = Paginator(Patient.objects.filter(status=Patient.Status.SCREENING), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "patients/work_queue.html", {"entries": screening_queue(page.object_list), "page": page}
    )


# Shared -----------------------------------------------------------------------------------------


def _consent_page(request, patient, document, *, on_clinic_tablet):
    error = None
    if request.method == "POST":
        try:
            sign_consent(
                patient,
                document,
                typed_name=request.POST.get("typed_name"),
                confirmed=request.POST.get("confirm") == "on",
                user=request.user,
                ip_address=client_address(request),
                on_clinic_tablet=on_clinic_tablet,
            )
        except ConsentError as problem:
            error = str(problem)
        else:
            messages.success(request, f"{document.title} signed. A copy is kept with the record.")
            if on_clinic_tablet:
                return redirect("patients:detail", patient_id=patient.external_id)
            return redirect("portal:intake")
    return render(
        request,
        "patients/consent_sign.html",
        {
            "patient": patient,
            "document": document,
            "paragraphs": [p.strip() for p in document.body.split("\n\n") if p.strip()],
            "error": error,
            "typed_name": request.POST.get("typed_name", ""),
            "on_clinic_tablet": on_clinic_tablet,
            "layout": "layouts/staff.html" if on_clinic_tablet else "layouts/portal.html",
        },
    )


def _pdf_response(request, patient, signature, *, for_patient):
    if not signature.pdf:
        raise Http404("No copy was stored.")
    content, state = read_checked(signature.pdf, signature.pdf_sha256)
    if state.bad:
        # The row is the legal record; its file is a copy that a backup can bring back. Say so plainly
        # rather than fail with a 500 (missing) or serve a document that is not what was signed (altered).
        log.warning("consent %s: signed PDF %s", signature.external_id, state.value)
        return render(
            request,
            "patients/consent_pdf_unavailable.html",
            {"signature": signature, "patient": patient, "state": state.value, "for_patient": for_patient},
            status=410,
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{signature.signed_at:%Y-%m-%d}.pdf"'
    return response


# Portal -----------------------------------------------------------------------------------------


def _portal_may_edit(patient):
    return patient.status in (Patient.Status.INQUIRY, Patient.Status.SCREENING)


@patient_view
def portal_intake(request, patient):
    sections = sections_of(patient)
    route = patient.treatment_route
    document = ConsentDocument.current_for(route) if route else None
    return render(
        request,
        "patients/portal_intake.html",
        {
            "patient": patient,
            "steps": [(step, sections.get(step.key)) for step in PATIENT_STEPS],
            "done": sum(1 for step in PATIENT_STEPS if step.key in sections),
            "may_edit": _portal_may_edit(patient),
            "consent_document": document,
            "consent": current_consent(patient, route) if route else None,
            "signatures": patient.consent_signatures.select_related("document"),
        },
    )


@patient_view
def portal_intake_step(request, patient, key):
    section = _section_or_404(key)
    if not section.for_patient:
        raise Http404("The clinic fills in this section.")
    if not _portal_may_edit(patient):
        messages.info(request, "Your intake is complete; call the clinic to change anything.")
        return redirect("portal:intake")
    stored = sections_of(patient).get(key)
    index = PATIENT_STEPS.index(section)
    following = PATIENT_STEPS[index + 1] if index + 1 < len(PATIENT_STEPS) else None

    def saved():
        if following:
            return redirect("portal:intake_step", key=following.key)
        messages.success(request, "Thank you: your intake forms are complete. The clinic will review them.")
        return redirect("portal:intake")

    done, form, formset, problem = _edit_section(request, patient, section, stored, saved)
    if done:
        return done
    return render(
        request,
        "patients/portal_intake_step.html",
        {
            "patient": patient,
            "section": section,
            "form": form,
            "formset": formset,
            "problem": problem,
            "step_number": index + 1,
            "step_count": len(PATIENT_STEPS),
            "previous": PATIENT_STEPS[index - 1] if index else None,
        },
    )


@patient_view
def portal_consent(request, patient, route):
    document = ConsentDocument.current_for(route)
    if document is None:
        raise Http404("No published consent for this route.")
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return _consent_page(request, patient, document, on_clinic_tablet=False)


@patient_view
def portal_consent_pdf(request, patient, signature_id):
    signature = get_object_or_404(patient.consent_signatures, external_id=signature_id)
    return _pdf_response(request, patient, signature, for_patient=True)


def gate_for(patient):
    """The gate for the patient's planned route, for their page."""
    return may_treat(patient, patient.treatment_route)


__all__ = ["gate_for", "latest_decision"]
