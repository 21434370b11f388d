"""Forms for charting a treatment session: shaped for quick entry on a tablet.

The forms only parse input; the rules (plausibility, thresholds, holds, limits, discharge) are in
sessions.charting.steps and come back as messages on the form.
"""

import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone

from sessions.charting.checklist import ANSWERS, checklist_for
from sessions.charting.dosing import plain
from sessions.charting.monitoring import ALDRETE_ITEM_NAMES, ALDRETE_ITEMS, ALDRETE_LABELS, CADSS_MAX, MOAAS
from sessions.models import AdverseEvent, CadssItem, Vial

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


class TimeOfDayField(forms.TimeField):
    """A time on the session's day; blank means now. A time far after now is read as yesterday's."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Blank: now. An earlier time is charted as a late entry.")
        kwargs.setdefault("widget", forms.TimeInput(attrs={"type": "time", "class": "form-control"}))
        super().__init__(**kwargs)


def moment(session, value):
    """The aware datetime for a time of day charted on this session (None: now)."""
    if value is None:
        return timezone.now()
    day = timezone.localdate(session.appointment.start)
    when = timezone.make_aware(datetime.combine(day, value.replace(second=0, microsecond=0)))
    # A session that runs past midnight: a time of day earlier than the start belongs to the next day.
    if when < session.appointment.start - timedelta(hours=6):
        when += timedelta(days=1)
    return when


class SubmissionIdField(forms.UUIDField):
    """A hidden id, new each time the form is shown: the service charts a form once, however often it is
    sent (a resend after a lost answer or after signing in again finds what the first one charted)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, widget=forms.HiddenInput, initial=uuid.uuid4, **kwargs)


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # The chart page shows a dozen of these forms, several with the same field names (taken_at,
        # note, submission_id): each form's ids carry its own prefix ("vitals_taken_at" for
        # VitalsForm), so every label points at its own field. The names that are posted stay the same.
        words = re.findall(r"[A-Z][a-z]*", type(self).__name__.removesuffix("Form"))
        kwargs.setdefault("auto_id", "_".join(words).lower() + "_%s")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)


class PreSessionForm(StyledForm):
    submission_id = SubmissionIdField()
    weight_kg = forms.DecimalField(
        label="Weight today (kg)", max_digits=4, decimal_places=1, min_value=25, max_value=350, required=False
    )
    weight_measured_on = forms.DateField(
        label="Weighed on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    mood_pre = forms.IntegerField(
        label="Mood now, 0 (worst) to 10 (best)", min_value=0, max_value=10, required=False
    )
    note = forms.CharField(label="Checklist note", max_length=300, required=False)

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.items = checklist_for(session.route, session.appointment.appointment_type)
        for item in self.items:
            choices = [(k, v) for k, v in ANSWERS.items() if k != "na" or item.allows_na]
            self.fields[f"check_{item.key}"] = forms.ChoiceField(
                label=item.label,
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
                initial=session.checklist.get(item.key),
            )
        if not session.is_weight_based:
            del self.fields["weight_kg"]
            del self.fields["weight_measured_on"]
        else:
            self.fields["weight_kg"].initial = session.weight_kg
            self.fields["weight_measured_on"].initial = session.weight_measured_on or timezone.localdate()
        self.fields["mood_pre"].initial = session.mood_pre
        self.fields["note"].initial = session.checklist_note

    def checklist_fields(self, asked_of):
        return [self[f"check_{item.key}"] for item in self.items if item.asked_of == asked_of]

    def answers(self):
        return {item.key: self.cleaned_data.get(f"check_{item.key}") for item in self.items}


class VitalsForm(StyledForm):
    submission_id = SubmissionIdField()
    sbp = forms.IntegerField(label="Systolic", required=False)
    dbp = forms.IntegerField(label="Diastolic", required=False)
    hr = forms.IntegerField(label="HR", required=False)
    spo2 = forms.IntegerField(label="SpO2 %", required=False)
    rr = forms.IntegerField(label="RR", required=False)
    temp_c = forms.FloatField(label="Temp °C", required=False)
    taken_at = TimeOfDayField(label="Taken at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sbp", "dbp", "hr", "spo2", "rr", "temp_c"):
            self.fields[name].widget.attrs.update(inputmode="decimal" if name == "temp_c" else "numeric")


