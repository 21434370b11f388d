from datetime import timedelta

from django import forms
from django.utils import timezone

from interop.models import RecordExport


class StaffExportForm(forms.ModelForm):
    class Meta:
        model = RecordExport
        fields = ["request_note"]


class DeliveryForm(forms.ModelForm):
    delivered_at = forms.DateTimeField(
        label="Delivered",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When it was posted, faxed, handed over or sent.",
    )

    class Meta:
        model = RecordExport
        fields = ["delivery_method", "delivered_to", "delivered_at", "delivery_note"]
        labels = {"delivery_method": "How", "delivered_to": "To whom", "delivery_note": "Note"}
        help_texts = {
            "delivered_to": "Name, and the address, fax number or e-mail it went to.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delivery_method"].required = True
        self.fields["delivered_to"].required = True
        if not self.initial.get("delivered_at"):
            self.initial["delivered_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def clean_delivered_at(self):
        value = self.cleaned_data["delivered_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError("The delivery cannot be in the future.")
        if self.instance.finished_at and value < self.instance.finished_at - timedelta(minutes=5):
            raise forms.ValidationError("The delivery cannot be before the copy was made.")
        return value
