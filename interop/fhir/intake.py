"""What the patient told the clinic on the intake: allergies (AllergyIntolerance), current medicines
(MedicationStatement), medical history (Condition), alcohol and other substances and pregnancy
(Observation), and goals (Goal).

These are the patient's own answers, entered in the portal (or by staff for them) and verified by staff
later, so every resource names who entered them (``recorder`` / ``performer``: the patient when it was
their portal login) and says "unconfirmed" until a member of staff has verified the section. The
questions' wording and the answers' labels are read from the intake's own forms
(``patients.intake``), so the export says what the patient was asked.
"""

from functools import cache

from django.utils import timezone

from interop.fhir import codes
from interop.fhir.context import instant, part_id
from interop.fhir.registry import builds, make
from patients import screening
from patients.intake import BY_KEY

SOCIAL_HISTORY = codes.concept(codes.coding(codes.OBSERVATION_CATEGORY, "social-history", "Social History"))
PROBLEM_LIST_ITEM = codes.concept(
    codes.coding(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")
)
#: The medical-history checklist: key -> the question as the patient read it.
HISTORY_LABELS = dict(screening.CONDITIONS)
#: Screening's medicine classes: key -> label (the MedicationStatement's note says which one was ticked).
DRUG_CLASS_LABELS = dict(screening.DRUG_CLASSES)
#: Substance-use questions exported, in the form's order (the free-text "other" is a valueString).
SUBSTANCE_QUESTIONS = ("cannabis", "ketamine_nonmedical", "substance_use_disorder")


@cache
def _question(section_key, name):
    """``(label, {value: label})`` of one question of an intake section's form."""
    field = BY_KEY[section_key].form().fields[name]
    return str(field.label or name), {
        str(value): str(label) for value, label in getattr(field, "choices", [])
    }


def _question_code(section_key, name):
    label, _choices = _question(section_key, name)
    code = name.replace("_", "-")
    return codes.concept(codes.coding(codes.local_system(codes.INTAKE_QUESTIONS), code, label), text=label)


def _answer(section_key, name, value, *more):
    """The answer as a local coding (the stored value, the option's label as display), with any
    standard codings given in ``more``."""
    _label, choices = _question(section_key, name)
    display = choices.get(str(value), str(value))
    local = codes.coding(codes.local_system(f"answers-{section_key.replace('_', '-')}"), str(value), display)
    return codes.concept(local, *more, text=display)


def _reported(section, answer="yes"):
    """ "confirmed" once staff verified the section and the answer is a plain yes; "unconfirmed" before
    that, and for "Not sure"."""
    return "confirmed" if section.is_verified and answer == "yes" else "unconfirmed"


def _answer_observation(ctx, resource_id, section, code, value, category=None):
    data = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        **({"category": [category]} if category else {}),
        "code": code,
        "subject": ctx.subject,
        "effectiveDateTime": instant(section.entered_at),
        "performer": [ctx.signer(section.entered_by)],
        **value,
    }
    return make(data)


@builds("AllergyIntolerance")
def allergies(ctx, intake, sections):
    """A reaction to ketamine or esketamine answered "yes" or "not sure" (RxNorm ketamine), and the
    other allergies the patient typed, as one AllergyIntolerance in their words (no code: free text
    may list several). A "no" is not exported: there is no code for "not allergic to this" that we
    could cite."""
    section = sections.get("allergies")
    if intake is None or section is None:
        return []
    resources = []
    answer = section.data.get("ketamine_hypersensitivity")
    if answer in ("yes", "unsure"):
        question, choices = _question("allergies", "ketamine_hypersensitivity")
        resources.append(
            _allergy(
                ctx,
                section,
                part_id(intake.external_id, "allergy", "ketamine"),
                codes.concept(codes.KETAMINE, text="Ketamine or esketamine"),
                answer,
                note=f"{question} The patient answered “{choices.get(answer, answer)}”.",
                medication=True,
            )
        )
    details = (section.data.get("details") or "").strip()
    if details:
        resources.append(
            _allergy(
                ctx,
                section,
                part_id(intake.external_id, "allergy", "other"),
                {"text": details},
                "yes",
                note="Other allergies, in the patient's words.",
            )
        )
    return resources


