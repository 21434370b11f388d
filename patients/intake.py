"""The intake's sections: what each asks, who fills it (patient in the portal, or staff), how it is
stored, and the facts the screening rules read."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.db import transaction
from django.utils import timezone

from patients import screening
from patients.models import Intake, IntakeSection, PatientSettings

YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]
ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def _radio(label, choices, **kwargs):
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, **kwargs)


class ReferralForm(forms.Form):
    source = forms.ChoiceField(
        label="Referral source",
        choices=[
            ("self", "Self-referred"),
            ("psychiatrist", "Psychiatrist"),
            ("primary_care", "Primary care"),
            ("therapist", "Therapist"),
            ("other", "Other"),
        ],
    )
    referring_clinician = forms.CharField(max_length=200, required=False)
    referring_contact = forms.CharField(label="Clinician's phone or email", max_length=200, required=False)
    reason = forms.CharField(
        label="Reason for referral", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class DiagnosisForm(forms.Form):
    code = forms.CharField(label="ICD-10 code", max_length=10, help_text="e.g. F33.2")
    description = forms.CharField(max_length=200)
    primary = forms.BooleanField(required=False)

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not ICD10.match(code):
            raise forms.ValidationError("Enter an ICD-10 code such as F33.2 or F43.10.")
        return code


class PriorTreatmentForm(forms.Form):
    # Every select starts at the value an untouched row submits, so the blank rows at the end of
    # the list count as unchanged and are not stored.
    kind = forms.ChoiceField(
        label="Treatment",
        initial="",
        choices=[
            ("", "Choose…"),
            ("antidepressant", "Antidepressant"),
            ("augmentation", "Augmentation (e.g. lithium, antipsychotic)"),
            ("psychotherapy", "Psychotherapy"),
            ("ect", "ECT"),
            ("tms", "TMS"),
            ("esketamine", "Esketamine"),
            ("ketamine", "Ketamine"),
            ("other", "Other"),
        ],
    )
    name = forms.CharField(label="Name (e.g. sertraline)", max_length=120, required=False)
    dose = forms.CharField(max_length=60, required=False)
    duration_weeks = forms.IntegerField(label="Weeks", min_value=0, max_value=1040, required=False)
    outcome = forms.ChoiceField(
        initial="unknown",
        choices=[
            ("unknown", "Not sure"),
            ("none", "No improvement"),
            ("partial", "Some improvement"),
            ("response", "Clear improvement"),
            ("not_tolerated", "Stopped: side effects"),
        ],
    )
    adequate = forms.TypedChoiceField(
        label="Adequate trial?",
        choices=[("", "Staff to judge"), ("yes", "Yes"), ("no", "No")],
        required=False,
        # An unknown value passes through unchanged, so a row holding only that counts as changed and
        # is refused as "not one of the available choices" instead of being dropped as blank.
        coerce=lambda value: {"yes": True, "no": False}.get(value, value),
        empty_value=None,
        initial="",
        help_text="Dose and length enough to judge (staff).",
    )


class MedicalHistoryForm(forms.Form):
    details = forms.CharField(
        label="Anything else about your health we should know",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        conditions = {key: _radio(label, YES_NO_UNSURE) for key, label in screening.CONDITIONS}
        self.fields = {**conditions, **self.fields}


class MedicationForm(forms.Form):
    name = forms.CharField(max_length=120)
    dose = forms.CharField(max_length=60, required=False)
    frequency = forms.CharField(max_length=60, required=False)
    drug_class = forms.ChoiceField(label="Kind of medicine", choices=screening.DRUG_CLASSES, initial="none")


class MedicationsForm(forms.Form):
    no_medications = forms.BooleanField(label="I take no medicines at the moment", required=False)


class AllergiesForm(forms.Form):
    ketamine_hypersensitivity = _radio(
        "Have you ever had an allergic reaction to ketamine or esketamine?", YES_NO_UNSURE
    )
    details = forms.CharField(
        label="Other allergies (medicines, foods, latex)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class SubstanceUseForm(forms.Form):
    alcohol_drinks_per_week = forms.IntegerField(
        label="Alcoholic drinks in a usual week", min_value=0, max_value=200
    )
    cannabis = _radio(
        "Cannabis", [("none", "None"), ("occasional", "Occasionally"), ("daily", "Daily or almost daily")]
    )
    ketamine_nonmedical = _radio(
        "Ketamine outside medical treatment",
        [("never", "Never"), ("past", "In the past"), ("current", "Currently")],
    )
    substance_use_disorder = _radio("Have you ever been treated for alcohol or drug use?", YES_NO_UNSURE)
    other = forms.CharField(label="Other substances", max_length=300, required=False)


class PregnancyForm(forms.Form):
    status = _radio(
        "Pregnancy",
        [
            ("not_applicable", "Does not apply to me"),
            ("not_pregnant", "Not pregnant"),
            ("pregnant", "Pregnant"),
            ("unsure", "Not sure"),
        ],
    )
    breastfeeding = _radio("Breastfeeding", [("no", "No"), ("yes", "Yes")])


class MeasurementsForm(forms.Form):
    """Height, weight and baseline vitals; limits are physiological plausibility
    (docs/clinical-reference.md)."""

    measured_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    height_cm = forms.DecimalField(label="Height (cm)", min_value=100, max_value=250, decimal_places=1)
    weight_kg = forms.DecimalField(label="Weight (kg)", min_value=25, max_value=350, decimal_places=1)
    bp_systolic = forms.IntegerField(label="Systolic BP (mmHg)", min_value=50, max_value=300)
    bp_diastolic = forms.IntegerField(label="Diastolic BP (mmHg)", min_value=20, max_value=200)
    heart_rate = forms.IntegerField(label="Heart rate (/min)", min_value=20, max_value=250)
    spo2 = forms.IntegerField(label="SpO₂ (%)", min_value=50, max_value=100)
    resp_rate = forms.IntegerField(label="Respiratory rate (/min)", min_value=4, max_value=60)

    def clean_measured_on(self):
        day = self.cleaned_data["measured_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return day

    def clean(self):
        cleaned = super().clean()
        systolic, diastolic = cleaned.get("bp_systolic"), cleaned.get("bp_diastolic")
        if systolic and diastolic and diastolic >= systolic:
            self.add_error("bp_diastolic", "Diastolic pressure must be lower than systolic.")
        return cleaned


class GoalsForm(forms.Form):
    goals = forms.CharField(
        label="What would you like to change with treatment?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    audience: str  # "patient": the patient fills it in the portal; "staff": the clinic does
    form: type
    rows: type | None = None  # a form per list row (medications, diagnoses, …)
    rows_label: str = ""

    @property
    def for_patient(self):
        return self.audience == "patient"


SECTIONS = [
    Section("medical_history", "Medical history", "patient", MedicalHistoryForm),
    Section(
        "psychiatric_history",
        "Past treatments",
        "patient",
        forms.Form,
        PriorTreatmentForm,
        "Treatments tried",
    ),
    Section("medications", "Current medicines", "patient", MedicationsForm, MedicationForm, "Medicines"),
    Section("allergies", "Allergies", "patient", AllergiesForm),
    Section("substance_use", "Alcohol and other substances", "patient", SubstanceUseForm),
    Section("pregnancy", "Pregnancy", "patient", PregnancyForm),
    Section("goals", "Your goals", "patient", GoalsForm),
    Section("referral", "Referral", "staff", ReferralForm),
    Section("diagnoses", "Diagnoses", "staff", forms.Form, DiagnosisForm, "Diagnoses"),
    Section("measurements", "Height, weight and baseline vitals", "staff", MeasurementsForm),
]
BY_KEY = {section.key: section for section in SECTIONS}
PATIENT_STEPS = [section for section in SECTIONS if section.for_patient]


def section_forms(section, data=None, stored=None):
    """The section's form and (for list sections) formset, bound to POST data or the stored values."""
    stored = stored or {}
    initial = {key: value for key, value in stored.items() if key != "rows"}
    if "adequate" in initial:
        initial.pop("adequate")
    form = section.form(data, initial=initial, prefix="section")
    formset = None
    if section.rows:
        rows = [_row_initial(row) for row in stored.get("rows", [])]
        formset_class = forms.formset_factory(section.rows, extra=2 if not rows else 1, can_delete=True)
        formset = formset_class(data, initial=rows, prefix="rows")
    return form, formset


