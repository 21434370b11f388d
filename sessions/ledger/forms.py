"""Forms for the controlled-substance ledger screens. The rules themselves live in sessions/ledger.py;
these forms only turn what was typed into values (and say clearly what is wrong with it)."""

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from allauth.core import ratelimit
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.validators import MinValueValidator
from django.utils import timezone

from clinic import roles
from clinic.validators import plausible_date
from sessions.models import LedgerEntry, Vial

MAX_VIALS_AT_ONCE = 50
MAX_REPORT_DAYS = 731  # two years, the shortest time these records must be kept
ONCE_SECONDS = 6 * 60 * 60


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _ml_field(label, *, minimum=Decimal("0.01"), **kwargs):
    validators = [MinValueValidator(minimum)] if minimum is not None else []
    return forms.DecimalField(
        label=label,
        max_digits=7,
        decimal_places=2,
        validators=validators,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class SentOnceForm(forms.Form):
    """A hidden token so a double tap on a tablet records one entry, not two.

    `claim()` marks the token used (atomically in the cache, shared by every web process when
    CACHE_URL points at Redis); `release()` gives it back when the entry was refused, so the corrected
    form can be sent again.
    """

    once = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["once"].initial = uuid.uuid4().hex

    def _once_key(self):
        # Hashed: the token comes from the browser, and a cache key must be short plain ASCII.
        token = (self.cleaned_data.get("once") or "").encode()
        return f"ledger-form-sent:{hashlib.sha256(token).hexdigest()}"

    def claim(self):
        if not self.cleaned_data.get("once"):
            return True
        return cache.add(self._once_key(), True, ONCE_SECONDS)

    def release(self):
        cache.delete(self._once_key())


class ReceiveVialForm(forms.ModelForm, SentOnceForm):
    number_of_vials = forms.IntegerField(
        label="Number of vials",
        min_value=1,
        max_value=MAX_VIALS_AT_ONCE,
        required=False,
        initial=1,
        help_text=f"Identical vials from this delivery (1–{MAX_VIALS_AT_ONCE}); each gets its own record.",
    )

    class Meta:
        model = Vial
        fields = [
            "drug",
            "form",
            "lot",
            "expiry",
            "concentration_mg_per_ml",
            "volume_ml",
            "supplier",
            "invoice_number",
        ]
        labels = {
            "concentration_mg_per_ml": "Concentration (mg/mL)",
            "volume_ml": "Container size (mL)",
            "invoice_number": "Invoice number",
        }
        widgets = {"expiry": _date_widget()}

    field_order = [*Meta.fields, "number_of_vials"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("concentration_mg_per_ml", "volume_ml"):
            field = self.fields[name]
            field.validators.append(MinValueValidator(Decimal("0.01")))
            field.widget.attrs.update({"min": "0.01", "step": "0.01", "inputmode": "decimal"})

    def clean_expiry(self):
        expiry = self.cleaned_data["expiry"]
        today = timezone.localdate()
        if expiry < today:
            raise forms.ValidationError("This expiry date has passed: an expired vial cannot be received.")
        if expiry > today + timedelta(days=10 * 365):
            raise forms.ValidationError("Check the expiry date: it is more than ten years away.")
        return expiry

    def clean_number_of_vials(self):
        return self.cleaned_data.get("number_of_vials") or 1

    def vial_fields(self):
        """What receive_vial takes, for one vial."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def witnesses_for(user):
    """Who may witness `user`'s waste: any other active staff member."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles.ALL_ROLES)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


class WitnessChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj}, {obj.credential}" if obj.credential else str(obj)


class WasteForm(SentOnceForm):
    prefix = "waste"  # the vial page holds three forms: their fields need ids of their own
    ml = _ml_field("Wasted (mL)")
    reason = forms.CharField(
        max_length=300, help_text="For example: remainder of the drawn dose, dropped syringe."
    )
    witness = WitnessChoiceField(queryset=get_user_model().objects.none(), empty_label="Choose the witness")
    witness_password = forms.CharField(
        label="Witness's password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="The witness types their own password.",
    )

    field_order = ["ml", "reason", "witness", "witness_password"]

    def __init__(self, *args, user, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["witness"].queryset = witnesses_for(user)

    def clean(self):
        data = super().clean()
        witness, password = data.get("witness"), data.get("witness_password")
        if witness is None or password is None or self.request is None:
            return data
        # The witness password is a second way to try someone's password: it counts against the same
        # failed-sign-in limit as the login page (ACCOUNT_RATE_LIMITS["login_failed"]).
        key = f"ledger-witness:{witness.pk}"
        if not ratelimit.consume(self.request, action="login_failed", key=key, dry_run=True):
            raise forms.ValidationError(
                "Too many wrong passwords for this witness: wait a few minutes, or choose another witness.",
                code="too_many_attempts",
            )
        # Checked here as well as in ledger.waste() so a wrong password can be counted above.
        if not witness.check_password(password):
            ratelimit.consume(self.request, action="login_failed", key=key)
            self.add_error(
                "witness_password",
                forms.ValidationError("The witness's password is not correct.", code="wrong_password"),
            )
        return data


class CountForm(SentOnceForm):
    prefix = "count"
    counted_ml = _ml_field("Counted (mL)", minimum=Decimal("0"))
    reason = forms.CharField(
        max_length=300,
        required=False,
        label="Reason for a discrepancy",
        help_text="Required when the count differs from the running balance.",
    )


class EntryChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers = numbers

    def label_from_instance(self, obj):
        when = timezone.localtime(obj.created_at)
        return f"#{self.numbers.get(obj.pk, '?')} · {obj.get_kind_display()} {obj.change_ml:+} mL · {when:%b %-d, %Y %H:%M}"


class CorrectionForm(SentOnceForm):
    prefix = "correction"
    entry = EntryChoiceField(
        queryset=LedgerEntry.objects.none(),
        numbers={},
        label="Entry to correct",
        empty_label="Choose the entry",
    )
    change_ml = _ml_field(
        "Change (mL)",
        minimum=None,
        help_text="Signed: 0.50 adds 0.5 mL to the balance, -0.50 takes 0.5 mL off it.",
    )
    reason = forms.CharField(max_length=300, help_text="What was wrong with the entry.")

    def __init__(self, *args, vial, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["entry"]
        field.queryset = vial.entries.order_by("-created_at", "-pk")
        field.numbers = numbers
        self.fields["change_ml"].widget.attrs.pop("min", None)

    def clean_change_ml(self):
        change = self.cleaned_data["change_ml"]
        if not change:
            raise forms.ValidationError("A correction must change the balance.")
        return change


class LedgerReportForm(forms.Form):
    start = forms.DateField(label="From", widget=_date_widget(), validators=[plausible_date])
    end = forms.DateField(label="To", widget=_date_widget(), validators=[plausible_date])

    @staticmethod
    def default_range():
        today = timezone.localdate()
        return {"start": today.replace(day=1), "end": today}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days >= MAX_REPORT_DAYS:
                self.add_error(
                    None,
                    f"A report covers at most two years ({MAX_REPORT_DAYS} days): choose a shorter range "
                    "and download each part.",
                )
        return data
