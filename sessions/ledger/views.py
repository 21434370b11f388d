"""Screens for the controlled-substance ledger (ketamine is US Schedule III): the vials on hand, receiving
vials, one vial's record with waste, counts and corrections, and the report for a date range (HTML,
CSV, PDF). Every change goes through sessions/ledger.py; these views only show and ask."""

import csv
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic import roles
from clinic.models import ClinicSettings
from patients.access import staff_view
from sessions.ledger.entries import (
    LedgerError,
    balance_by_lot,
    correct,
    count,
    receive_vial,
    replayed_balance,
    waste,
)
from sessions.ledger.forms import CorrectionForm, CountForm, LedgerReportForm, ReceiveVialForm, WasteForm
from sessions.models import LedgerEntry, Vial

log = logging.getLogger(__name__)

VIALS_PER_PAGE = 50
PREVIEW_ROWS = 500
SHOW = {
    "stock": "In stock (expired ones marked)",
    "usable": "Usable: not empty, not expired",
    "all": "All vials, empty ones too",
}
SENT_TWICE = "This form was sent twice; it was recorded once."
CENT = Decimal("0.01")


def _ml(value):
    # SQLite hands sums and subqueries back with float noise (8.40000000000000); the ledger keeps
    # cents, and "+ 0" turns a -0.00 into 0.00.
    return Decimal(value).quantize(CENT) + 0


# The ledger and receiving ---------------------------------------------------------------------------


@staff_view(roles.VIEW_LEDGER)
def ledger(request):
    show = request.GET.get("show", "stock")
    if show not in SHOW:
        show = "stock"
    today = timezone.localdate()
    vials = Vial.objects.order_by("drug", "concentration_mg_per_ml", "expiry", "lot", "received_at")
    if show != "all":
        vials = vials.filter(balance_ml__gt=0)
    if show == "usable":
        vials = vials.filter(expiry__gte=today)
    page = Paginator(vials, VIALS_PER_PAGE).get_page(request.GET.get("page"))
    lots = sorted((lot, _ml(total)) for lot, total in balance_by_lot().items() if total > 0)
    return render(
        request,
        "sessions/ledger/ledger.html",
        {"page": page, "show": show, "show_choices": SHOW.items(), "today": today, "lots": lots},
    )


@staff_view(roles.RECEIVE_VIAL)
def receive(request):
    form = ReceiveVialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not form.claim():
            messages.info(request, SENT_TWICE)
            return redirect("sessions:ledger")
        how_many = form.cleaned_data["number_of_vials"]
        try:
            with transaction.atomic():
                vials = [receive_vial(**form.vial_fields(), by=request.user) for _ in range(how_many)]
        except LedgerError as error:
            form.release()
            form.add_error(None, str(error))
        else:
            first = vials[0]
            log.info("received %d vial(s) of lot %s", how_many, first.lot)
            if how_many == 1:
                messages.success(request, f"Received 1 vial of lot {first.lot}: {first.volume_ml} mL.")
                return redirect("sessions:vial", vial_id=first.external_id)
            messages.success(
                request, f"Received {how_many} vials of lot {first.lot}, {first.volume_ml} mL each."
            )
            return redirect("sessions:ledger")
    return render(request, "sessions/ledger/receive.html", {"form": form})


# One vial --------------------------------------------------------------------------------------------


def _line_numbers(rows):
    """{entry pk: its number on its vial's record} for (pk, vial_id) rows in ledger order: the line
    numbers of a paper register, 1, 2, 3… per vial, without the gaps a database sequence may have."""
    numbers, seen = {}, defaultdict(int)
    for pk, vial_id in rows:
        seen[vial_id] += 1
        numbers[pk] = seen[vial_id]
    return numbers


def _vial_page(request, vial, **bound_forms):
    entries = list(vial.entries.select_related("recorded_by", "witness", "patient"))
    numbers = _line_numbers((entry.pk, entry.vial_id) for entry in entries)
    corrected_by = defaultdict(list)
    for entry in entries:
        entry.number = numbers[entry.pk]
        entry.corrects_number = numbers.get(entry.corrects_id)
        if entry.corrects_id:
            corrected_by[entry.corrects_id].append(entry.number)
    for entry in entries:
        entry.corrected_by_numbers = corrected_by.get(entry.pk, [])
    context = {
        "vial": vial,
        "entries": entries,
        "expired": vial.expiry < timezone.localdate(),
        "replayed": _ml(replayed_balance(vial)),
        "can_record": request.user.has_perm(roles.ADD_LEDGER_ENTRY),
    }
    if context["can_record"]:
        context |= {
            "waste_form": bound_forms.get("waste_form") or WasteForm(user=request.user),
            # Blank, not the running balance: a count is what was measured, not a confirmation.
            "count_form": bound_forms.get("count_form") or CountForm(),
            "correction_form": bound_forms.get("correction_form")
            or CorrectionForm(vial=vial, numbers=numbers),
        }
    return render(request, "sessions/ledger/vial.html", context)


def _get_vial(vial_id):
    return get_object_or_404(Vial.objects.select_related("received_by"), external_id=vial_id)


@staff_view(roles.VIEW_LEDGER)
def vial_detail(request, vial_id):
    return _vial_page(request, _get_vial(vial_id))


def _record(request, vial, form, form_name, record, done):
    """Validate, refuse a second sending of the same form, record through the service, redirect."""
    if form.is_valid():
        if not form.claim():
            messages.info(request, SENT_TWICE)
            return redirect("sessions:vial", vial_id=vial.external_id)
        try:
            entry = record(form.cleaned_data)
        except LedgerError as error:
            form.release()
            form.add_error(None, str(error))
        else:
            messages.success(request, done(entry))
            return redirect("sessions:vial", vial_id=vial.external_id)
    return _vial_page(request, vial, **{form_name: form})