def _row_initial(row):
    row = dict(row)
    if "adequate" in row:
        row["adequate"] = {True: "yes", False: "no"}.get(row["adequate"], "")
    return row


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def cleaned_section_data(form, formset):
    data = {key: _jsonable(value) for key, value in form.cleaned_data.items()}
    if formset is not None:
        data["rows"] = [
            {key: _jsonable(value) for key, value in row.items() if key != "DELETE"}
            for row in formset.cleaned_data
            if row and not row.get("DELETE")
        ]
    return data


def rows_error(section, data):
    """A list section needs at least one row, unless the patient says there are none."""
    if section.key == "medications" and not data.get("rows") and not data.get("no_medications"):
        return "Add your medicines, or tick “I take no medicines at the moment”."
    if section.key == "medications" and data.get("rows") and data.get("no_medications"):
        return "You listed medicines and also ticked that you take none: please choose one."
    return None


def get_intake(patient):
    intake, _ = Intake.objects.get_or_create(patient=patient)
    return intake


def save_section(patient, key, data, user):
    """Store a section; a change to verified data clears the verification. Returns the section."""
    intake = get_intake(patient)
    with transaction.atomic():
        section = IntakeSection.objects.select_for_update().filter(intake=intake, key=key).first()
        if section is None:
            return IntakeSection.objects.create(intake=intake, key=key, data=data, entered_by=user)
        if section.data != data:
            section.data = data
            section.entered_by = user
            section.entered_at = timezone.now()
            section.verified_by = None
            section.verified_at = None
            section.save()
        return section


