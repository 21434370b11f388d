"""The ledger screens: the vials on hand, receiving, waste with a witness, counts and corrections, who may
do what; and a nurse's walk-through in Chromium (tablet-sized)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic import roles
from sessions.ledger.entries import administer, receive_vial, waste
from sessions.models import LedgerEntry, Vial
from testing.factories import TEST_PASSWORD, UserFactory

NEXT_YEAR = timezone.localdate() + timedelta(days=365)


def a_vial(by, *, lot="K2611A", volume="10", expiry=NEXT_YEAR, concentration="50"):
    return receive_vial(
        lot=lot,
        expiry=expiry,
        concentration_mg_per_ml=Decimal(concentration),
        volume_ml=volume,
        supplier="Example Pharma",
        invoice_number="INV-1001",
        by=by,
    )


@pytest.fixture
def vial(nurse):
    return a_vial(nurse)


def vial_url(vial, action=None):
    name = f"sessions:vial_{action}" if action else "sessions:vial"
    return reverse(name, args=[vial.external_id])


def delivery(**changes):
    data = {
        "drug": "Ketamine hydrochloride",
        "form": "Injection solution, multi-dose vial",
        "lot": "K2611B",
        "expiry": NEXT_YEAR.isoformat(),
        "concentration_mg_per_ml": "50",
        "volume_ml": "10",
        "supplier": "Example Pharma",
        "invoice_number": "INV-2002",
        "number_of_vials": "",
    }
    return data | changes


def waste_of(witness, **changes):
    data = {
        "ml": "0.3",
        "reason": "Remainder of the drawn dose",
        "witness": witness.pk,
        "witness_password": TEST_PASSWORD,
    } | changes
    return prefixed("waste", data)


def prefixed(prefix, data):
    return {f"{prefix}-{key}": value for key, value in data.items()}


# Who may use the ledger -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["front_desk", "therapist"])
def test_front_desk_and_therapists_cannot_see_the_ledger(request, client_for, vial, who):
    client = client_for(request.getfixturevalue(who))
    for url in (
        reverse("sessions:ledger"),
        reverse("sessions:receive_vial"),
        reverse("sessions:ledger_report"),
        vial_url(vial),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(vial_url(vial, "count"), prefixed("count", {"counted_ml": "10"})).status_code == 403
    assert vial.entries.count() == 1


def test_front_desk_cannot_see_the_ledger(client_for, front_desk):
    response = client_for(front_desk).get(reverse("sessions:ledger"))
    assert response.status_code == 403
    assert "Ledger" not in client_for(front_desk).get(reverse("patients:list")).content.decode()


def test_a_patient_login_cannot_see_the_ledger(client_for, patient_a, vial):
    client = client_for(patient_a.user)
    assert client.get(reverse("sessions:ledger")).status_code == 403
    assert client.get(vial_url(vial)).status_code == 403


def test_nurse_finds_the_ledger_in_the_menu(client_for, nurse):
    page = client_for(nurse).get(reverse("patients:list")).content.decode()
    assert f'href="{reverse("sessions:ledger")}">Ledger</a>' in page


def test_administrator_reads_the_ledger_but_records_nothing(client_for, administrator, prescriber, vial):
    client = client_for(administrator)
    assert client.get(reverse("sessions:ledger")).status_code == 200
    page = client.get(vial_url(vial))
    assert page.status_code == 200
    assert "Record waste" not in page.content.decode()
    assert client.get(reverse("sessions:ledger_report")).status_code == 200
    assert client.get(reverse("sessions:receive_vial")).status_code == 403
    assert client.post(reverse("sessions:receive_vial"), delivery()).status_code == 403
    assert client.post(vial_url(vial, "waste"), waste_of(prescriber)).status_code == 403
    assert Vial.objects.count() == 1 and vial.entries.count() == 1


def test_entries_are_recorded_by_post_only(client_for, nurse, vial):
    client = client_for(nurse)
    for action in ("waste", "count", "correct"):
        assert client.get(vial_url(vial, action)).status_code == 405


def test_an_unknown_vial_is_a_404(client_for, nurse):
    assert client_for(nurse).get(reverse("sessions:vial", args=[Vial().external_id])).status_code == 404


# Receiving ---------------------------------------------------------------------------------------------


def test_nurse_can_receive_vials(client_for, nurse):
    client = client_for(nurse)
    response = client.post(reverse("sessions:receive_vial"), delivery(number_of_vials="3"))
    assert response.status_code == 302 and response["Location"] == reverse("sessions:ledger")
    vials = list(Vial.objects.all())
    assert len(vials) == 3
    assert len({v.external_id for v in vials}) == 3
    for received in vials:
        assert (received.lot, received.balance_ml, received.received_by) == (
            "K2611B",
            Decimal("10.00"),
            nurse,
        )
        assert (received.supplier, received.invoice_number, received.expiry) == (
            "Example Pharma",
            "INV-2002",
            NEXT_YEAR,
        )
        receipt = received.entries.get()
        assert (receipt.kind, receipt.change_ml, receipt.recorded_by) == ("receipt", Decimal("10.00"), nurse)
    page = client.get(response["Location"]).content.decode()
    assert "Received 3 vials of lot K2611B, 10.00 mL each." in page


def test_receiving_one_vial_opens_its_page(client_for, prescriber):
    client = client_for(prescriber)
    response = client.post(
        reverse("sessions:receive_vial"), delivery(drug="Ketamine HCl", concentration_mg_per_ml="100")
    )
    received = Vial.objects.get()
    assert response["Location"] == vial_url(received)
    assert (received.drug, received.concentration_mg_per_ml) == ("Ketamine HCl", Decimal("100.00"))
    page = client.get(response["Location"]).content.decode()
    assert "Received 1 vial of lot K2611B: 10.00 mL." in page
    assert "Ketamine HCl 100 mg/mL" in page


def test_the_receive_form_has_the_model_defaults(client_for, nurse):
    form = client_for(nurse).get(reverse("sessions:receive_vial")).context["form"]
    assert form["drug"].value() == "Ketamine hydrochloride"
    assert form["form"].value() == "Injection solution, multi-dose vial"
    assert form["number_of_vials"].value() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"expiry": (date.today() - timedelta(days=2)).isoformat()}, "expiry", "expiry date has passed"),
        ({"expiry": "31/31/2027"}, "expiry", "Enter a valid date"),
        ({"expiry": "2099-01-01"}, "expiry", "more than ten years away"),
        ({"concentration_mg_per_ml": "fifty"}, "concentration_mg_per_ml", "Enter a number"),
        ({"concentration_mg_per_ml": "0"}, "concentration_mg_per_ml", "greater than or equal to 0.01"),
        ({"volume_ml": "0"}, "volume_ml", "greater than or equal to 0.01"),
        ({"volume_ml": "-10"}, "volume_ml", "greater than or equal to 0.01"),
        ({"volume_ml": "10.005"}, "volume_ml", "no more than 2 decimal places"),
        ({"volume_ml": "1e400"}, "volume_ml", "no more than 7 digits"),
        ({"volume_ml": "NaN"}, "volume_ml", "Enter a number"),
        ({"number_of_vials": "0"}, "number_of_vials", "greater than or equal to 1"),
        ({"number_of_vials": "51"}, "number_of_vials", "less than or equal to 50"),
        ({"number_of_vials": "two"}, "number_of_vials", "Enter a whole number"),
        ({"lot": "  "}, "lot", "required"),
        ({"invoice_number": ""}, "invoice_number", "required"),
    ],
)
def test_bad_delivery_input_is_explained_on_the_form(client_for, nurse, changes, field, message):
    response = client_for(nurse).post(reverse("sessions:receive_vial"), delivery(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not Vial.objects.exists() and not LedgerEntry.objects.exists()


def test_a_delivery_sent_twice_is_received_once(client_for, nurse):
    client = client_for(nurse)
    once = client.get(reverse("sessions:receive_vial")).context["form"]["once"].value()
    data = delivery(number_of_vials="2", once=once)
    client.post(reverse("sessions:receive_vial"), data)
    second = client.post(reverse("sessions:receive_vial"), data, follow=True)
    assert Vial.objects.count() == 2
    assert "sent twice; it was recorded once" in second.content.decode()


def test_a_delivery_whose_sent_once_token_was_tampered_with_is_still_received_once(client_for, nurse):
    # The token becomes a cache key: right-to-left marks and emoji in it are no server error.
    client = client_for(nurse)
    data = delivery(once="\u202e\U0001f9ea" + "x" * 300)
    client.post(reverse("sessions:receive_vial"), data)
    second = client.post(reverse("sessions:receive_vial"), data, follow=True)
    assert Vial.objects.count() == 1
    assert "sent twice; it was recorded once" in second.content.decode()


# The ledger page ----------------------------------------------------------------------------------------


def test_the_ledger_lists_vials_with_their_balances_and_lots(client_for, nurse, patient_a):
    usable = a_vial(nurse, lot="LOT-USABLE")
    a_vial(nurse, lot="LOT-USABLE", volume="5")
    expired = a_vial(nurse, lot="LOT-EXPIRED", expiry=timezone.localdate() - timedelta(days=1))
    empty = a_vial(nurse, lot="LOT-EMPTY", volume="1")
    administer(empty, ml="1", patient=patient_a, by=nurse)
    administer(usable, ml="2.5", patient=patient_a, by=nurse)
    a_vial(nurse, lot="LOT-OTHER", concentration="100")
    client = client_for(nurse)

    page = client.get(reverse("sessions:ledger"))
    shown = {v.lot for v in page.context["page"].object_list}
    assert shown == {"LOT-USABLE", "LOT-EXPIRED", "LOT-OTHER"}
    html = page.content.decode()
    assert re.search(r"expired</span>", html)
    assert "Ketamine hydrochloride 50 mg/mL" in html and "Ketamine hydrochloride 100 mg/mL" in html
    assert "7.50 mL" in html and vial_url(usable) in html and vial_url(expired) in html
    assert dict(page.context["lots"]) == {
        "LOT-USABLE": Decimal("12.50"),
        "LOT-EXPIRED": Decimal("10.00"),
        "LOT-OTHER": Decimal("10.00"),
    }

    usable_only = client.get(reverse("sessions:ledger"), {"show": "usable"}).context["page"].object_list
    assert {v.lot for v in usable_only} == {"LOT-USABLE", "LOT-OTHER"}
    everything = client.get(reverse("sessions:ledger"), {"show": "all"}).context["page"].object_list
    assert {v.lot for v in everything} == {"LOT-USABLE", "LOT-EXPIRED", "LOT-EMPTY", "LOT-OTHER"}
    assert client.get(reverse("sessions:ledger"), {"show": "nonsense", "page": "x"}).status_code == 200


def test_the_ledger_page_uses_a_fixed_number_of_queries(client_for, nurse, django_assert_max_num_queries):
    for n in range(3):
        a_vial(nurse, lot=f"A{n}")
    client = client_for(nurse)
    client.get(reverse("sessions:ledger"))
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("sessions:ledger"))
    for n in range(60):
        a_vial(nurse, lot=f"B{n}", concentration="100" if n % 2 else "50")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("sessions:ledger"), {"page": 2})
    assert len(response.context["page"].object_list) == 13
    assert "Page 2 of 2 · 63 vials" in response.content.decode()


# Waste ---------------------------------------------------------------------------------------------------


def test_nurse_records_waste_witnessed_by_a_prescriber(client_for, nurse, prescriber, vial):
    client = client_for(nurse)
    response = client.post(vial_url(vial, "waste"), waste_of(prescriber))
    assert response.status_code == 302 and response["Location"] == vial_url(vial)
    entry = vial.entries.last()
    assert (entry.kind, entry.change_ml, entry.balance_after_ml) == (
        "waste",
        Decimal("-0.30"),
        Decimal("9.70"),
    )
    assert (entry.recorded_by, entry.witness, entry.reason) == (
        nurse,
        prescriber,
        "Remainder of the drawn dose",
    )
    page = client.get(vial_url(vial)).content.decode()
    assert f"Recorded 0.30 mL wasted, witnessed by {prescriber}. Balance 9.70 mL." in page
    assert "-0.30 mL" in page and str(prescriber) in page


def test_waste_with_wrong_witness_password_records_nothing(client_for, nurse, prescriber, vial, caplog):
    response = client_for(nurse).post(
        vial_url(vial, "waste"), waste_of(prescriber, witness_password="not-their-password")
    )
    assert response.status_code == 200
    assert "The witness&#x27;s password is not correct." in response.content.decode()
    assert vial.entries.count() == 1
    vial.refresh_from_db()
    assert vial.balance_ml == Decimal("10.00")
    assert 'value="not-their-password"' not in response.content.decode()
    assert any("witness password" in r.getMessage() for r in caplog.records)


def test_the_witness_is_another_active_staff_member(
    client_for, nurse, prescriber, therapist, patient_a, vial
):
    UserFactory(email="left@test.example", roles=[roles.NURSE], is_active=False)
    form = client_for(nurse).get(vial_url(vial)).context["waste_form"]
    witnesses = set(form.fields["witness"].queryset)
    assert prescriber in witnesses and therapist in witnesses
    assert nurse not in witnesses and patient_a.user not in witnesses
    assert not any(user.email == "left@test.example" for user in witnesses)
    response = client_for(nurse).post(vial_url(vial, "waste"), waste_of(nurse))
    assert "witness" in response.context["waste_form"].errors
    assert vial.entries.count() == 1


def test_wrong_witness_passwords_are_limited_like_failed_sign_ins(client_for, nurse, prescriber, vial):
    client = client_for(nurse)
    for _ in range(5):
        client.post(vial_url(vial, "waste"), waste_of(prescriber, witness_password="guess"))
    response = client.post(vial_url(vial, "waste"), waste_of(prescriber))
    assert "Too many wrong passwords for this witness" in response.content.decode()
    assert vial.entries.count() == 1


def test_waste_needs_a_reason_and_a_positive_amount(client_for, nurse, prescriber, vial):
    client = client_for(nurse)
    for changes, field in (({"reason": "  "}, "reason"), ({"ml": "0"}, "ml"), ({"ml": "a lot"}, "ml")):
        response = client.post(vial_url(vial, "waste"), waste_of(prescriber, **changes))
        assert field in response.context["waste_form"].errors
    assert vial.entries.count() == 1


def test_waste_beyond_the_balance_is_refused_with_the_ledgers_words(client_for, nurse, prescriber, vial):
    response = client_for(nurse).post(vial_url(vial, "waste"), waste_of(prescriber, ml="10.5"))
    assert response.status_code == 200
    assert (
        "Only 10.00 mL is left in this vial; 10.50 mL cannot be taken from it." in response.content.decode()
    )
    assert vial.entries.count() == 1


def test_a_waste_form_sent_twice_records_once(client_for, nurse, prescriber, vial):
    client = client_for(nurse)
    data = waste_of(prescriber, once="a-token-from-the-page")
    client.post(vial_url(vial, "waste"), data)
    client.post(vial_url(vial, "waste"), data)
    assert vial.entries.filter(kind="waste").count() == 1


def test_a_refused_form_can_be_sent_again_once_corrected(client_for, nurse, prescriber, vial):
    client = client_for(nurse)
    client.post(vial_url(vial, "waste"), waste_of(prescriber, ml="11", once="same-form"))
    client.post(vial_url(vial, "waste"), waste_of(prescriber, ml="1", once="same-form"))
    assert vial.entries.filter(kind="waste").get().change_ml == Decimal("-1.00")


# Counts -------------------------------------------------------------------------------------------------


def test_a_count_discrepancy_without_a_reason_is_refused(client_for, nurse, vial):
    response = client_for(nurse).post(
        vial_url(vial, "count"), prefixed("count", {"counted_ml": "9.8", "reason": ""})
    )
    assert response.status_code == 200
    assert "The count differs from the ledger by -0.20 mL" in response.content.decode()
    assert vial.entries.count() == 1


def test_a_count_records_a_discrepancy_with_its_reason(client_for, nurse, vial):
    client = client_for(nurse)
    client.post(
        vial_url(vial, "count"),
        prefixed("count", {"counted_ml": "9.8", "reason": "Spill during draw, reported"}),
    )
    entry = vial.entries.last()
    assert (entry.kind, entry.counted_ml, entry.change_ml, entry.balance_after_ml) == (
        "count",
        Decimal("9.80"),
        Decimal("-0.20"),
        Decimal("9.80"),
    )
    page = client.get(vial_url(vial)).content.decode()
    assert "Count recorded: 9.80 mL, -0.20 mL against the ledger." in page
    assert "Spill during draw, reported" in page


def test_a_matching_count_needs_no_reason(client_for, nurse, vial):
    response = client_for(nurse).post(
        vial_url(vial, "count"), prefixed("count", {"counted_ml": "10"}), follow=True
    )
    assert "Count recorded: 10.00 mL, as the ledger says." in response.content.decode()
    assert vial.entries.last().change_ml == 0


def test_a_count_must_be_a_volume(client_for, nurse, vial):
    for counted in ("", "-1", "ten"):
        response = client_for(nurse).post(vial_url(vial, "count"), prefixed("count", {"counted_ml": counted}))
        assert "counted_ml" in response.context["count_form"].errors
    assert vial.entries.count() == 1


# Corrections ----------------------------------------------------------------------------------------------


def test_corrections_show_both_ways(client_for, nurse, patient_a, vial):
    given = administer(vial, ml="1.0", patient=patient_a, by=nurse)
    client = client_for(nurse)
    response = client.post(
        vial_url(vial, "correct"),
        prefixed("correction", {"entry": given.pk, "change_ml": "0.5", "reason": "0.5 mL given, not 1.0 mL"}),
    )
    assert response.status_code == 302
    fix = vial.entries.last()
    assert (fix.kind, fix.corrects, fix.change_ml, fix.balance_after_ml) == (
        "correction",
        given,
        Decimal("0.50"),
        Decimal("9.50"),
    )
    given.refresh_from_db()
    assert given.change_ml == Decimal("-1.00")
    page = client.get(vial_url(vial))
    html = page.content.decode()
    assert "Correction of #2 recorded: +0.50 mL, balance 9.50 mL." in html
    assert "corrects #2" in html and "corrected by #3" in html
    assert reverse("patients:detail", args=[patient_a.external_id]) in html
    assert patient_a.full_name in html
    assert [e.number for e in page.context["entries"]] == [1, 2, 3]


def test_a_correction_must_change_the_balance_and_say_why(client_for, nurse, vial):
    receipt = vial.entries.get()
    client = client_for(nurse)
    response = client.post(
        vial_url(vial, "correct"),
        prefixed("correction", {"entry": receipt.pk, "change_ml": "0", "reason": "x"}),
    )
    assert "A correction must change the balance." in response.content.decode()
    response = client.post(
        vial_url(vial, "correct"),
        prefixed("correction", {"entry": receipt.pk, "change_ml": "-1", "reason": ""}),
    )
    assert "reason" in response.context["correction_form"].errors
    response = client.post(
        vial_url(vial, "correct"),
        prefixed("correction", {"entry": receipt.pk, "change_ml": "-11", "reason": "x"}),
    )
    assert "Only 10.00 mL is left" in response.content.decode()
    assert vial.entries.count() == 1


def test_a_correction_cannot_point_at_another_vials_entry(client_for, nurse, vial):
    other = a_vial(nurse, lot="OTHER")
    response = client_for(nurse).post(
        vial_url(vial, "correct"),
        prefixed("correction", {"entry": other.entries.get().pk, "change_ml": "-1", "reason": "x"}),
    )
    assert "entry" in response.context["correction_form"].errors
    assert LedgerEntry.objects.filter(kind="correction").count() == 0


def test_the_vial_page_shows_the_whole_record(client_for, nurse, prescriber, patient_a, vial):
    administer(vial, ml="0.7", patient=patient_a, by=nurse)
    waste(vial, ml="0.3", by=nurse, witness=prescriber, witness_password=TEST_PASSWORD, reason="Rest of dose")
    page = client_for(prescriber).get(vial_url(vial))
    html = page.content.decode()
    assert [(e.number, e.kind, e.balance_after_ml) for e in page.context["entries"]] == [
        (1, "receipt", Decimal("10.00")),
        (2, "administration", Decimal("9.30")),
        (3, "waste", Decimal("9.00")),
    ]
    for text in (
        "Example Pharma",
        "INV-1001",
        "K2611A",
        "9.00 mL",
        "Rest of dose",
        "-0.70 mL",
        str(prescriber),
    ):
        assert text in html
    assert "do not draw from it" not in html and "add up to" not in html


def test_an_expired_vial_is_marked_on_its_page(client_for, nurse):
    old = a_vial(nurse, expiry=timezone.localdate() - timedelta(days=3))
    assert "do not draw from it" in client_for(nurse).get(vial_url(old)).content.decode()


# In Chromium, on a tablet ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nurse_receives_vials_records_witnessed_waste_and_downloads_the_report(
    live_server, nurse, prescriber, browser, screenshot, tmp_path
):
    from playwright.sync_api import expect

    from testing.browser import sign_in

    site = live_server.url
    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    tablet.set_default_timeout(10_000)
    page = tablet.new_page()
    sign_in(page, site, nurse.email)
    menu = page.get_by_role("navigation", name="Main")
    menu.get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("heading", name="Controlled-substance ledger")).to_be_visible()
    page.get_by_role("link", name="Receive vials").click()

    page.locator("#id_lot").fill("K2611C")
    page.locator("#id_expiry").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    page.locator("#id_concentration_mg_per_ml").fill("50")
    page.locator("#id_volume_ml").fill("0")
    page.locator("#id_supplier").fill("Example Pharma")
    page.locator("#id_invoice_number").fill("INV-3003")
    page.locator("#id_number_of_vials").fill("2")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("This expiry date has passed")).to_be_visible()
    expect(page.get_by_text("greater than or equal to 0.01")).to_be_visible()
    screenshot(page, "60-ledger-receive-errors")
    assert not Vial.objects.exists()
    page.locator("#id_expiry").fill(NEXT_YEAR.isoformat())
    page.locator("#id_volume_ml").fill("10")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("Received 2 vials of lot K2611C, 10.00 mL each.")).to_be_visible()
    expect(page.locator("table.ledger-vials tbody tr:not(.table-light)")).to_have_count(2)
    screenshot(page, "61-ledger-two-vials")

    page.locator("table.ledger-vials a").first.click()
    expect(page.locator("#vial-balance")).to_have_text("10.00 mL")
    page.locator("#id_waste-ml").fill("0.4")
    page.locator("#id_waste-reason").fill("Remainder of the drawn dose")
    page.locator("#id_waste-witness").select_option(label=str(prescriber))
    page.locator("#id_waste-witness_password").fill("not-the-password")
    page.get_by_role("button", name="Record waste").click()
    expect(page.get_by_text("The witness's password is not correct.")).to_be_visible()
    expect(page.locator("#vial-balance")).to_have_text("10.00 mL")
    screenshot(page, "62-ledger-waste-wrong-password")
    page.locator("#id_waste-witness_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Record waste").click()
    expect(page.get_by_text(f"Recorded 0.40 mL wasted, witnessed by {prescriber}.")).to_be_visible()
    expect(page.locator("#vial-balance")).to_have_text("9.60 mL")
    expect(page.locator("table.ledger-entries tbody tr")).to_have_count(2)

    page.locator("#id_count-counted_ml").fill("9.5")
    page.get_by_role("button", name="Record count").click()
    expect(page.get_by_text("record the reason for the discrepancy")).to_be_visible()
    page.locator("#id_count-reason").fill("Spill at close of business, reported")
    page.get_by_role("button", name="Record count").click()
    expect(page.get_by_text("Count recorded: 9.50 mL, -0.10 mL against the ledger.")).to_be_visible()
    screenshot(page, "63-ledger-vial-after-waste-and-count")
    entry = LedgerEntry.objects.get(kind="waste")
    assert (entry.recorded_by, entry.witness, entry.change_ml) == (nurse, prescriber, Decimal("-0.40"))

    menu.get_by_role("link", name="Ledger").click()
    page.get_by_role("link", name="Report").click()
    expect(page.locator("table.ledger-report tbody tr")).to_have_count(4)
    screenshot(page, "64-ledger-report")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    csv_download.value.save_as(tmp_path / "ledger.csv")
    text = (tmp_path / "ledger.csv").read_text()
    assert text.startswith("Date and time,Drug,")
    assert "Remainder of the drawn dose" in text and text.count("\n") == 5
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    pdf_download.value.save_as(tmp_path / "ledger.pdf")
    assert (tmp_path / "ledger.pdf").read_bytes().startswith(b"%PDF")
    assert pdf_download.value.suggested_filename.startswith("controlled-substance-ledger-")
    tablet.close()
