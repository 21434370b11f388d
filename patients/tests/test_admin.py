"""The patients app's pages in Django admin refuse what they cannot store, with a message on the form."""

from django.urls import reverse

from patients.models import Patient, ScreeningRule
from patients.review import sync_default_rules


def _patient_form(patient, **changes):
    data = {
        "legal_given_name": patient.legal_given_name,
        "legal_family_name": patient.legal_family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "phone": patient.phone,
        "email": patient.email,
        "status": patient.status,
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    return {**data, **changes}


def test_administrator_saves_a_patient_treated_for_nothing_yet(client_for, administrator, patient_a):
    patient_a.indications = ["depression"]
    patient_a.save()
    url = reverse("admin:patients_patient_change", args=[patient_a.pk])
    assert 'type="checkbox" name="indications"' in client_for(administrator).get(url).content.decode()
    response = client_for(administrator).post(url, _patient_form(patient_a))
    assert response.status_code == 302
    patient_a.refresh_from_db()
    assert patient_a.indications == []


def test_administrator_cannot_give_a_patient_an_indication_clinic_does_not_know(
    client_for, administrator, patient_a
):
    url = reverse("admin:patients_patient_change", args=[patient_a.pk])
    for indications in (["astrology"], ['["depression"]'], [""]):
        response = client_for(administrator).post(url, _patient_form(patient_a, indications=indications))
        assert response.status_code == 200, indications
        assert "is not one of the available choices" in response.content.decode()
    patient_a.refresh_from_db()
    assert patient_a.indications == []
    added = client_for(administrator).post(
        reverse("admin:patients_patient_add"), _patient_form(patient_a, email="new@test.example")
    )
    assert added.status_code == 302
    assert Patient.objects.get(email="new@test.example").indications == []


def _rule_list(rules, **changes):
    data = {
        "form-TOTAL_FORMS": str(len(rules)),
        "form-INITIAL_FORMS": str(len(rules)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, rule in enumerate(rules):
        data[f"form-{index}-id"] = str(rule.pk)
        if rule.active:
            data[f"form-{index}-active"] = "on"
    return {**data, **changes}


def test_administrator_switches_screening_rules_on_and_off_in_the_list(client_for, administrator):
    sync_default_rules()
    rules = list(ScreeningRule.objects.all())
    client = client_for(administrator)
    url = reverse("admin:patients_screeningrule_changelist")
    response = client.post(url, _rule_list(rules, **{"form-0-active": ""}))
    assert response.status_code == 302
    assert not ScreeningRule.objects.get(pk=rules[0].pk).active
    # A row that names no rule (another tab deleted it, or the id was tampered with) is an error on the
    # list, not a server error, and nothing is saved.
    for bad_id in ("abc", "", "999999", "-1"):
        data = _rule_list(rules, **{"form-0-id": bad_id, "form-1-active": ""})
        response = client.post(url, data)
        assert response.status_code == 200, bad_id
        assert "Please correct the error" in response.content.decode()
    assert ScreeningRule.objects.get(pk=rules[1].pk).active
