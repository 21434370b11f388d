"""Controlled-substance ledger: receive, administer, waste (witnessed), count, correct.

Each function locks the vial row, computes the new balance, refuses anything that would take it
below zero, and writes one append-only entry with the balance after it, all in one transaction: two
nurses drawing from the same vial at the same moment cannot both overdraw it.
"""

import logging
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum

from clinic.refusals import Refusal
from sessions.models import LedgerEntry, Vial

log = logging.getLogger(__name__)
CENT = Decimal("0.01")


class LedgerError(Refusal):
    """Why an entry was refused; the message is shown as it is."""


def _ml(value, what="volume"):
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise LedgerError(f"The {what} must be a number of mL.") from None
    if not amount.is_finite():
        raise LedgerError(f"The {what} must be a number of mL.")
    return amount


def receive_vial(*, lot, expiry, concentration_mg_per_ml, volume_ml, supplier, invoice_number, by, **extra):
    volume = _ml(volume_ml, "container size")
    if volume <= 0:
        raise LedgerError("The container size must be more than 0 mL.")
    with transaction.atomic():
        vial = Vial.objects.create(
            lot=lot.strip(),
            expiry=expiry,
            concentration_mg_per_ml=concentration_mg_per_ml,
            volume_ml=volume,
            supplier=supplier.strip(),
            invoice_number=invoice_number.strip(),
            received_by=by,
            balance_ml=volume,
            **extra,
        )
        LedgerEntry.objects.create(
            vial=vial,
            kind=LedgerEntry.Kind.RECEIPT,
            change_ml=volume,
            balance_after_ml=volume,
            recorded_by=by,
        )
    return vial


def _append(vial, *, kind, change_ml, by, **fields):
    """Lock the vial, check the balance, write the entry. The caller's checks come first."""
    with transaction.atomic():
        locked = Vial.objects.select_for_update().get(pk=vial.pk)
        balance = locked.balance_ml + change_ml
        if balance < 0:
            raise LedgerError(
                f"Only {locked.balance_ml} mL is left in this vial; {abs(change_ml)} mL cannot be taken from it."
            )
        entry = LedgerEntry.objects.create(
            vial=locked, kind=kind, change_ml=change_ml, balance_after_ml=balance, recorded_by=by, **fields
        )
        Vial.objects.filter(pk=locked.pk).update(balance_ml=balance)
    vial.balance_ml = balance
    log.info("ledger %s entry %s on vial %s", kind, entry.pk, vial.external_id)
    return entry


def administer(vial, *, ml, patient, by):
    amount = _ml(ml)
    if amount <= 0:
        raise LedgerError("The amount given must be more than 0 mL.")
    return _append(vial, kind=LedgerEntry.Kind.ADMINISTRATION, change_ml=-amount, by=by, patient=patient)


def waste(vial, *, ml, by, witness, witness_password, reason):
    """Waste needs a second person who confirms with their own password."""
    amount = _ml(ml)
    if amount <= 0:
        raise LedgerError("The amount wasted must be more than 0 mL.")
    if witness is None or witness.pk == by.pk:
        raise LedgerError("A different staff member must witness the waste.")
    if not witness.is_active or not witness.check_password(witness_password or ""):
        raise LedgerError("The witness's password is not correct.")
    if not (reason or "").strip():
        raise LedgerError("Say why the remainder is wasted.")
    return _append(
        vial, kind=LedgerEntry.Kind.WASTE, change_ml=-amount, by=by, witness=witness, reason=reason.strip()
    )


def count(vial, *, counted_ml, by, reason=""):
    """An inventory count; a difference from the running balance is recorded with its reason."""
    counted = _ml(counted_ml, "counted volume")
    if counted < 0:
        raise LedgerError("A counted volume cannot be negative.")
    with transaction.atomic():
        locked = Vial.objects.select_for_update().get(pk=vial.pk)
        difference = counted - locked.balance_ml
        if difference and not (reason or "").strip():
            raise LedgerError(
                f"The count differs from the ledger by {difference:+} mL: record the reason for the discrepancy."
            )
        return _append(
            locked,
            kind=LedgerEntry.Kind.COUNT,
            change_ml=difference,
            by=by,
            counted_ml=counted,
            reason=(reason or "").strip(),
        )


def correct(entry, *, change_ml, by, reason):
    """A correction is a new entry that references the one it corrects."""
    amount = _ml(change_ml, "correction")
    if not amount:
        raise LedgerError("A correction must change the balance.")
    if not (reason or "").strip():
        raise LedgerError("Say what the correction corrects.")
    return _append(
        entry.vial,
        kind=LedgerEntry.Kind.CORRECTION,
        change_ml=amount,
        by=by,
        corrects=entry,
        reason=reason.strip(),
    )


def lots_on_hand(limit):
    """The first `limit` lots (by name) with some volume on hand over all their vials, as (lot, mL)
    pairs, and how many such lots there are in all: summed by the database, so the page costs the
    same however many lots the clinic has received over the years."""
    # Balances are never negative, so a lot has something on hand exactly when one of its vials does.
    on_hand = Vial.objects.filter(balance_ml__gt=0)
    lots = on_hand.values("lot").annotate(total=Sum("balance_ml")).order_by("lot")
    return [(row["lot"], row["total"]) for row in lots[:limit]], on_hand.values("lot").distinct().count()


def replayed_balance(vial):
    """The balance recomputed from the entries, to check the running balance against."""
    return vial.entries.aggregate(total=Sum("change_ml"))["total"] or Decimal("0")
