"""Small things a clinic notices, each fixed where it belongs: one fasting rule told to the patient and
asked on the checklist, plans the booking rules can keep, orders only for concentrations in stock, and
errors in the words of the form."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sessions.charting import dosing, steps
from sessions.charting.checklist import checklist_rows
from sessions.charting.forms import OrderForm, PreSessionForm
from sessions.scheduling.booking import _send_email
from testing.charting import charted_session, stock_vial
from testing.factories import appointment_type, treatment_plan

pytestmark = pytest.mark.django_db


# --- One fasting rule -----------------------------------------------------------------------------


def test_the_fasting_rule_the_patient_is_told_is_the_one_the_nurse_asks(
    client_for, nurse, prescriber, patient_a
):
    kind = appointment_type("iv", 120, name="IV infusion")
    kind.fasting_food_hours = 6
    kind.clear_fluids_until_minutes = 90
    kind.instructions = "Bring someone to drive you home."
    kind.save()
    assert kind.fasting_rule == "nothing to eat for 6 hours, clear fluids until 1 hour 30 minutes before"
    session = charted_session(patient_a, nurse, prescriber, until="started")
    told = "Fasted as told: nothing to eat for 6 hours, clear fluids until 1 hour 30 minutes before"
    assert checklist_rows(session)[0]["item"].label == told
    assert PreSessionForm(session=session)["check_fasting"].label == told

    session.appointment.start = timezone.now() + timedelta(days=1)  # the portal lists upcoming visits
    session.appointment.end = session.appointment.start + timedelta(hours=2)
    session.appointment.status = "scheduled"
    session.appointment.save()
    portal = client_for(patient_a.user).get(reverse("portal:appointments")).content.decode()
    assert "Fasting: nothing to eat for 6 hours, clear fluids until 1 hour 30 minutes before." in portal
    _send_email(session.appointment)
    assert (
        "Fasting: nothing to eat for 6 hours, clear fluids until 1 hour 30 minutes before."
        in mail.outbox[-1].body
    )
    assert "Bring someone to drive you home." in mail.outbox[-1].body


def test_a_visit_without_a_fasting_rule_asks_only_that_the_patient_followed_what_they_were_told(
    nurse, prescriber, patient_a
):
    kind = appointment_type("iv", 120, name="IV infusion")
    kind.fasting_food_hours = None
    kind.clear_fluids_until_minutes = None
    kind.save()
    session = charted_session(patient_a, nurse, prescriber, until="started")
    assert checklist_rows(session)[0]["item"].label == "Fasted as told for this visit"
    assert kind.preparation == ["Bring someone to drive you home."]


# --- Plans the booking rules can keep -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"induction_sessions": 6, "induction_weeks": 2, "max_per_week": 2},
            "induction_weeks",
            "6 sessions at most 2 a week need at least 3 weeks, not 2.",
        ),
        (
            {"max_per_week": 5, "min_hours_between": 48},
            "max_per_week",
            "5 a week cannot be 48 hours apart: at most 4 fit in a week.",
        ),
    ],
)
def test_a_plan_the_booking_rules_cannot_keep_is_refused(prescriber, patient_a, changes, field, message):
    plan = treatment_plan(patient_a, prescriber)
    for name, value in changes.items():
        setattr(plan, name, value)
    with pytest.raises(ValidationError) as error:
        plan.full_clean()
    assert error.value.message_dict[field] == [message]


def test_the_plan_form_shows_why_and_saves_nothing(client_for, prescriber, patient_a):
    kind = appointment_type("iv", 120, name="IV infusion")
    response = client_for(prescriber).post(
        reverse("sessions:plan_create", args=[patient_a.external_id]),
        {
            "appointment_type": kind.pk,
            "protocol": "IV ketamine 0.5 mg/kg over 40 min",
            "induction_sessions": 6,
            "induction_weeks": 2,
            "min_hours_between": 48,
            "max_per_week": 2,
            "mg_per_kg": "0.5",
            "infusion_minutes": 40,
        },
    )
    assert response.status_code == 200
    assert "6 sessions at most 2 a week need at least 3 weeks, not 2." in response.content.decode()
    assert not patient_a.treatment_plans.exists()


# --- Orders for what is in stock, in plain words ------------------------------------------------------


def test_the_order_offers_the_concentrations_in_stock(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="started")
    assert (
        OrderForm(session=session)
        .fields["concentration"]
        .help_text.startswith("No ketamine vial is in stock")
    )
    stock_vial(nurse)
    stock_vial(nurse, concentration_mg_per_ml=Decimal("10"), lot="KET-10")
    stock_vial(
        nurse,
        concentration_mg_per_ml=Decimal("100"),
        lot="KET-OLD",
        expiry=timezone.localdate() - timedelta(days=1),
    )
    form = OrderForm(session=session)
    assert [key for key, _ in form.fields["concentration"].choices] == ["", "10", "50"]
    refused = OrderForm({"mg_per_kg": "0.5", "minutes": "40", "concentration": "100"}, session=session)
    assert not refused.is_valid()
    assert refused.errors["concentration"] == [
        "No vial of 100 mg/mL is in stock: choose one that is, or receive vials in the ledger."
    ]
    assert OrderForm(
        {"mg_per_kg": "0.5", "minutes": "40", "concentration": "50.00"}, session=session
    ).is_valid()


def test_dose_errors_use_the_words_of_the_form(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="started")
    with pytest.raises(dosing.DoseError) as error:
        steps.calculate(session, mg_per_kg="5", minutes=40, concentration="50")
    assert str(error.value).startswith("The dose in mg/kg must be between 0.05 and 2 mg/kg, got 5")
    assert "mg_per_kg" not in str(error.value)
    with pytest.raises(dosing.DoseError) as error:
        steps.calculate(session, mg_per_kg="0.5", minutes=40, concentration="50", final_volume_ml="0.5")
    assert str(error.value) == "The final volume (0.5 mL) must be more than the drug volume (0.72 mL)."
