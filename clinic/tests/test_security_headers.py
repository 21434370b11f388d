"""Response headers (clinic/security.py), file names without names, an access log without query strings,
and the password rules."""

import re
import runpy
import uuid
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.urls import reverse
from gunicorn.config import Config
from gunicorn.glogging import Logger

from clinic import roles
from clinic.downloads import document_filename
from clinic.security import DENIED_FEATURES
from clinic.tests.test_access import give_one_of_everything
from testing.charting import charted_session
from testing.factories import TEST_PASSWORD, UserFactory

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def policy(response):
    """The Content-Security-Policy header as {directive: sources} (django-csp does not keep an order)."""
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def _no_store(response):
    return {name: response.get(name) for name in NO_STORE} == NO_STORE


@pytest.fixture
def esketamine_session(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, route="intranasal", room_name="Chair 2")
    give_one_of_everything(patient_a, nurse, room_name="Room B")  # scores for the progress report
    return session


def _pdf_urls(session):
    patient = session.patient
    return {
        "session record": reverse(
            "sessions:chart_record_pdf", args=[patient.external_id, session.external_id]
        ),
        "REMS monitoring form": reverse(
            "sessions:chart_rems_pdf", args=[patient.external_id, session.external_id]
        ),
        "progress report": reverse("assessments:report", args=[patient.external_id]),
        "consent": reverse(
            "patients:consent_pdf", args=[patient.external_id, patient.consent_signatures.first().external_id]
        ),
    }


# Content-Security-Policy --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "nurse", "patient"])
def test_every_page_has_the_content_security_policy(client_for, nurse, patient_a, who):
    user = {"anonymous": None, "nurse": nurse, "patient": patient_a.user}[who]
    url = {"anonymous": reverse("account_login"), "nurse": reverse("patients:list"), "patient": "/portal/"}[
        who
    ]
    response = client_for(user).get(url)
    assert response.status_code == 200
    assert policy(response) == CSP


def test_the_error_pages_and_django_admin_have_it_too(client_for, administrator):
    client = client_for(administrator)
    assert policy(client.get("/no-such-page/")) == CSP
    assert policy(client.get(reverse("admin:index"))) == CSP


def test_no_page_has_inline_script_or_style(client_for, nurse, front_desk, patient_a, esketamine_session):
    """What the policy would block, looked for in the HTML (the browser walk in test_accessibility.py
    listens for the violations themselves)."""
    patient = esketamine_session.patient
    pages = {
        nurse: [
            reverse("sessions:chart", args=[patient.external_id, esketamine_session.external_id]),
            reverse("patients:detail", args=[patient.external_id]),
            reverse("integration:notes", args=[patient.external_id]),
        ],
        front_desk: [reverse("sessions:calendar"), reverse("patients:list")],
        patient_a.user: ["/portal/", reverse("portal:intake_step", args=["medications"])],
    }
    for user, urls in pages.items():
        client = client_for(user)
        for url in urls:
            page = client.get(url).content.decode()
            assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), url
            assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", page), url


