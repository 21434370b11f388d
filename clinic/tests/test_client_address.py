"""The real client behind our proxies (issue 15, item 6): TRUSTED_PROXY_COUNT decides how much of
X-Forwarded-For is believed, for sign-in rate limits, consent signatures and the audit trail."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from clinic.client import client_address, user_agent
from clinic.tests.test_settings import start_django
from patients.models import ConsentSignature, Patient
from testing.factories import TEST_PASSWORD, consent_document

PROXY = "10.0.0.5"  # REMOTE_ADDR: our own proxy
ALICE = "203.0.113.10"
BOB = "198.51.100.20"


def request_from(remote_addr=PROXY, forwarded=None, agent=None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    if agent is not None:
        headers["HTTP_USER_AGENT"] = agent
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("count", "remote_addr", "forwarded", "expected"),
    [
        # No trusted proxy: the header is anybody's to write.
        (0, "192.0.2.1", f"{ALICE}", "192.0.2.1"),
        (0, "192.0.2.1", None, "192.0.2.1"),
        # One proxy appends the address it saw: the rightmost entry is the client.
        (1, PROXY, ALICE, ALICE),
        (1, PROXY, f"6.6.6.6, 7.7.7.7, {ALICE}", ALICE),  # left-hand entries are the client's own
        (1, PROXY, f" 6.6.6.6 ,{ALICE} ", ALICE),
        (1, PROXY, "2001:db8::7", "2001:db8::7"),
        (1, PROXY, f"{ALICE}:52100", ALICE),
        (1, PROXY, "[2001:db8::7]:52100", "2001:db8::7"),
        # Two proxies (a CDN, then ours): the second from the right.
        (2, PROXY, f"6.6.6.6, {ALICE}, 192.0.2.50", ALICE),
        # Missing, too short or malformed: the proxy's own address, never a made-up one.
        (1, PROXY, None, PROXY),
        (1, PROXY, "", PROXY),
        (1, PROXY, "not-an-address", PROXY),
        (1, PROXY, f"{ALICE}, unknown", PROXY),
        (1, PROXY, f"{ALICE}, 999.1.1.1", PROXY),
        (2, PROXY, ALICE, PROXY),
        (1, PROXY, "\x00", PROXY),
        (0, "", None, None),
    ],
)
def test_client_address_takes_the_nth_entry_from_the_right(settings, count, remote_addr, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_address(request_from(remote_addr, forwarded)) == expected


def test_user_agent_is_cut_to_300_characters_without_nul_bytes():
    assert user_agent(request_from(agent="Mozilla/5.0 " + "x" * 400)) == ("Mozilla/5.0 " + "x" * 400)[:300]
    assert user_agent(request_from(agent="Evil\x00Agent")) == "EvilAgent"
    assert user_agent(request_from()) == ""


# Sign-in rate limits ------------------------------------------------------------------------------


def fail_to_sign_in(client, forwarded, attempt):
    # A different account each time, so only the per-address limit (10 a minute) is reached.
    return client.post(
        reverse("account_login"),
        {"login": f"nobody{attempt}@test.example", "password": "wrong-password"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def sign_in(client, email, forwarded):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": TEST_PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def locked_out(response):
    return response.status_code == 429 or "Too many failed login attempts" in response.content.decode()


def test_behind_a_proxy_one_client_s_failed_sign_ins_do_not_lock_out_another(settings, client, nurse):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for attempt in range(10):
        # Alice varies a spoofed left-hand entry: it is not believed, all ten count against her.
        assert not locked_out(fail_to_sign_in(client, f"192.0.2.{attempt}, {ALICE}", attempt))
    assert locked_out(fail_to_sign_in(client, f"192.0.2.99, {ALICE}", 10))
    assert locked_out(sign_in(client, nurse.email, ALICE))  # even with the right password

    response = sign_in(client, nurse.email, BOB)
    assert response.status_code == 302 and not locked_out(response)
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_without_a_trusted_proxy_the_header_is_ignored_and_the_limit_is_per_connection(
    settings, client, nurse
):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for attempt in range(10):
        fail_to_sign_in(client, ALICE, attempt)
    assert locked_out(sign_in(client, nurse.email, BOB))


def test_a_short_forwarded_header_is_no_server_error(settings, client, nurse):
    """allauth's own reading raises ImproperlyConfigured here; ours falls back to REMOTE_ADDR."""
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    response = sign_in(client, nurse.email, ALICE)
    assert response.status_code == 302


# Consent signatures -------------------------------------------------------------------------------


def test_a_consent_signature_records_the_forwarded_client_address(settings, client_for, patient_a):
    settings.TRUSTED_PROXY_COUNT = 1
    patient_a.status = Patient.Status.SCREENING
    patient_a.treatment_route = "iv"
    patient_a.save()
    consent_document("iv")
    response = client_for(patient_a.user).post(
        reverse("portal:consent", args=["iv"]),
        {"typed_name": patient_a.full_name, "confirm": "on"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ALICE}",
    )
    assert response.status_code == 302
    assert ConsentSignature.objects.get().ip_address == ALICE


# The setting --------------------------------------------------------------------------------------


def proxy_counts(tmp_path, **env):
    result = start_django(
        tmp_path,
        (
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_PROXY_COUNT)",
        ),
        **env,
    )
    return result


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "0 0"),
        ({"BEHIND_HTTPS_PROXY": "true"}, "1 1"),  # the documented deployment: one HTTPS proxy
        ({"BEHIND_HTTPS_PROXY": "true", "TRUSTED_PROXY_COUNT": "0"}, "0 0"),
        ({"TRUSTED_PROXY_COUNT": "2"}, "2 2"),
    ],
)
def test_trusted_proxy_count_comes_from_the_environment(tmp_path, env, expected):
    result = proxy_counts(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "11"])
def test_a_malformed_trusted_proxy_count_stops_start_up(tmp_path, value):
    result = proxy_counts(tmp_path, TRUSTED_PROXY_COUNT=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "TRUSTED_PROXY_COUNT" in result.stderr.splitlines()[-1]
