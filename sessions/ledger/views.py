"""Screens for the controlled-substance ledger (ketamine is US Schedule III): the vials on hand, receiving
vials, one vial's record with waste, counts and corrections, and the report for a date range (HTML,
CSV, PDF). Every change goes through entries.py and the report is computed in report.py; these views
only show and ask."""

import csv
import logging
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.db import transaction
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
    correct,
    count,
    lots_on_hand,
    receive_vial,
    replayed_balance,
    waste,
)
from sessions.ledger.forms import CorrectionForm, CountForm, LedgerReportForm, ReceiveVialForm, WasteForm
from sessions.ledger.report import CSV_HEADER, build_report, cents, csv_rows, line_numbers
from sessions.models import Vial

log = logging.getLogger(__name__)

VIALS_PER_PAGE = 50
LOTS_SHOWN = 50
PREVIEW_ROWS = 500
SHOW = {
    "stock": "In stock (expired ones marked)",
    "usable": "Usable: not empty, not expired",
    "all": "All vials, empty ones too",
}
SENT_TWICE = "This form was sent twice; it was recorded once."


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
    lots, lot_count = lots_on_hand(LOTS_SHOWN)
    return render(
        request,
        "sessions/ledger/ledger.html",
        {
            "page": page,
            "show": show,
            "show_choices": SHOW.items(),
            "today": today,
            "lots": [(lot, cents(total)) for lot, total in lots],
            "more_lots": lot_count - len(lots),
        },
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


def _vial_page(request, vial, **bound_forms):
    entries = list(vial.entries.select_related("recorded_by", "witness", "patient"))
    numbers = line_numbers((entry.pk, entry.vial_id) for entry in entries)
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
        "replayed": cents(replayed_balance(vial)),
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
    numbers = line_numbers(entries)
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


def _csv_response(report, filename):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(report))
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