def test_a_pdf_has_no_content_security_policy_for_chromes_viewer_to_trip_on(
    client_for, nurse, esketamine_session
):
    response = client_for(nurse).get(_pdf_urls(esketamine_session)["session record"])
    assert response["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in response


# Permissions-Policy ---------------------------------------------------------------------------------


def test_permissions_policy_denies_the_camera_microphone_location_and_payment(client_for, nurse, client):
    for response in (client.get(reverse("account_login")), client_for(nurse).get(reverse("patients:list"))):
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy
        assert policy == ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


def test_no_page_asks_for_a_feature_the_policy_denies():
    """A page that starts using one of them needs its feature taken out of DENIED_FEATURES."""
    calls = {
        "camera": "getUserMedia",
        "geolocation": "navigator.geolocation",
        "payment": "PaymentRequest",
        "usb": "navigator.usb",
        "bluetooth": "navigator.bluetooth",
        "serial": "navigator.serial",
        "hid": "navigator.hid",
        "display-capture": "getDisplayMedia",
        "screen-wake-lock": "wakeLock",
        "fullscreen": "requestFullscreen",
    }
    ours = [
        *Path(settings.BASE_DIR, "static", "js").glob("*.js"),
        *Path(settings.BASE_DIR, "templates").rglob("*.html"),
    ]
    for path in ours:
        text = path.read_text()
        for feature, call in calls.items():
            assert call not in text, f"{path} uses {feature}"


# Cache-Control: no-store -----------------------------------------------------------------------------


def test_every_answer_to_a_signed_in_user_is_no_store(client_for, nurse, administrator, patient_a):
    for user, url in (
        (nurse, reverse("patients:list")),
        (nurse, reverse("sessions:today")),
        (nurse, reverse("account_change_password")),
        (nurse, "/no-such-page/"),
        (administrator, reverse("admin:index")),
        (patient_a.user, "/portal/"),
    ):
        response = client_for(user).get(url)
        assert _no_store(response), f"{url}: {response.get('Cache-Control')}"


def test_patient_scoped_addresses_are_no_store_even_signed_out(client, patient_a):
    for url in (
        reverse("patients:detail", args=[patient_a.external_id]),
        "/portal/",
        reverse("portal:accept_invitation", args=["not-a-real-token"]),
    ):
        response = client.get(url)
        assert _no_store(response), url


def test_pdfs_and_csv_exports_are_no_store(client_for, nurse, esketamine_session):
    client = client_for(nurse)
    for kind, url in _pdf_urls(esketamine_session).items():
        response = client.get(url)
        assert response.status_code == 200, kind
        assert response["Content-Type"] == "application/pdf", kind
        assert _no_store(response), kind
    csv = client.get(reverse("sessions:ledger_report"), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert _no_store(csv)


def test_static_files_keep_their_own_caching(client_for, nurse, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = client_for(nurse).get("/static/css/clinic.css")
    assert response.status_code == 200
    assert b"staff-nav" in b"".join(response.streaming_content)
    response.close()
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response


# File names --------------------------------------------------------------------------------------


def test_pdf_file_names_carry_no_name(client_for, nurse, esketamine_session):
    patient = esketamine_session.patient
    day = esketamine_session.started_at.astimezone().date()
    names = {}
    for kind, url in _pdf_urls(esketamine_session).items():
        disposition = client_for(nurse).get(url)["Content-Disposition"]
        names[kind] = re.fullmatch(r'(inline|attachment); filename="([^"/\\]+)"', disposition).group(2)
        for part in (patient.legal_family_name, patient.legal_given_name, str(patient.date_of_birth)):
            assert part.lower() not in names[kind].lower(), (kind, names[kind])
    short = str(esketamine_session.external_id)[:8]
    assert names["session record"] == f"session-record-{day:%Y-%m-%d}-{short}.pdf"
    assert names["REMS monitoring form"] == f"rems-monitoring-form-{day:%Y-%m-%d}-{short}.pdf"
    assert re.fullmatch(
        rf"progress-report-\d{{4}}-\d\d-\d\d-{str(patient.external_id)[:8]}\.pdf", names["progress report"]
    )
    assert re.fullmatch(r"consent-\d{4}-\d\d-\d\d(-[0-9a-f]{8})?\.pdf", names["consent"])


def test_a_document_name_says_what_and_when_never_who():
    external_id = uuid.UUID("1a2b3c4d-0000-4000-8000-000000000000")
    assert document_filename("Session record", date(2026, 12, 3), external_id) == (
        "session-record-2026-12-03-1a2b3c4d.pdf"
    )
    assert document_filename("REMS monitoring form", date(2026, 12, 3), external_id, "csv") == (
        "rems-monitoring-form-2026-12-03-1a2b3c4d.csv"
    )


# The access log ------------------------------------------------------------------------------------


def test_gunicorns_access_log_has_no_query_string_or_referrer(tmp_path):
    log_file = tmp_path / "access.log"
    config = Config()
    config.set(
        "access_log_format",
        runpy.run_path(str(Path(settings.BASE_DIR, "gunicorn.conf.py")))["access_log_format"],
    )
    config.set("accesslog", str(log_file))
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/patients/?q=Nguyen&dob=1986-03-14",
        "PATH_INFO": "/patients/",
        "QUERY_STRING": "q=Nguyen&dob=1986-03-14",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": "https://clinic.example/patients/?q=Nguyen",
        "HTTP_USER_AGENT": "Firefox",
    }
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=15))
    line = log_file.read_text()
    assert '"GET /patients/ HTTP/1.1" 200 1234' in line
    assert "203.0.113.7" in line and "Firefox" in line
    for leak in ("Nguyen", "1986", "q="):
        assert leak not in line


# Passwords ----------------------------------------------------------------------------------------


def _change_password(client, new):
    return client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
    )


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("river-stone", "at least 12 characters"),  # 11 characters
        ("peanutbutter", "too common"),  # 12, on Django's list of 20,000 common passwords
        ("manchesterunited", "too common"),
        ("402938475610", "entirely numeric"),
    ],
)
def test_nurse_cannot_change_to_a_short_or_common_password(client_for, nurse, password, says):
    response = _change_password(client_for(nurse), password)
    assert response.status_code == 200
    assert says in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.check_password(TEST_PASSWORD)


def test_nurse_cannot_use_her_own_e_mail_as_a_password(client_for, db):
    nurse = UserFactory(email="florence.nightingale@test.example", roles=[roles.NURSE])
    response = _change_password(client_for(nurse), "florence.nightingale")
    assert "too similar" in response.content.decode()


def test_nurse_changes_to_a_long_uncommon_password(client_for, nurse):
    assert _change_password(client_for(nurse), "moss-lantern-harbour").status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password("moss-lantern-harbour")


def test_a_user_without_a_password_is_held_to_the_same_rules_when_setting_one(client_for, nurse):
    nurse.set_unusable_password()
    nurse.save()
    client = client_for(nurse)
    url = reverse("account_set_password")
    for short_or_common in ("short-pass1", "peanutbutter"):
        response = client.post(url, {"password1": short_or_common, "password2": short_or_common})
        assert response.status_code == 200
        assert (
            "at least 12 characters" in response.content.decode() or "too common" in response.content.decode()
        )
    assert (
        client.post(
            url, {"password1": "moss-lantern-harbour", "password2": "moss-lantern-harbour"}
        ).status_code
        == 302
    )


def test_the_demo_and_test_passwords_pass_the_rules(db):
    from demo.management.commands.seed_demo import DEMO_PASSWORD, PORTAL_PATIENT_EMAIL, STAFF

    assert DEMO_PASSWORD == "clinic-demo-2026"
    people = [(email, first, last) for email, first, last, *_ in STAFF]
    for email, first, last in [*people, (PORTAL_PATIENT_EMAIL, "Jordan", "Avery")]:
        validate_password(DEMO_PASSWORD, UserFactory.build(email=email, first_name=first, last_name=last))
    validate_password(TEST_PASSWORD, UserFactory.build(email="nurse@test.example"))
