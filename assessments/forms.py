"""Forms built from an instrument definition, and the small staff forms around them."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from assessments import scoring
from clinic.validators import plausible_date


def field_name(key):
    """Scoring keys ("9", "total", "subscale:amnesia") as HTML-safe field names."""
    return "q_" + key.replace(":", "__")


def key_of(name):
    return name[2:].replace("__", ":")


class QuestionnaireForm(forms.Form):
    """Every item of a definition as a radio group (or number fields for totals entry).

    Fields are not `required` for Django: the scoring module decides what must be answered (an
    item asked only when the total is above 0, for one), and its messages go onto the fields.
    """

    def __init__(self, definition, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.totals_entry = definition.get("entry") == "totals"
        if self.totals_entry:
            scoring_rules = definition["scoring"]
            self.fields[field_name("total")] = forms.IntegerField(
                label="Total score",
                required=False,
                min_value=scoring_rules["min"],
                max_value=scoring_rules["max"],
                help_text=f"{scoring_rules['min']}–{scoring_rules['max']}",
            )
            for sub in scoring_rules.get("subscales", []):
                self.fields[field_name(f"subscale:{sub['id']}")] = forms.IntegerField(
                    label=f"{sub['label']} (optional)",
                    required=False,
                    min_value=sub["min"],
                    max_value=sub["max"],
                )
        else:
            option_sets = definition.get("option_sets", {})
            for item in definition["items"]:
                options = item["options"]
                if isinstance(options, str):
                    options = option_sets[options]
                field = forms.TypedChoiceField(
                    label=item["text"],
                    choices=[(str(option["value"]), option["label"]) for option in options],
                    coerce=str,
                    required=False,
                    widget=forms.RadioSelect,
                )
                field.item = item
                self.fields[field_name(item["id"])] = field

    def raw_answers(self):
        data = self.data if self.is_bound else self.initial
        raw = {}
        for name in self.fields:
            value = data.get(name)
            if value not in (None, ""):
                raw[key_of(name)] = value
        return raw

    def apply_errors(self, error):
        for key, message in error.errors.items():
            name = field_name(key)
            self.add_error(name if name in self.fields else None, message)

    def items(self):
        """(bound field, item) pairs for templates."""
        for name, field in self.fields.items():
            yield self[name], getattr(field, "item", None)

    def progress(self):
        data = self.data if self.is_bound else self.initial
        answers = {}
        for key, value in self.raw_answers().items():
            try:
                answers[key] = int(value)
            except (TypeError, ValueError):
                continue
        if self.totals_entry:
            return (1 if "total" in answers else 0), 1
        asked = scoring.asked_items(self.definition, answers)
        done = sum(1 for item in asked if data.get(field_name(item["id"])) not in (None, ""))
        return done, len(asked)


class AssignForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", widget=forms.Select(attrs={"class": "form-select"}))
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[plausible_date])
    purpose = forms.CharField(max_length=120, required=False, help_text='e.g. "Baseline", "Before session 3"')

    def __init__(self, versions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = {version.instrument.code: version for version in versions}
        self.fields["instrument"].choices = [
            (code, f"{code} · {version.definition['name']}")
            for code, version in self.versions.items()
            if version.definition.get("entry") != "totals"
        ]
        self.fields["due_date"].initial = timezone.localdate() + timedelta(days=3)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("The due date cannot be in the past.")
        return due

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("instrument")
        if code:
            cleaned["version"] = self.versions[code]
        return cleaned


class AcknowledgeAlertForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. Called the patient, safety plan reviewed, no current intent; next visit Friday.",
    )


class OutcomeFilterForm(forms.Form):
    """The Outcomes page's filters, read from the query string; every field may be left empty."""

    min_followups = forms.IntegerField(
        label="Later scores at least", min_value=1, max_value=52, required=False
    )
    baseline_from = forms.DateField(
        label="Baseline from",
        required=False,
        validators=[plausible_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    baseline_to = forms.DateField(
        label="Baseline to",
        required=False,
        validators=[plausible_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    site = forms.ChoiceField(label="Site", required=False)

    def __init__(self, data, *, default_min_followups, sites=None):
        super().__init__(data)
        self.default_min_followups = default_min_followups
        if sites is None:
            del self.fields["site"]
        else:
            self.fields["site"].choices = [("", "All sites"), *sites]

    def clean_min_followups(self):
        value = self.cleaned_data["min_followups"]
        return self.default_min_followups if value is None else value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("baseline_from"), cleaned.get("baseline_to")
        if start and end and end < start:
            self.add_error("baseline_to", "The end date is before the start date.")
        if not cleaned.get("site"):
            cleaned["site"] = None
        return cleaned
