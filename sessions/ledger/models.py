"""The controlled-substance ledger (ketamine is US Schedule III): vials and append-only entries.

Every entry records the change to one vial's volume and the balance after it; the balance is kept
on the vial under a row lock and can never go below zero (a check constraint backs the service up).
Entries are never edited or deleted: a correction is a new entry that points at the one it corrects.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic.models import ExternalIdModel
from patients.models import Patient


class Vial(ExternalIdModel):
    drug = models.CharField(max_length=100, default="Ketamine hydrochloride")
    form = models.CharField(max_length=60, default="Injection solution, multi-dose vial")
    lot = models.CharField(max_length=60, db_index=True)
    expiry = models.DateField()
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2)
    volume_ml = models.DecimalField("container size (mL)", max_digits=7, decimal_places=2)
    supplier = models.CharField(max_length=120)
    invoice_number = models.CharField(max_length=60)
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    balance_ml = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["expiry", "lot", "received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_ml__gte=0), name="vial_balance_not_negative")
        ]
        # What is on hand, in the ledger's order: every vial ever received stays in the table, and the
        # ledger page, the order form's concentrations and the lot totals read only those with a balance.
        indexes = [
            models.Index(
                fields=["drug", "concentration_mg_per_ml", "expiry", "lot", "received_at"],
                condition=Q(balance_ml__gt=0),
                name="vial_on_hand",
            ),
            models.Index(fields=["lot"], condition=Q(balance_ml__gt=0), name="vial_lot_on_hand"),
        ]

    def __str__(self):
        return f"{self.drug} {self.concentration_mg_per_ml} mg/mL lot {self.lot} ({self.external_id.hex[:6]})"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ADMINISTRATION = "administration", "Administration"
        WASTE = "waste", "Waste"
        COUNT = "count", "Inventory count"
        CORRECTION = "correction", "Correction"

    vial = models.ForeignKey(Vial, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    change_ml = models.DecimalField(max_digits=7, decimal_places=2)
    balance_after_ml = models.DecimalField(max_digits=7, decimal_places=2)
    counted_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=Q(balance_after_ml__gte=0), name="ledger_balance_not_negative")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.change_ml:+} mL"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Ledger entries are never changed; record a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Ledger entries are never deleted; record a correction instead.")