def _allergy(ctx, section, resource_id, code, answer, *, note, medication=False):
    data = {
        "resourceType": "AllergyIntolerance",
        "id": resource_id,
        "clinicalStatus": codes.concept(codes.coding(codes.ALLERGY_CLINICAL, "active", "Active")),
        "verificationStatus": codes.concept(
            codes.coding(codes.ALLERGY_VERIFICATION, _reported(section, answer))
        ),
        **({"type": "allergy", "category": ["medication"]} if medication else {}),
        "code": code,
        "patient": ctx.subject,
        "recordedDate": instant(section.entered_at),
        "recorder": ctx.signer(section.entered_by),
        "asserter": ctx.subject,
        "note": [{"text": note}],
    }
    return make(data)


@builds("MedicationStatement")
def medication_statements(ctx, intake, sections):
    """Each current medicine the patient listed: its name as text (the intake has no drug code), dose
    and frequency as the dosage text, the screening class ticked as a note. "I take no medicines" is not
    exported (no statement to make about a drug)."""
    section = sections.get("medications")
    if intake is None or section is None:
        return []
    resources = []
    for number, row in enumerate(section.data.get("rows", []), start=1):
        name = (row.get("name") or "").strip()
        if not name:
            continue
        data = {
            "resourceType": "MedicationStatement",
            "id": part_id(intake.external_id, "medication", number),
            "status": "active",
            "category": codes.concept(
                codes.coding(codes.MEDICATION_STATEMENT_CATEGORY, "patientspecified", "Patient Specified")
            ),
            "medicationCodeableConcept": {"text": name},
            "subject": ctx.subject,
            "dateAsserted": instant(section.entered_at),
            "informationSource": ctx.signer(section.entered_by),
        }
        dosage = " ".join(part for part in (row.get("dose"), row.get("frequency")) if part)
        if dosage:
            data["dosage"] = [{"text": dosage}]
        drug_class = row.get("drug_class")
        if drug_class and drug_class != "none":
            label = DRUG_CLASS_LABELS.get(drug_class, drug_class)
            data["note"] = [{"text": f"Kind of medicine (screening): {label}"}]
        resources.append(make(data))
    return resources


@builds("Condition")
def medical_history(ctx, intake, sections):
    """Each item of the medical-history checklist answered "yes" or "not sure", as a problem-list
    Condition coded locally (the checklist's key, its wording as text). A "no" is not exported."""
    section = sections.get("medical_history")
    if intake is None or section is None:
        return []
    resources = []
    for key, label in screening.CONDITIONS:
        answer = section.data.get(key)
        if answer not in ("yes", "unsure"):
            continue
        words = "Yes" if answer == "yes" else "Not sure"
        data = {
            "resourceType": "Condition",
            "id": part_id(intake.external_id, "medical-history", key),
            "clinicalStatus": codes.concept(codes.coding(codes.CONDITION_CLINICAL, "active")),
            "verificationStatus": codes.concept(
                codes.coding(codes.CONDITION_VERIFICATION, _reported(section, answer))
            ),
            "category": [PROBLEM_LIST_ITEM],
            "code": codes.concept(
                codes.coding(codes.local_system(codes.MEDICAL_HISTORY), key, label), text=label
            ),
            "subject": ctx.subject,
            "recordedDate": instant(section.entered_at),
            "recorder": ctx.signer(section.entered_by),
            "asserter": ctx.subject,
            "note": [{"text": f"Medical history on the intake: the patient answered “{words}”."}],
        }
        resources.append(make(data))
    return resources


