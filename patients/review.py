"""Screening findings, the prescriber's decision, consent signatures, the treatment gate and the
screening work queue."""

import logging
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.refusals import Refusal
from clinic.stored_files import sha256_of_bytes
from patients import alerts, screening
from patients.intake import BY_KEY, PATIENT_STEPS, SECTIONS, intake_facts, sections_of
from patients.models import (
    ConsentDocument,
    ConsentSignature,
    IntakeSection,
    Patient,
    ScreeningDecision,
    ScreeningRule,
)

log = logging.getLogger(__name__)


# Rules and findings --------------------------------------------------------------------------------


def sync_default_rules():
    """Add shipped rules that are not in the database; rules an administrator tuned are left alone."""
    created = 0
    for position, rule in enumerate(screening.load_default_rules()):
        _, made = ScreeningRule.objects.get_or_create(
            code=rule["code"],
            defaults={
                "label": rule["label"],
                "kind": rule["kind"],
                "when": rule["when"],
                "reason": rule["reason"],
                "active": rule.get("active", True),
                "position": position,
            },
        )
        created += made
    return created


def current_rules():
    return [rule.as_rule() for rule in ScreeningRule.objects.all()]


def findings_for(patient, sections=None):
    return screening.screen(intake_facts(patient, sections), current_rules())


def finding_as_dict(finding):
    return {
        "code": finding.code,
        "label": finding.label,
        "kind": finding.kind,
        "reason": finding.reason,
        "evidence": finding.evidence,
    }


# The prescriber's decision ---------------------------------------------------------------------------


class DecisionError(Refusal):
    """Why a decision was refused; the message is shown on the form."""


def record_decision(patient, *, outcome, note, conditions, override_reason, prescriber):
    """Sign a decision with the findings as they are now. An approval despite an absolute
    contraindication needs a written override reason; an approval makes a patient in screening
    active."""
    note, conditions, override_reason = (
        (note or "").strip(),
        (conditions or "").strip(),
        (override_reason or "").strip(),
    )
    if outcome not in ScreeningDecision.Outcome.values:
        # A decision is signed and immutable: an outcome the clinic does not know can never be stored.
        choices = ", ".join(f"“{label}”" for label in ScreeningDecision.Outcome.labels)
        raise DecisionError(f"Choose one of the outcomes: {choices}.")
    findings = findings_for(patient)
    if not note:
        raise DecisionError("Write a note with the decision.")
    if outcome == ScreeningDecision.Outcome.APPROVED_WITH_CONDITIONS and not conditions:
        raise DecisionError("Write the conditions of the approval.")
    approving = outcome in ScreeningDecision.APPROVALS
    if approving and screening.has_absolute(findings) and not override_reason:
        raise DecisionError(
            "There is an absolute contraindication: approving needs a written reason for overriding it."
        )
    with transaction.atomic():
        decision = ScreeningDecision.objects.create(
            patient=patient,
            outcome=outcome,
            note=note,
            conditions=conditions,
            override_reason=override_reason if approving else "",
            findings=[finding_as_dict(finding) for finding in findings],
            signed_by=prescriber,
            signer_name=prescriber.get_full_name() or prescriber.email,
            signer_credential=prescriber.credential,
        )
        if approving and patient.status in (Patient.Status.INQUIRY, Patient.Status.SCREENING):
            patient.status = Patient.Status.ACTIVE
            patient.save()
        elif (
            outcome == ScreeningDecision.Outcome.NEEDS_INFORMATION
            and patient.status == Patient.Status.INQUIRY
        ):
            patient.status = Patient.Status.SCREENING
            patient.save()
    log.info("screening decision %s signed", decision.external_id)
    return decision


def latest_decision(patient):
    return patient.screening_decisions.order_by("-signed_at", "-pk").first()


# Consent ---------------------------------------------------------------------------------------------


class ConsentError(Refusal):
    pass


def sign_consent(patient, document, *, typed_name, confirmed, user, ip_address, on_clinic_tablet):
    typed_name = " ".join((typed_name or "").split())
    if not confirmed:
        raise ConsentError("Tick the box to confirm that you have read and agree to this consent.")
    if typed_name.casefold() != patient.full_name.casefold():
        raise ConsentError(f"Type the patient's full legal name exactly: {patient.full_name}.")
    if document.published_at is None:
        raise ConsentError("This consent document is not published.")
    from weasyprint import HTML

    with transaction.atomic():
        signature = ConsentSignature.objects.create(
            patient=patient,
            document=document,
            typed_name=typed_name,
            ip_address=ip_address,
            signed_in_as=user,
            on_clinic_tablet=on_clinic_tablet,
        )
        html = render_to_string("patients/consent_pdf.html", {"signature": signature, "patient": patient})
        content = HTML(string=html).write_pdf(pdf_tags=True)
        signature.pdf_sha256 = sha256_of_bytes(content)
        signature.pdf.save(f"{signature.external_id}.pdf", ContentFile(content), save=True)
    log.info("consent %s signed", signature.external_id)
    return signature


def current_consent(patient, route):
    """The patient's signature on the current version for the route, or None."""
    document = ConsentDocument.current_for(route)
    if document is None:
        return None
    return patient.consent_signatures.filter(document=document).order_by("-signed_at").first()


# The gate --------------------------------------------------------------------------------------------

#: The most open alerts the gate names one by one; more are counted in one line.
GATE_ALERTS_NAMED = 5


@dataclass(frozen=True)
class Blocker:
    """One reason a patient may not be treated. ``key`` names the fact behind it (a status, a decision,
    an alert), so an override given for it on a chart covers this fact and not one that comes later."""

    key: str
    text: str
    url: str = ""


