"""Stored XSS: whatever users and administrators type comes out escaped on every page, PDF and e-mail.

A payload goes into every text field of every model the project stores (what administrators edit in
Django admin: clinic settings, note templates, instruments, consent documents, screening rules,
appointment types, rooms, follow-up rules, CADSS items, staff names; what staff and patients type:
names, addresses, intake answers, notes, chart entries, reasons, lots), found by walking the models so
that a new field is covered without editing this test, and into the texts inside JSON (instrument
definitions, intake answers, stored findings). Then every page the URLconf walk reaches is opened by
every role and by the patient (htmx fragments too), plus Django admin, the note editor opened with the
poisoned template, the PDFs (the HTML WeasyPrint reads, and the text pdftotext reads back) and the
e-mails. The raw payload must never appear; its escaped form must, where the text is shown.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.core.cache import cache
from django.db import models
from django.urls import reverse
from django.utils import timezone

from clinic import roles
from clinic.models import ClinicSettings, User
from clinic.tests.test_access import give_one_of_everything, project_urls, url_for
from patients.models import ConsentDocument, Patient
from patients.review import sign_consent
from patients.services import invite_to_portal
from sessions.charting import steps
from sessions.integration import followups, notes
from sessions.models import CadssItem, IntegrationNote, NoteTemplate
from sessions.scheduling.booking import dispatch_due
from sessions.tests.test_records import pdf_text
from testing.charting import charted_session
from testing.factories import TEST_PASSWORD, PatientFactory

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SHORT = "<img src=x onerror=alert(3)>"  # for fields of 28 to 51 characters
TINY = "<b onclick=alert(4)>"  # 20 to 27
#: Any of these in HTML means a text went out unescaped.
RAW = ("<script>alert(", "<img src=x onerror", "<b onclick=")
ESCAPED = (
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;img src=x onerror=alert(3)&gt;",
    "&lt;b onclick=alert(4)&gt;",
)

CLINIC_APPS = ("clinic", "patients", "assessments", "treatment_sessions")
#: Text fields that hold codes, keys, secrets or derived values rather than anything typed (or, for
#: phone numbers, are refused unless they are digits and punctuation).
NOT_TYPED = {
    "password",
    "code",
    "version",
    "key",
    "rule",
    "phone_digits",
    "search_name",
    "reminder_hours",
    "phone",
    "emergency_contact_phone",
    "escort_phone",
    "postal_code",
}
#: In JSON, the keys whose values are text someone typed (intake answers, an instrument's wording,
#: findings as they were stored, the REMS form's free text).
TYPED_JSON_KEYS = {
    "name",
    "title",
    "instructions",
    "text",
    "label",
    "message",
    "reason",
    "note",
    "description",
    "details",
    "other",
    "goals",
    "dose",
    "frequency",
    "referring_clinician",
    "referring_contact",
    "concomitant_medications",
}


def payload_for(max_length):
    for payload in (PAYLOAD, SHORT, TINY):
        if max_length is None or len(payload) <= max_length:
            return payload
    return None


def poisoned_json(value):
    if isinstance(value, dict):
        return {
            key: PAYLOAD if key in TYPED_JSON_KEYS and isinstance(item, str) and item else poisoned_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [poisoned_json(item) for item in value]
    return value


def poison_everything():
    """The payload in every stored text, written past save() (signed records refuse changes)."""
    from django.apps import apps

    for label in CLINIC_APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical") or model.__name__ == "AuditEvent":
                continue  # history rows copy the poisoned rows; the audit trail cannot be changed
            texts = [
                field
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField)
                and not isinstance(field, models.EmailField | models.SlugField | models.URLField)
                and not field.choices
                and field.name not in NOT_TYPED
                and payload_for(field.max_length)
            ]
            blobs = [field for field in model._meta.concrete_fields if isinstance(field, models.JSONField)]
            if not texts and not blobs:
                continue
            rows = list(model._default_manager.all())
            for row in rows:
                for field in texts:
                    if field.unique:
                        setattr(
                            row,
                            field.attname,
                            f"{payload_for(field.max_length - 6)}{row.pk:06d}"[: field.max_length],
                        )
                    else:
                        setattr(row, field.attname, payload_for(field.max_length))
                for field in blobs:
                    setattr(row, field.attname, poisoned_json(getattr(row, field.attname)))
            if rows:
                model._default_manager.bulk_update(rows, [field.name for field in texts + blobs])
    cache.clear()  # the settings singletons are cached


def assert_escaped(html, where):
    for raw in RAW:
        assert raw not in html, f"unescaped {raw!r} in {where}"


@pytest.fixture
def poisoned(nurse, prescriber, therapist, patient_a):
    """Patient A with one of everything, charted and written about, then every text poisoned."""
    iv = charted_session(patient_a, nurse, prescriber, adverse_event=True, bp_alert=True)
    steps.add_addendum(iv, by=nurse, reason="Late entry", text="Phoned the next day.")
    esketamine = charted_session(patient_a, nurse, prescriber, route="intranasal", room_name="Chair 2")
    give_one_of_everything(patient_a, nurse, room_name="Room B")
    for number in (1, 2):
        CadssItem.objects.create(number=number, text=f"Item {number}", subscale="depersonalization")
    note = notes.start_note(
        patient_a, by=therapist, template=NoteTemplate.objects.first(), treatment_session=iv
    )
    notes.save_draft(
        note, by=therapist, experience="Calm.", plan="Weekly.", risk_reviewed=True, risk_note="None."
    )
    notes.save_draft(note, by=therapist, patient_summary="You did well.")
    notes.sign(note, by=therapist, password=TEST_PASSWORD, share_summary=True)
    notes.add_addendum(note, by=therapist, reason="Correction", text="Also slept well.")
    notes.start_note(patient_a, by=therapist, template=NoteTemplate.objects.first())
    poison_everything()
    patient_a.refresh_from_db()
    return {"patient": patient_a, "iv": iv, "esketamine": esketamine, "note": note}


# Pages ------------------------------------------------------------------------------------------


def _walk(client, patient, headers=None):
    """Every project URL's GET, with this patient's objects; the HTML answers."""
    pages = {}
    for route, name, _view in project_urls():
        url = url_for(name, route, patient)
        response = client.get(url, headers=headers or {})
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages[url] = response.content.decode()
    return pages


@pytest.mark.parametrize("who", [*roles.ALL_ROLES, "Patient"])
def test_every_page_shows_the_payload_escaped(client_for, staff_by_role, poisoned, who):
    patient = poisoned["patient"]
    user = patient.user if who == "Patient" else staff_by_role[who]
    client = client_for(user)
    pages = _walk(client, patient)
    if who in (roles.PRESCRIBER, "Patient"):
        pages |= {
            f"{url} (htmx)": html for url, html in _walk(client, patient, {"HX-Request": "true"}).items()
        }
    assert len(pages) > 5
    shown = [url for url, html in pages.items() if any(escaped in html for escaped in ESCAPED)]
    assert len(shown) > 3, f"the payload is shown on too few pages to prove anything: {shown}"
    for url, html in pages.items():
        assert_escaped(html, f"{url} as {who}")


def test_pages_show_every_kind_of_poisoned_text_escaped(client_for, prescriber, poisoned):
    """The pages where administrators' texts show, looked at one by one."""
    patient, iv = poisoned["patient"], poisoned["iv"]
    client = client_for(prescriber)
    detail = client.get(reverse("patients:detail", args=[patient.external_id])).content.decode()
    chart = client.get(reverse("sessions:chart", args=[patient.external_id, iv.external_id])).content.decode()
    screening = client.get(reverse("patients:screening", args=[patient.external_id])).content.decode()
    for html in (detail, chart, screening):
        assert ESCAPED[0] in html
        assert_escaped(html, "a patient page")
    assert ClinicSettings.load().name == PAYLOAD