@builds("Observation")
def history_details(ctx, intake, sections):
    """The free text under the medical-history checklist ("anything else about your health")."""
    section = sections.get("medical_history")
    details = (section.data.get("details") or "").strip() if section else ""
    if intake is None or not details:
        return []
    return [
        _answer_observation(
            ctx,
            part_id(intake.external_id, "medical-history", "details"),
            section,
            _question_code("medical_history", "details"),
            {"valueString": details},
        )
    ]


@builds("Observation")
def substance_use(ctx, intake, sections):
    """Alcohol (drinks in a usual week, UCUM ``/wk``), cannabis, non-medical ketamine, past treatment for
    alcohol or drug use, and other substances (text): social-history Observations, locally coded."""
    section = sections.get("substance_use")
    if intake is None or section is None:
        return []
    data = section.data
    owner = intake.external_id
    resources = []
    drinks = data.get("alcohol_drinks_per_week")
    if drinks is not None:
        resources.append(
            _answer_observation(
                ctx,
                part_id(owner, "substance-use", "alcohol_drinks_per_week"),
                section,
                _question_code("substance_use", "alcohol_drinks_per_week"),
                {"valueQuantity": codes.quantity(drinks, "drinks/week", "/wk")},
                SOCIAL_HISTORY,
            )
        )
    for name in SUBSTANCE_QUESTIONS:
        if data.get(name) in (None, ""):
            continue
        resources.append(
            _answer_observation(
                ctx,
                part_id(owner, "substance-use", name),
                section,
                _question_code("substance_use", name),
                {"valueCodeableConcept": _answer("substance_use", name, data[name])},
                SOCIAL_HISTORY,
            )
        )
    other = (data.get("other") or "").strip()
    if other:
        resources.append(
            _answer_observation(
                ctx,
                part_id(owner, "substance-use", "other"),
                section,
                _question_code("substance_use", "other"),
                {"valueString": other},
                SOCIAL_HISTORY,
            )
        )
    return resources


@builds("Observation")
def pregnancy(ctx, intake, sections):
    """Pregnancy status (LOINC 82810-3, LOINC answers where one exists) and breastfeeding (local)."""
    section = sections.get("pregnancy")
    if intake is None or section is None:
        return []
    resources = []
    status = section.data.get("status")
    if status:
        more = [codes.PREGNANCY_ANSWERS[status]] if status in codes.PREGNANCY_ANSWERS else []
        resources.append(
            _answer_observation(
                ctx,
                part_id(intake.external_id, "pregnancy", "status"),
                section,
                codes.concept(codes.PREGNANCY_STATUS, text="Pregnancy status"),
                {"valueCodeableConcept": _answer("pregnancy", "status", status, *more)},
            )
        )
    breastfeeding = section.data.get("breastfeeding")
    if breastfeeding:
        resources.append(
            _answer_observation(
                ctx,
                part_id(intake.external_id, "pregnancy", "breastfeeding"),
                section,
                _question_code("pregnancy", "breastfeeding"),
                {"valueCodeableConcept": _answer("pregnancy", "breastfeeding", breastfeeding)},
            )
        )
    return resources


@builds("Goal")
def goals(ctx, intake, sections):
    """What the patient would like to change with treatment, in their words."""
    section = sections.get("goals")
    text = (section.data.get("goals") or "").strip() if section else ""
    if intake is None or not text:
        return []
    data = {
        "resourceType": "Goal",
        "id": part_id(intake.external_id, "goal"),
        "lifecycleStatus": "active",
        "description": {"text": text},
        "subject": ctx.subject,
        "startDate": timezone.localdate(section.entered_at).isoformat(),
        "expressedBy": ctx.subject,
        "note": [{"text": "The patient's own goals for treatment, from the intake."}],
    }
    return [make(data)]


def intake_resources(ctx, intake, sections):
    """Every resource made from the patient's own intake sections, in a fixed order."""
    resources = []
    for build in (
        allergies,
        medication_statements,
        medical_history,
        history_details,
        substance_use,
        pregnancy,
        goals,
    ):
        resources += build(ctx, intake, sections)
    return resources