@dataclass
class Gate:
    route: str
    blockers: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def reasons(self):
        return [blocker.text for blocker in self.blockers]

    @property
    def allowed(self):
        return not self.blockers

    def block(self, key, text, url=""):
        self.blockers.append(Blocker(key, text, url))


def may_treat(patient, route, on=None):
    """Whether `patient` may be treated by `route` today, and if not, every reason why.

    Booking, starting a chart, ordering and giving each dose call this (a treatment in progress is
    stopped when the gate closes); the patient's page shows it. Open alerts of every kind count
    (``patients.alerts``): a questionnaire risk alert, or an alert on any chart of the patient's.
    """
    on = on or timezone.localdate()
    gate = Gate(route=route)
    route_label = dict(Patient.Route.choices).get(route)
    if not route or route_label is None:
        gate.block("route", "No treatment route chosen.")
        route_label = "this route"
    if patient.status != Patient.Status.ACTIVE:
        gate.block(f"status:{patient.status}", f"Status is “{patient.get_status_display()}”, not Active.")
    decision = latest_decision(patient)
    if decision is None:
        gate.block("decision:none", "No prescriber has reviewed the screening.")
    elif not decision.is_approval:
        gate.block(
            f"decision:{decision.pk}",
            f"The latest screening decision is “{decision.get_outcome_display()}” "
            f"({decision.signer_name}, {timezone.localtime(decision.signed_at):%b %-d, %Y}).",
        )
    else:
        changed = [
            section for section in sections_of(patient).values() if section.entered_at > decision.signed_at
        ]
        if changed:
            titles = ", ".join(sorted({BY_KEY[c.key].title for c in changed}))
            latest = max(c.entered_at for c in changed)
            gate.block(
                f"intake-changed:{decision.pk}:{latest.isoformat()}",
                f"The intake changed after the approval ({titles}): a prescriber must review it again.",
            )
        if decision.conditions:
            gate.notes.append(f"Approved with conditions: {decision.conditions}")
    if route and route_label != "this route":
        document = ConsentDocument.current_for(route)
        if document is None:
            gate.block(f"consent-document:{route}", f"No consent document for {route_label} is published.")
        elif current_consent(patient, route) is None:
            older = (
                patient.consent_signatures.filter(document__route=route).select_related("document").first()
            )
            if older:
                text = (
                    f"Consent for {route_label} was signed on version {older.document.version}; "
                    f"version {document.version} is current and must be signed."
                )
            else:
                text = f"Consent for {route_label} has not been signed."
            gate.block(f"consent:{document.pk}", text)
    _block_open_alerts(gate, patient)
    return gate


def _block_open_alerts(gate, patient):
    found = alerts.open_alerts_for(patient)
    pairs = [(kind, alert) for kind in alerts.kinds() for alert in found[kind.name]]
    named = pairs if len(pairs) <= GATE_ALERTS_NAMED + 1 else pairs[:GATE_ALERTS_NAMED]
    for kind, alert in named:
        gate.block(
            f"alert:{kind.name}:{alert.pk}",
            f"{kind.label} not yet acknowledged: {kind.describe(alert)}",
            kind.url(alert),
        )
    rest = pairs[len(named) :]
    if rest:
        # One line for the rest, keyed by every alert in it: a new alert makes a new key.
        keys = ",".join(f"alert:{kind.name}:{alert.pk}" for kind, alert in rest)
        gate.block(keys, f"{len(rest)} more open alerts not yet acknowledged.")


# Work queue ------------------------------------------------------------------------------------------


@dataclass
class QueueEntry:
    patient: Patient
    waiting_for: list


def screening_queue(patients=None):
    """What each patient in screening waits for: those given (a page of the queue, in its order), or
    all of them."""
    if patients is None:
        patients = Patient.objects.filter(status=Patient.Status.SCREENING)
    patients = list(patients)
    sections = {}
    for section in IntakeSection.objects.filter(intake__patient__in=patients).select_related("intake"):
        sections.setdefault(section.intake.patient_id, {})[section.key] = section
    decisions = {}
    for decision in ScreeningDecision.objects.filter(patient__in=patients).order_by("signed_at", "pk"):
        decisions[decision.patient_id] = decision
    current_documents = {
        route: ConsentDocument.current_for(route) for route, _ in Patient.Route.choices if route
    }
    signed = {}
    for patient_id, document_id in ConsentSignature.objects.filter(patient__in=patients).values_list(
        "patient_id", "document_id"
    ):
        signed.setdefault(patient_id, set()).add(document_id)
    entries = []
    for patient in patients:
        own = sections.get(patient.pk, {})
        waiting = []
        missing_patient = [s.title for s in PATIENT_STEPS if s.key not in own]
        if missing_patient:
            waiting.append(("patient", f"Patient forms: {', '.join(missing_patient)}"))
        missing_staff = [s.title for s in SECTIONS if not s.for_patient and s.key not in own]
        if missing_staff:
            waiting.append(("staff", f"Staff to enter: {', '.join(missing_staff)}"))
        unverified = [BY_KEY[key].title for key, s in own.items() if not s.is_verified]
        if unverified:
            waiting.append(("verify", f"Staff verification: {', '.join(sorted(unverified))}"))
        decision = decisions.get(patient.pk)
        if not waiting and (decision is None or not decision.is_approval):
            waiting.append(("prescriber", "Prescriber review"))
        document = current_documents.get(patient.treatment_route)
        if patient.treatment_route and (document is None or document.pk not in signed.get(patient.pk, set())):
            waiting.append(("consent", "Consent"))
        entries.append(QueueEntry(patient, waiting))
    return entries