def test_the_new_note_editor_shows_the_template_prompts_escaped(client_for, therapist, poisoned):
    patient = poisoned["patient"]
    client = client_for(therapist)
    new = client.get(reverse("integration:note_new", args=[patient.external_id])).content.decode()
    assert_escaped(new, "the new note page")
    template = NoteTemplate.objects.order_by("pk").first()  # a starter template, poisoned
    response = client.post(
        reverse("integration:note_new", args=[patient.external_id]), {"template": template.pk, "follows": ""}
    )
    assert response.status_code == 302
    editor = client.get(response["Location"]).content.decode()
    assert_escaped(editor, "the note editor")
    assert f'class="form-text">{ESCAPED[0]}&lt;img src=x onerror=alert(2)&gt;</div>' in editor


def test_django_admin_shows_the_payload_escaped(client_for, administrator, poisoned):
    client = client_for(administrator)
    checked = 0
    for model in admin.site._registry:
        meta = model._meta
        changelist = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if changelist.status_code != 200:
            continue
        assert_escaped(changelist.content.decode(), f"admin {meta.label} list")
        checked += 1
        for row in model._default_manager.order_by("pk")[:2]:
            for view in ("change", "history"):
                page = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[row.pk]))
                if page.status_code == 200:
                    assert_escaped(page.content.decode(), f"admin {meta.label} {view} {row.pk}")
    assert checked > 15


