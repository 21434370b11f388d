"""Each layer's settings (clinic.models.SingletonSettings): one row each, edited by an administrator in
Django admin under its own app, cached by ``load()`` and kept in history."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.models import AssessmentSettings
from clinic.models import ClinicSettings
from patients.models import PatientSettings
from sessions.models import ChartingSettings, SchedulingSettings

PAGES = [
    (ClinicSettings, "admin:clinic_clinicsettings", ("name", "crisis_line", "staff_idle_minutes")),
    (
        PatientSettings,
        "admin:patients_patientsettings",
        ("intake_self_verification", "invitation_valid_hours"),
    ),
    (AssessmentSettings, "admin:assessments_assessmentsettings", ("outcome_min_followups",)),
    (
        SchedulingSettings,
        "admin:treatment_sessions_schedulingsettings",
        (
            "reminder_hours",
            "sms_reminders",
            "quiet_hours_start",
            "quiet_hours_end",
            "cancellation_window_hours",
            "questionnaire_reminder_days",
        ),
    ),
    (
        ChartingSettings,
        "admin:treatment_sessions_chartingsettings",
        ("max_mg_per_kg", "hold_spo2_below", "caution_spo2_below", "hold_temp_c", "alert_sbp_below"),
    ),
]


@pytest.mark.parametrize(("model", "admin_url", "fields"), PAGES)
def test_administrator_edits_each_layer_s_settings_on_its_own_page(
    client_for, administrator, model, admin_url, fields
):
    client = client_for(administrator)
    current = model.load()
    page = client.get(reverse(f"{admin_url}_change", args=[current.pk])).content.decode()
    for field in fields:
        assert f'name="{field}"' in page
    # The list opens the one row's form.
    listed = client.get(reverse(f"{admin_url}_changelist"))
    assert listed["Location"] == reverse(f"{admin_url}_change", args=[current.pk])
    assert client.get(reverse(f"{admin_url}_history", args=[current.pk])).status_code == 200
    # One row: no second one, and it cannot be deleted.
    assert client.get(reverse(f"{admin_url}_add")).status_code == 403
    assert client.get(reverse(f"{admin_url}_delete", args=[current.pk])).status_code == 403


@pytest.mark.parametrize("model", [model for model, _url, _fields in PAGES])
def test_settings_are_one_row_cached_under_their_own_key_and_kept_in_history(db, model):
    first = model.load()
    assert first.pk == 1
    second = model()
    second.save()  # always row 1
    assert model.objects.count() == 1
    assert model.load().pk == 1
    assert len({m.cache_key() for m, _url, _fields in PAGES}) == len(PAGES)
    assert model.history.count() == 2


def test_a_scheduling_change_reaches_load_at_once(db):
    current = SchedulingSettings.load()
    current.reminder_hours = "48,2,24"
    current.save()
    assert SchedulingSettings.load().reminder_offsets == [48, 24, 2]


def test_inconsistent_charting_thresholds_are_refused(db):
    current = ChartingSettings.load()
    current.caution_spo2_below = 90  # below the hold level of 92: a caution that can never show
    with pytest.raises(ValidationError) as error:
        current.full_clean()
    assert "The SpO2 hold level must not be above the caution level." in str(error.value)