@staff_view(roles.ADD_LEDGER_ENTRY)
@require_POST
def vial_waste(request, vial_id):
    vial = _get_vial(vial_id)
    form = WasteForm(request.POST, user=request.user, request=request)
    if form.has_error("witness_password", "wrong_password"):
        log.warning("ledger waste on vial %s refused: wrong witness password", vial.external_id)
    elif form.has_error(NON_FIELD_ERRORS, "too_many_attempts"):
        log.warning("ledger waste on vial %s refused: too many wrong witness passwords", vial.external_id)

    def record(data):
        return waste(
            vial,
            ml=data["ml"],
            by=request.user,
            witness=data["witness"],
            witness_password=data["witness_password"],
            reason=data["reason"],
        )

    def done(entry):
        return (
            f"Recorded {-entry.change_ml} mL wasted, witnessed by {entry.witness}. "
            f"Balance {entry.balance_after_ml} mL."
        )

    return _record(request, vial, form, "waste_form", record, done)


@staff_view(roles.ADD_LEDGER_ENTRY)
@require_POST
def vial_count(request, vial_id):
    vial = _get_vial(vial_id)
    form = CountForm(request.POST)

    def record(data):
        return count(vial, counted_ml=data["counted_ml"], by=request.user, reason=data["reason"])

    def done(entry):
        if entry.change_ml:
            return f"Count recorded: {entry.counted_ml} mL, {entry.change_ml:+} mL against the ledger."
        return f"Count recorded: {entry.counted_ml} mL, as the ledger says."

    return _record(request, vial, form, "count_form", record, done)


@staff_view(roles.ADD_LEDGER_ENTRY)
@require_POST
def vial_correct(request, vial_id):
    vial = _get_vial(vial_id)
    entries = list(vial.entries.values_list("pk", "vial_id"))
    numbers = _line_numbers(entries)
    form = CorrectionForm(request.POST, vial=vial, numbers=numbers)

    def record(data):
        return correct(data["entry"], change_ml=data["change_ml"], by=request.user, reason=data["reason"])

    def done(entry):
        return (
            f"Correction of #{numbers[entry.corrects_id]} recorded: {entry.change_ml:+} mL, "
            f"balance {entry.balance_after_ml} mL."
        )

    return _record(request, vial, form, "correction_form", record, done)


# The report -------------------------------------------------------------------------------------------


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
        vial.opening, vial.closing = _ml(vial.opening), _ml(vial.closing)
        vial.received = _ml(totals[vial.pk, kinds.RECEIPT])
        vial.given = _ml(-totals[vial.pk, kinds.ADMINISTRATION])
        vial.wasted = _ml(-totals[vial.pk, kinds.WASTE])
        vial.adjusted = _ml(totals[vial.pk, kinds.COUNT] + totals[vial.pk, kinds.CORRECTION])
        vial.adds_up = vial.opening + vial.received - vial.given - vial.wasted + vial.adjusted == vial.closing

    entries = list(
        in_range.select_related("vial", "recorded_by", "witness", "patient").order_by("created_at", "pk")
    )
    ledger_order = LedgerEntry.objects.filter(vial__in=in_range.values("vial_id")).order_by(
        "vial_id", "created_at", "pk"
    )
    numbers = _line_numbers(ledger_order.values_list("pk", "vial_id"))
    corrected_by = defaultdict(list)
    for pk, corrects_id in ledger_order.filter(corrects__isnull=False).values_list("pk", "corrects_id"):
        corrected_by[corrects_id].append(numbers[pk])
    for entry in entries:
        entry.number = numbers[entry.pk]
        entry.corrects_number = numbers.get(entry.corrects_id)
        entry.corrected_by_numbers = corrected_by.get(entry.pk, [])
    return LedgerReport(start=first_day, end=last_day, entries=entries, vials=vials)


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


def _csv_response(report, filename):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for entry in report.entries:
        vial = entry.vial
        writer.writerow(
            [
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
        )
    return response


def _pdf_response(report, filename, user):
    from weasyprint import HTML

    html = render_to_string(
        "sessions/ledger/report_pdf.html",
        {
            "report": report,
            "clinic_settings": ClinicSettings.load(),
            "generated_by": f"{user}, {user.credential}" if user.credential else str(user),
            "generated_at": timezone.localtime(),
        },
    )
    response = HttpResponse(HTML(string=html).write_pdf(pdf_tags=True), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response


@staff_view(roles.LEDGER_REPORT)
def ledger_report(request):
    chosen = "start" in request.GET or "end" in request.GET
    defaults = {name: day.isoformat() for name, day in LedgerReportForm.default_range().items()}
    form = LedgerReportForm(request.GET if chosen else defaults)
    if not form.is_valid():
        return render(request, "sessions/ledger/report.html", {"form": form, "report": None})
    report = build_report(form.cleaned_data["start"], form.cleaned_data["end"])
    kind = request.GET.get("format", "html")
    if kind in ("csv", "pdf"):
        log.info(
            "ledger report %s to %s exported as %s by user %s",
            report.start,
            report.end,
            kind,
            request.user.pk,
        )
        filename = f"controlled-substance-ledger-{report.start:%Y-%m-%d}-to-{report.end:%Y-%m-%d}"
        if kind == "csv":
            return _csv_response(report, filename)
        return _pdf_response(report, filename, request.user)
    return render(
        request,
        "sessions/ledger/report.html",
        {
            "form": form,
            "report": report,
            "preview": report.entries[:PREVIEW_ROWS],
            "preview_rows": PREVIEW_ROWS,
            "query": f"start={report.start:%Y-%m-%d}&end={report.end:%Y-%m-%d}",
        },
    )
