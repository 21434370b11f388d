"""The controlled-substance ledger report for a date range: each vial's opening and closing balance and
what moved it, every entry made in the range with its number on its vial's record and its corrections,
and the report's CSV rows. It only reads; the screens (views.py) turn it into HTML, CSV and PDF
responses, and every change goes through entries.py."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from sessions.models import LedgerEntry, Vial

CENT = Decimal("0.01")


def cents(value):
    """A volume in mL as the ledger shows it: to the cent."""
    # SQLite hands sums and subqueries back with float noise (8.40000000000000); the ledger keeps
    # cents, and "+ 0" turns a -0.00 into 0.00.
    return Decimal(value).quantize(CENT) + 0


def line_numbers(rows):
    """{entry pk: its number on its vial's record} for (pk, vial_id) rows in ledger order: the line
    numbers of a paper register, 1, 2, 3… per vial, without the gaps a database sequence may have."""
    numbers, seen = {}, defaultdict(int)
    for pk, vial_id in rows:
        seen[vial_id] += 1
        numbers[pk] = seen[vial_id]
    return numbers


@dataclass
class LedgerReport:
    start: date
    end: date
    entries: list  # LedgerEntry, each with .number, .corrects_number and .corrected_by_numbers
    vials: list  # Vial, each with .opening, .received, .given, .wasted, .adjusted, .closing, .adds_up


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _balance_before(moment):
    last = (
        LedgerEntry.objects.filter(vial=OuterRef("pk"), created_at__lt=moment)
        .order_by("-created_at", "-pk")
        .values("balance_after_ml")[:1]
    )
    volume = DecimalField(max_digits=7, decimal_places=2)
    return Coalesce(Subquery(last, output_field=volume), Value(Decimal("0")), output_field=volume)


def build_report(first_day, last_day):
    """Every entry made between the two days (inclusive, in the clinic's time zone) and, for each vial
    that held stock or moved in that time, its opening and closing balance and what moved it."""
    start, end = _midnight(first_day), _midnight(last_day + timedelta(days=1))
    in_range = LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    vials = list(
        Vial.objects.annotate(
            opening=_balance_before(start),
            closing=_balance_before(end),
            moved=Exists(in_range.filter(vial=OuterRef("pk"))),
        )
        .filter(Q(opening__gt=0) | Q(moved=True))
        .order_by("drug", "concentration_mg_per_ml", "lot", "received_at")
    )
    totals = defaultdict(Decimal)
    for row in in_range.order_by().values("vial_id", "kind").annotate(total=Sum("change_ml")):
        totals[row["vial_id"], row["kind"]] = row["total"]
    kinds = LedgerEntry.Kind
    for vial in vials:
        vial.opening, vial.closing = cents(vial.opening), cents(vial.closing)
        vial.received = cents(totals[vial.pk, kinds.RECEIPT])
        vial.given = cents(-totals[vial.pk, kinds.ADMINISTRATION])
        vial.wasted = cents(-totals[vial.pk, kinds.WASTE])
        vial.adjusted = cents(totals[vial.pk, kinds.COUNT] + totals[vial.pk, kinds.CORRECTION])
        vial.adds_up = vial.opening + vial.received - vial.given - vial.wasted + vial.adjusted == vial.closing

    entries = list(
        in_range.select_related("vial", "recorded_by", "witness", "patient").order_by("created_at", "pk")
    )
    ledger_order = LedgerEntry.objects.filter(vial__in=in_range.values("vial_id")).order_by(
        "vial_id", "created_at", "pk"
    )
    numbers = line_numbers(ledger_order.values_list("pk", "vial_id"))
    corrected_by = defaultdict(list)
    for pk, corrects_id in ledger_order.filter(corrects__isnull=False).values_list("pk", "corrects_id"):
        corrected_by[corrects_id].append(numbers[pk])
    for entry in entries:
        entry.number = numbers[entry.pk]
        entry.corrects_number = numbers.get(entry.corrects_id)
        entry.corrected_by_numbers = corrected_by.get(entry.pk, [])
    return LedgerReport(start=first_day, end=last_day, entries=entries, vials=vials)


# The CSV ---------------------------------------------------------------------------------------------

CSV_HEADER = [
    "Date and time",
    "Drug",
    "Form",
    "Concentration (mg/mL)",
    "Lot",
    "Expiry",
    "Vial",
    "Entry no. on vial",
    "Kind",
    "Change (mL)",
    "Change (mg)",
    "Balance after (mL)",
    "Counted (mL)",
    "Patient",
    "Recorded by",
    "Witness",
    "Reason",
    "Corrects entry no.",
    "Corrected by entry no.",
]


def _cell(text):
    """Text as a spreadsheet shows it, never as a formula (=, +, -, @ at the start)."""
    text = str(text or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(report):
    """One row per entry of the report, in CSV_HEADER's order; no query beyond build_report's."""
    for entry in report.entries:
        vial = entry.vial
        yield [
            timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S %Z"),
            _cell(vial.drug),
            _cell(vial.form),
            vial.concentration_mg_per_ml,
            _cell(vial.lot),
            vial.expiry.isoformat(),
            vial.external_id,
            entry.number,
            entry.get_kind_display(),
            entry.change_ml,
            (entry.change_ml * vial.concentration_mg_per_ml).quantize(Decimal("0.1")),
            entry.balance_after_ml,
            "" if entry.counted_ml is None else entry.counted_ml,
            _cell(entry.patient.full_name if entry.patient else ""),
            _cell(entry.recorded_by),
            _cell(entry.witness or ""),
            _cell(entry.reason),
            entry.corrects_number or "",
            " ".join(str(n) for n in entry.corrected_by_numbers),
        ]