class StockConcentrationField(forms.TypedChoiceField):
    """The stock concentrations of the vials in stock (unexpired, not empty): an order can only be for
    a concentration the nurse can draw. "50", "50.0" and "50.00" are the same choice."""

    def __init__(self, **kwargs):
        super().__init__(
            coerce=Decimal,
            empty_value=None,
            error_messages={
                "invalid_choice": "No vial of %(value)s mg/mL is in stock: choose one that is, or receive "
                "vials in the ledger."
            },
            **kwargs,
        )

    def valid_value(self, value):
        try:
            wanted = Decimal(str(value))
        except ArithmeticError:
            return False
        return any(key != "" and Decimal(str(key)) == wanted for key, _label in self.choices)


class OrderForm(StyledForm):
    submission_id = SubmissionIdField()
    mg_per_kg = forms.DecimalField(label="mg/kg", max_digits=5, decimal_places=3, required=False)
    minutes = forms.IntegerField(label="Infusion minutes", required=False)
    concentration = StockConcentrationField(label="Vial concentration (mg/mL)", required=False)
    final_volume_ml = forms.DecimalField(
        label="Dilute to (mL, 0.9 % sodium chloride)",
        max_digits=6,
        decimal_places=2,
        required=False,
        help_text="Blank: undiluted stock. With a final volume the rate is of the diluted infusion.",
    )
    dose_mg = forms.TypedChoiceField(
        label="Esketamine dose",
        choices=[("", "—"), (28, "28 mg (1 device)"), (56, "56 mg (2 devices)"), (84, "84 mg (3 devices)")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    hold_override_reason = forms.CharField(
        label="Reason for overriding the hold", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    limit_override_reason = forms.CharField(
        label="Reason for exceeding the clinic maximum",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        if session.route == "intranasal":
            for name in ("mg_per_kg", "minutes", "concentration", "final_volume_ml"):
                del self.fields[name]
        else:
            del self.fields["dose_mg"]
            if session.route != "iv":
                del self.fields["minutes"]
                del self.fields["final_volume_ml"]
        for name in ("mg_per_kg", "minutes", "final_volume_ml"):
            if name in self.fields:
                self.fields[name].widget.attrs["inputmode"] = "decimal"
        if "concentration" in self.fields:
            stock = list(
                Vial.objects.filter(expiry__gte=timezone.localdate(), balance_ml__gt=0)
                .values_list("concentration_mg_per_ml", flat=True)
                .distinct()
                .order_by("concentration_mg_per_ml")
            )
            field = self.fields["concentration"]
            field.choices = [("", "No vial in stock" if not stock else "Choose")] + [
                (plain(c), f"{plain(c)} mg/mL") for c in stock
            ]
            field.help_text = (
                "The concentrations of the vials in stock."
                if stock
                else "No ketamine vial is in stock: receive vials in the ledger first."
            )
            if len(stock) == 1:
                field.initial = plain(stock[0])

    def dose_kwargs(self):
        data = self.cleaned_data
        return {
            k: data.get(k)
            for k in ("mg_per_kg", "minutes", "concentration", "dose_mg", "final_volume_ml")
            if k in self.fields
        }


class AdministerForm(StyledForm):
    submission_id = SubmissionIdField()
    vial = forms.ModelChoiceField(queryset=Vial.objects.none(), required=False, empty_label="Choose a vial")
    lot_number = forms.CharField(label="Device lot number", max_length=60, required=False)
    started_at = TimeOfDayField(label="Started at")

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        if session.is_weight_based:
            del self.fields["lot_number"]
            today = timezone.localdate()
            vials = Vial.objects.filter(expiry__gte=today, balance_ml__gt=0)
            if session.ordered_concentration is not None:
                vials = vials.filter(concentration_mg_per_ml=session.ordered_concentration)
            if session.ordered_volume_ml is not None:
                vials = vials.filter(balance_ml__gte=session.ordered_volume_ml)
            self.fields["vial"].queryset = vials.order_by("expiry", "balance_ml")
            self.fields["vial"].label_from_instance = lambda v: (
                f"Lot {v.lot} · {v.concentration_mg_per_ml} mg/mL · {v.balance_ml} mL left · exp {v.expiry:%b %-d, %Y}"
            )
            self.fields["vial"].label = "Draw from vial"
        else:
            del self.fields["vial"]


class ObservationForm(StyledForm):
    submission_id = SubmissionIdField()
    moaas = forms.TypedChoiceField(
        label="MOAA/S",
        choices=[(score, f"{score} — {text}") for score, text in MOAAS.items()],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    cadss_total = forms.IntegerField(label="CADSS total", min_value=0, max_value=CADSS_MAX, required=False)
    cadss_depersonalization = forms.IntegerField(
        label="Depersonalization", min_value=0, max_value=CADSS_MAX, required=False
    )
    cadss_derealization = forms.IntegerField(
        label="Derealization", min_value=0, max_value=CADSS_MAX, required=False
    )
    cadss_amnesia = forms.IntegerField(label="Amnesia", min_value=0, max_value=CADSS_MAX, required=False)
    note = forms.CharField(max_length=300, required=False)
    taken_at = TimeOfDayField(label="Observed at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(CadssItem.objects.filter(is_active=True))
        for item in self.items:
            self.fields[f"cadss_item_{item.number}"] = forms.TypedChoiceField(
                label=f"{item.number}. {item.text}",
                choices=[("", "—")] + [(n, str(n)) for n in range(5)],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[f"cadss_item_{item.number}"].widget.attrs["class"] = "form-select form-select-sm"

    def item_fields(self):
        return [self[f"cadss_item_{item.number}"] for item in self.items]

    def cadss_items(self):
        scores = {item.number: self.cleaned_data.get(f"cadss_item_{item.number}") for item in self.items}
        answered = {n: v for n, v in scores.items() if v is not None}
        if answered and len(answered) != len(scores):
            raise forms.ValidationError("Score every CADSS item, or none and enter the total.")
        return answered

    def subscale_totals(self, answered):
        totals = {}
        for item in self.items:
            if item.subscale != CadssItem.Subscale.OTHER and item.number in answered:
                totals[item.subscale] = totals.get(item.subscale, 0) + answered[item.number]
        return totals


class AdverseEventForm(StyledForm):
    submission_id = SubmissionIdField()
    kind = forms.ChoiceField(label="Event", choices=AdverseEvent.Kind.choices)
    description = forms.CharField(max_length=300, required=False, help_text="Required for “Other”.")
    severity = forms.ChoiceField(choices=AdverseEvent.Severity.choices, widget=forms.RadioSelect)
    intervention = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "interventions"}),
        help_text="e.g. ondansetron 4 mg IV, labetalol, clonidine, paused infusion",
    )
    outcome = forms.ChoiceField(choices=AdverseEvent.Outcome.choices)
    serious = forms.BooleanField(label="Serious adverse event", required=False)
    taken_at = TimeOfDayField(label="Started at")


class AcknowledgeForm(StyledForm):
    note = forms.CharField(label="Action taken", max_length=300)


class DischargeForm(StyledForm):
    submission_id = SubmissionIdField()
    vitals_near_baseline = forms.BooleanField(label="Vital signs near baseline", required=False)
    alert_and_oriented = forms.BooleanField(label="Alert and oriented", required=False)
    escort_present = forms.BooleanField(label="Escort present", required=False)
    escort_name = forms.CharField(label="Escort's name", max_length=150, required=False)
    instructions_given = forms.BooleanField(label="Written discharge instructions given", required=False)
    note = forms.CharField(label="Discharge note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    discharged_at = TimeOfDayField(label="Discharged at")

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for item in ALDRETE_ITEMS:
            fields[f"aldrete_{item}"] = forms.TypedChoiceField(
                label=ALDRETE_ITEM_NAMES[item],
                choices=[(score, f"{score} — {ALDRETE_LABELS[item][score]}") for score in (2, 1, 0)],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        self.fields = {**fields, **self.fields}
        self.fields["escort_name"].initial = session.escort_name or session.patient.escort_name

    def aldrete_fields(self):
        return [self[f"aldrete_{item}"] for item in ALDRETE_ITEMS]

    def aldrete(self):
        return {
            item: self.cleaned_data[f"aldrete_{item}"]
            for item in ALDRETE_ITEMS
            if self.cleaned_data.get(f"aldrete_{item}") is not None
        }


class RemsForm(StyledForm):
    submission_id = SubmissionIdField()
    YES_NO_FIELDS = {
        "enrolled": "Patient enrolled in the Spravato REMS",
        "benzodiazepines": "Concomitant benzodiazepines",
        "sedative_hypnotics": "Concomitant non-benzodiazepine sedative hypnotics",
        "psychostimulants": "Concomitant psychostimulants",
        "maois": "Concomitant MAOIs",
        "opioids": "Concomitant opioids",
        "sedation": "Sedation",
        "dissociation": "Dissociation",
        "respiratory_depression": "Respiratory depression",
    }
    ready_without_minimum = forms.CharField(
        label="When would the patient have been ready to leave without the 2-hour minimum?",
        max_length=60,
        required=False,
        help_text="e.g. 11:05, or “at 95 minutes”",
    )
    sedation_details = forms.CharField(label="Sedation details", max_length=300, required=False)
    dissociation_details = forms.CharField(label="Dissociation details", max_length=300, required=False)
    respiratory_depression_details = forms.CharField(
        label="Respiratory depression details", max_length=300, required=False
    )
    serious_adverse_events = forms.CharField(
        label="Serious adverse events",
        max_length=300,
        required=False,
        help_text="“None” when there were none.",
    )

    def __init__(self, *args, session, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in self.YES_NO_FIELDS.items():
            current = session.rems.get(key)
            if current is None and key in suggestions:
                current = suggestions[key]
            self.fields[key] = forms.ChoiceField(
                label=label,
                choices=YES_NO,
                required=False,
                widget=forms.RadioSelect,
                initial=None if current is None else ("yes" if current else "no"),
            )
        for key in (
            "ready_without_minimum",
            "sedation_details",
            "dissociation_details",
            "respiratory_depression_details",
        ):
            self.fields[key].initial = session.rems.get(key)
        self.fields["serious_adverse_events"].initial = session.rems.get(
            "serious_adverse_events", suggestions.get("serious_adverse_events")
        )

    def yes_no_fields(self):
        return [self[key] for key in self.YES_NO_FIELDS]

    def answers(self):
        data = dict(self.cleaned_data)
        for key in self.YES_NO_FIELDS:
            data[key] = _yes_no(data.get(key))
        return data


class SignForm(StyledForm):
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class AddendumForm(StyledForm):
    submission_id = SubmissionIdField()
    reason = forms.CharField(label="Why", max_length=200)
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 3}))


class OverrideForm(StyledForm):
    """A prescriber's written override of what stops the treatment (the gate, or the pre-dose hold)."""

    submission_id = SubmissionIdField()
    kind = forms.ChoiceField(
        choices=[("gate", "Treatment gate"), ("hold", "Pre-dose hold")], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label="Reason for overriding",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded on the chart and the session record with your name and the time.",
    )


class DeviceForm(StyledForm):
    submission_id = SubmissionIdField()
    lot_number = forms.CharField(
        label="Device lot number", max_length=60, required=False, help_text="Blank: the same lot as before."
    )
    taken_at = TimeOfDayField(label="Given at")


class StopDevicesForm(StyledForm):
    submission_id = SubmissionIdField()
    reason = forms.CharField(
        label="Why dosing stopped", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