# PDFs -------------------------------------------------------------------------------------------


@pytest.fixture
def weasyprint_input(monkeypatch):
    """The HTML strings handed to WeasyPrint (every PDF module imports HTML when it makes one)."""
    import weasyprint

    seen = []
    real = weasyprint.HTML

    class Recording(real):
        def __init__(self, *args, string=None, **kwargs):
            seen.append(string)
            super().__init__(*args, string=string, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", Recording)
    return seen


def test_every_pdf_prints_the_payload_as_text(client_for, nurse, prescriber, poisoned, weasyprint_input):
    patient, iv, esketamine = poisoned["patient"], poisoned["iv"], poisoned["esketamine"]
    client = client_for(prescriber)
    urls = {
        "session record": reverse("sessions:chart_record_pdf", args=[patient.external_id, iv.external_id]),
        "REMS form": reverse("sessions:chart_rems_pdf", args=[patient.external_id, esketamine.external_id]),
        "progress report": reverse("assessments:report", args=[patient.external_id]),
        "ledger report": reverse("sessions:ledger_report") + "?format=pdf",
    }
    pdfs = {}
    for kind, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, kind
        pdfs[kind] = response.content
    # A consent signed by a patient whose legal name is the payload, on a poisoned document.
    document = ConsentDocument.objects.create(
        route="iv", version=99, title=PAYLOAD, body=f"{PAYLOAD}\n\n{PAYLOAD}", published_at=timezone.now()
    )
    signature = sign_consent(
        patient,
        document,
        typed_name=patient.full_name,
        confirmed=True,
        user=patient.user,
        ip_address="127.0.0.1",
        on_clinic_tablet=False,
    )
    with signature.pdf.open("rb") as stored:
        pdfs["consent"] = stored.read()
    assert len(weasyprint_input) == 5
    for html in weasyprint_input:
        assert_escaped(html, "a PDF's HTML")
        assert ESCAPED[0] in html
    for kind, pdf in pdfs.items():
        text = pdf_text(pdf)
        # Printed as the characters typed: escaped once, not twice, and not taken as markup.
        assert "<script>alert(1)</script>" in text or "<img src=x onerror=alert(3)>" in text, kind
        assert "&lt;" not in text, kind


# E-mails ----------------------------------------------------------------------------------------


def test_every_e_mail_shows_the_payload_escaped_in_html_and_as_typed_in_text(
    client_for, nurse, poisoned, django_capture_on_commit_callbacks
):
    patient = poisoned["patient"]
    later = timezone.now() + timedelta(days=30)
    mail.outbox.clear()
    dispatch_due(now=later)  # appointment reminders
    followups.dispatch_notices(now=timezone.now() + timedelta(days=2))  # follow-up questionnaires
    invited = PatientFactory(email="invited@test.example")
    invited.legal_given_name = PAYLOAD
    invited.save()
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_portal(invited, nurse)
    subjects = [message.subject for message in mail.outbox]
    assert any(subject.startswith("Reminder: your appointment") for subject in subjects), subjects
    assert any("questionnaire" in subject for subject in subjects), subjects
    assert any("invitation" in subject for subject in subjects), subjects
    for message in mail.outbox:
        [(html, kind)] = message.alternatives
        assert kind == "text/html"
        assert_escaped(html, f"the HTML of {message.subject!r}")
        assert any(escaped in html for escaped in ESCAPED), message.subject
        # Plain text is not HTML: the clinic's name reads as typed, not as &lt;script&gt;.
        assert "&lt;" not in message.body and "&lt;" not in message.subject
        assert PAYLOAD in message.body or SHORT in message.body
    assert patient.email in {address for message in mail.outbox for address in message.to}


def test_the_poison_reaches_what_it_should(poisoned):
    """The test data really holds the payload where administrators and users type."""
    patient = poisoned["patient"]
    assert patient.legal_family_name == PAYLOAD
    assert User.objects.filter(first_name=PAYLOAD).exists()
    assert set(NoteTemplate.objects.values_list("experience", flat=True)) == {PAYLOAD}
    assert IntegrationNote.objects.filter(patient_summary=PAYLOAD, summary_shared_at__isnull=False).exists()
    assert CadssItem.objects.filter(text=PAYLOAD).count() == 2
    definition = patient.responses.first().version.definition
    assert definition["items"][0]["text"] == PAYLOAD
    assert Patient.objects.filter(pronouns=TINY).exists() or Patient.objects.filter(pronouns=SHORT).exists()
