from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth import password_validation

from clinic.models import User
from patients.models import Patient


class PatientForm(forms.ModelForm):
    indications = forms.MultipleChoiceField(
        label="Treated for",
        choices=Patient.Indication.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Follow-up questionnaire rules can depend on it (e.g. PCL-5 for PTSD).",
    )

    class Meta:
        model = Patient
        fields = [
            "legal_given_name",
            "legal_family_name",
            "preferred_name",
            "date_of_birth",
            "sex_at_birth",
            "gender_identity",
            "pronouns",
            "phone",
            "email",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
            "escort_name",
            "escort_phone",
            "status",
            "treatment_route",
            "indications",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, submit_label="Save", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                "Identity",
                Row(Column("legal_given_name"), Column("legal_family_name"), Column("preferred_name")),
                Row(Column("date_of_birth"), Column("sex_at_birth")),
                Row(Column("gender_identity"), Column("pronouns")),
            ),
            Fieldset("Contact", Row(Column("phone"), Column("email"))),
            Fieldset(
                "Address",
                "address_line1",
                "address_line2",
                Row(Column("city"), Column("region"), Column("postal_code")),
            ),
            Fieldset(
                "Emergency contact",
                Row(
                    Column("emergency_contact_name"),
                    Column("emergency_contact_relationship"),
                    Column("emergency_contact_phone"),
                ),
            ),
            Fieldset("Escort after treatment", Row(Column("escort_name"), Column("escort_phone"))),
            Fieldset("Care", Row(Column("status"), Column("treatment_route")), "indications"),
            Submit("save", submit_label, css_class="btn-primary"),
        )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class SetPortalPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Set password and continue", css_class="btn-primary"))

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(first, User(email=self.email))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