def verify_section(section, user):
    section.verified_by = user
    section.verified_at = timezone.now()
    section.save(update_fields=["verified_by", "verified_at"])


def verify_sections(sections, user):
    """Verify several sections at once under the clinic's self-verification setting. Returns
    ``(verified, refused)``: the sections verified now, and a sentence for each one refused."""
    refuse_own = PatientSettings.load().intake_self_verification == "refuse"
    verified, refused = [], []
    for section in sections:
        if section.is_verified:
            continue
        if refuse_own and section.entered_by_id == user.pk:
            refused.append(
                f"{BY_KEY[section.key].title}: you entered it, so another staff member verifies it "
                "(clinic setting)."
            )
            continue
        verify_section(section, user)
        verified.append(section)
    return verified, refused


def sections_of(patient):
    """{key: IntakeSection} for the patient's intake (one query)."""
    return {
        section.key: section
        # With each user's patient record (or its absence), which says "entered by the patient".
        for section in IntakeSection.objects.filter(intake__patient=patient).select_related(
            "entered_by__patient_record", "verified_by__patient_record"
        )
    }


def _who(section):
    when = timezone.localtime(section.entered_at).strftime("%b %-d, %Y")
    role = "the patient" if section.entered_by.is_portal_patient else str(section.entered_by)
    return f"{BY_KEY[section.key].title.lower()}, entered by {role} on {when}"


def intake_facts(patient, sections=None):
    """What the screening rules read (patients/screening.py documents the shape)."""
    sections = sections if sections is not None else sections_of(patient)

    def data(key):
        return sections[key].data if key in sections else {}

    medical = data("medical_history")
    medications = data("medications")
    return {
        "age": patient.age,
        "sex_at_birth": patient.sex_at_birth,
        "sections": {section.key: section.key in sections for section in SECTIONS},
        "conditions": {key: medical[key] for key, _ in screening.CONDITIONS if key in medical},
        "medications": medications.get("rows", []),
        "no_medications": bool(medications.get("no_medications")),
        "allergies": data("allergies"),
        "substance_use": data("substance_use"),
        "pregnancy": data("pregnancy"),
        "measurements": data("measurements") or None,
        "sources": {
            "conditions": _who(sections["medical_history"]) if "medical_history" in sections else "",
            **{key: _who(section) for key, section in sections.items()},
        },
    }
