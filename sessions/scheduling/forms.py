from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic import roles
from clinic.validators import plausible_date
from sessions.models import AppointmentType, Room, TreatmentPlan


def clinicians():
    """Active staff who see patients. Their roles are a semi-join (``pk__in``), not a join made unique by
    DISTINCT, which compares every column of every user (the calendar narrows this further by site)."""
    User = get_user_model()
    in_roles = User.groups.through.objects.filter(
        group__name__in=[roles.PRESCRIBER, roles.NURSE, roles.THERAPIST]
    ).values("user_id")
    return User.objects.filter(is_active=True, pk__in=in_roles).order_by("last_name", "first_name")


class SlotForm(forms.Form):
    """Where and when: shared by booking and moving."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[plausible_date])
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    room = forms.ModelChoiceField(queryset=Room.objects.filter(is_active=True))
    clinician = forms.ModelChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians()
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ModelChoiceField) else "form-control"
            )

    def start(self):
        moment = datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        return timezone.make_aware(moment)


class BookingForm(SlotForm):
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.filter(is_active=True), label="Type"
    )

    field_order = ["appointment_type", "date", "time", "room", "clinician"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].widget.attrs["class"] = "form-select"


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))


#: What a cancellation from the portal is recorded as, followed by the patient's note.
PORTAL_CANCELLED = "Cancelled by the patient in the portal."


class PortalChangeForm(forms.Form):
    """A patient asks to reschedule or cancels. The note becomes part of the cancellation reason, so
    it fits beside PORTAL_CANCELLED in the reason's 200 characters."""

    action = forms.ChoiceField(
        choices=[("reschedule", "Ask to reschedule"), ("cancel", "Cancel appointment")]
    )
    note = forms.CharField(max_length=200 - len(PORTAL_CANCELLED) - 1, required=False)


class TreatmentPlanForm(forms.ModelForm):
    class Meta:
        model = TreatmentPlan
        fields = [
            "appointment_type",
            "protocol",
            "induction_sessions",
            "induction_weeks",
            "min_hours_between",
            "max_per_week",
            "maintenance",
            "mg_per_kg",
            "infusion_minutes",
            "fixed_dose_mg",
        ]
        labels = {"appointment_type": "Treatment"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = AppointmentType.objects.filter(
            is_active=True, kind__in=["iv", "im", "intranasal"]
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class ProposeForm(forms.Form):
    first_day = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}), validators=[plausible_date]
    )
    preferred_time = forms.TimeField(
        initial=time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time", "class": "form-control", "step": 900}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_day"].initial = timezone.localdate() + timedelta(days=1)

    def clean_first_day(self):
        day = self.cleaned_data["first_day"]
        if day < timezone.localdate():
            raise forms.ValidationError("The first day cannot be in the past.")
        return day
