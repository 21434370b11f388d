"""The prescriber's signed decisions on suitability for treatment, each a ClinicalImpression.

A decision is an assessment of the patient against the screening rules: the findings the prescriber saw
(as they were when signing), the outcome (approve, approve with conditions, decline, needs more
information) with its conditions, the prescriber's note, and the reason for approving despite an
absolute contraindication. ClinicalImpression holds exactly that: ``finding`` (each rule that fired,
with its evidence and reason as ``basis``), ``summary`` (the outcome), ``assessor`` and ``date``, and
``note``. Decisions are never changed; a change of mind is a new decision, so each keeps its id (the
decision's external id) and the latest is the one in force.
"""

from interop.fhir import codes
from interop.fhir.context import instant
from interop.fhir.registry import builds, make
from patients.models import ScreeningRule

KIND_LABELS = dict(ScreeningRule.Kind.choices)
SCREENING_CODE = ("suitability-screening", "Suitability screening for ketamine or esketamine treatment")


def _finding(finding):
    label = finding.get("label") or finding.get("code", "")
    kind = KIND_LABELS.get(finding.get("kind"), finding.get("kind", ""))
    basis = " ".join(
        part
        for part in (
            f"{kind}." if kind else "",
            f"Found: {finding['evidence']}." if finding.get("evidence") else "",
            finding.get("reason", ""),
        )
        if part
    )
    item = {
        "itemCodeableConcept": codes.concept(
            codes.coding(codes.local_system(codes.SCREENING_RULE), finding.get("code", ""), label), text=label
        )
    }
    if basis:
        item["basis"] = basis
    return item


def _summary(decision):
    """The outcome in words ("Approved with conditions: …", "More information needed")."""
    words = decision.outcome_words
    summary = words[:1].upper() + words[1:]
    return f"{summary}: {decision.conditions}" if decision.conditions else summary


@builds("ClinicalImpression")
def screening_decision(ctx, decision):
    notes = [{"text": decision.note}] if decision.note else []
    if decision.override_reason:
        notes.append({"text": f"Approved despite an absolute contraindication: {decision.override_reason}"})
    data = {
        "resourceType": "ClinicalImpression",
        "id": str(decision.external_id),
        "status": "completed",
        "code": codes.concept(
            codes.coding(codes.local_system(codes.ASSESSMENT), *SCREENING_CODE), text=SCREENING_CODE[1]
        ),
        "description": "The prescriber's signed decision on suitability for treatment",
        "subject": ctx.subject,
        "effectiveDateTime": instant(decision.signed_at),
        "date": instant(decision.signed_at),
        "assessor": ctx.practitioner(decision.signed_by),
        "summary": _summary(decision),
        "finding": [_finding(finding) for finding in decision.findings if isinstance(finding, dict)] or None,
        "note": notes or None,
    }
    return [make({key: value for key, value in data.items() if value is not None})]
