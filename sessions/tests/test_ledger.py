"""The controlled-substance ledger: balances, witnesses, append-only entries, concurrency."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from conftest import require_service
from sessions.ledger.entries import (
    LedgerError,
    administer,
    correct,
    count,
    lots_on_hand,
    receive_vial,
    replayed_balance,
    waste,
)
from sessions.models import LedgerEntry, Vial
from testing.factories import TEST_PASSWORD


@pytest.fixture
def vial(nurse):
    return receive_vial(
        lot="K2611A",
        expiry=date(2027, 6, 30),
        concentration_mg_per_ml=Decimal("50"),
        volume_ml="10",
        supplier="Example Pharma",
        invoice_number="INV-1001",
        by=nurse,
    )


def test_receiving_a_vial_opens_its_running_balance(vial):
    receipt = vial.entries.get()
    assert (receipt.kind, receipt.change_ml, receipt.balance_after_ml) == (
        "receipt",
        Decimal("10.00"),
        Decimal("10.00"),
    )


def test_administration_and_waste_keep_a_running_balance(vial, nurse, prescriber, patient_a):
    administer(vial, ml="0.7", patient=patient_a, by=nurse)
    waste(
        vial,
        ml="0.3",
        by=nurse,
        witness=prescriber,
        witness_password=TEST_PASSWORD,
        reason="Remainder of the drawn dose",
    )
    vial.refresh_from_db()
    assert vial.balance_ml == Decimal("9.00")
    assert [e.balance_after_ml for e in vial.entries.all()] == [
        Decimal("10.00"),
        Decimal("9.30"),
        Decimal("9.00"),
    ]
    assert replayed_balance(vial) == vial.balance_ml


def test_the_balance_can_never_go_negative(vial, nurse, patient_a):
    administer(vial, ml="9.5", patient=patient_a, by=nurse)
    with pytest.raises(LedgerError, match=r"Only 0\.50 mL is left"):
        administer(vial, ml="0.6", patient=patient_a, by=nurse)
    vial.refresh_from_db()
    assert vial.balance_ml == Decimal("0.50")


@pytest.mark.parametrize(
    ("witness_fixture", "password", "reason", "message"),
    [
        ("nurse", TEST_PASSWORD, "x", "different staff member"),
        ("prescriber", "wrong", "x", "password is not correct"),
        ("prescriber", TEST_PASSWORD, " ", "why the remainder"),
    ],
)
def test_waste_needs_a_different_witness_with_their_own_password(
    request, vial, nurse, witness_fixture, password, reason, message
):
    witness = request.getfixturevalue(witness_fixture)
    with pytest.raises(LedgerError, match=message):
        waste(vial, ml="0.2", by=nurse, witness=witness, witness_password=password, reason=reason)
    assert vial.entries.count() == 1


def test_a_count_records_a_discrepancy_with_its_reason(vial, nurse):
    with pytest.raises(LedgerError, match="discrepancy"):
        count(vial, counted_ml="9.8", by=nurse)
    entry = count(vial, counted_ml="9.8", by=nurse, reason="Spill during draw, reported")
    assert (entry.change_ml, entry.counted_ml, entry.balance_after_ml) == (
        Decimal("-0.20"),
        Decimal("9.80"),
        Decimal("9.80"),
    )
    assert count(vial, counted_ml="9.8", by=nurse).change_ml == 0


def test_entries_are_append_only_and_corrections_reference_what_they_correct(vial, nurse, patient_a):
    given = administer(vial, ml="1.0", patient=patient_a, by=nurse)
    given.change_ml = Decimal("-0.5")
    with pytest.raises(ValidationError):
        given.save()
    with pytest.raises(ValidationError):
        given.delete()
    fix = correct(given, change_ml="0.5", by=nurse, reason="0.5 mL given, not 1.0 mL")
    assert fix.corrects == given and fix.balance_after_ml == Decimal("9.50")
    assert LedgerEntry.objects.filter(pk=given.pk, change_ml=Decimal("-1.00")).exists()


def test_bad_amounts_are_refused_with_a_message(vial, nurse, patient_a):
    for amount in ("abc", "-1", "0", "nan"):
        with pytest.raises(LedgerError):
            administer(vial, ml=amount, patient=patient_a, by=nurse)
    assert vial.entries.count() == 1


def test_balances_add_up_per_lot(vial, nurse, patient_a):
    second = receive_vial(
        lot="K2611A",
        expiry=date(2027, 6, 30),
        concentration_mg_per_ml=50,
        volume_ml="10",
        supplier="Example Pharma",
        invoice_number="INV-1001",
        by=nurse,
    )
    administer(second, ml="2", patient=patient_a, by=nurse)
    assert lots_on_hand(10) == ([("K2611A", Decimal("18.00"))], 1)


def test_the_ledger_lists_the_first_lots_on_hand_and_counts_the_rest(client_for, nurse):
    from sessions.ledger import views

    for number in range(views.LOTS_SHOWN + 2):
        receive_vial(
            lot=f"L{number:04d}",
            expiry=date(2027, 6, 30),
            concentration_mg_per_ml=50,
            volume_ml="10",
            supplier="Example Pharma",
            invoice_number=f"INV-{number}",
            by=nurse,
        )
    page = client_for(nurse).get(reverse("sessions:ledger")).content.decode()
    assert "L0000" in page and f"L{views.LOTS_SHOWN - 1:04d}" in page
    assert f"L{views.LOTS_SHOWN + 1:04d}" not in page.split("On hand by lot")[1]
    assert "2 more lots on hand" in page


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_administrations_cannot_overdraw_a_vial(nurse, prescriber, patient_a):
    require_service(connection.vendor == "postgresql", "the ledger race needs PostgreSQL (set DATABASE_URL)")
    vial = receive_vial(
        lot="RACE",
        expiry=date(2027, 1, 1),
        concentration_mg_per_ml=50,
        volume_ml="3",
        supplier="S",
        invoice_number="I",
        by=nurse,
    )
    barrier = threading.Barrier(5)
    results = []

    def draw():
        from django.db import connections

        try:
            barrier.wait()
            administer(Vial.objects.get(pk=vial.pk), ml="1", patient=patient_a, by=nurse)
            results.append("given")
        except LedgerError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draw) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    vial.refresh_from_db()
    assert results.count("given") == 3 and results.count("refused") == 2
    assert vial.balance_ml == 0 == replayed_balance(vial)
