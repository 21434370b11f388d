"""WCAG 2.2 AA, checked with axe-core in Chromium on every page each role can open.

The pages come from the same URLconf walk and the same data as test_access.py (a new view is checked
without anyone adding it here), plus what the walk cannot reach: charts in each state, forms sent
back with errors, the error pages, the sign-in pages and Django admin. A serious or critical
violation fails the test, listed by rule, page and element. One browser context per role.

The same walk listens for Content-Security-Policy violations (an inline style or script, an eval, a
resource from elsewhere): any one fails the test, listed with its page, directive and what was blocked.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clinic import roles
from clinic.tests.test_access import give_one_of_everything, project_urls, url_for
from clinic.views import server_error
from conftest import require_service
from testing.browser import sign_in
from testing.charting import charted_session
from testing.factories import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
PATIENT, ANONYMOUS = "Patient", "Anonymous"
WHO = [*roles.ALL_ROLES, PATIENT, ANONYMOUS]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CLINIC_APPS = {"clinic", "patients", "assessments", "treatment_sessions"}
ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "artifacts", "accessibility")


@dataclass
class Site:
    """Everything the pages are about, built once per test."""

    users: dict
    patient_a: object
    patient_b: object
    charts: dict = field(default_factory=dict)


@pytest.fixture
def site(staff_by_role, patient_a, patient_b):
    nurse, prescriber = staff_by_role[roles.NURSE], staff_by_role[roles.PRESCRIBER]
    give_one_of_everything(patient_b, nurse)
    give_one_of_everything(patient_a, nurse, room_name="Room B", days_ahead=6)
    # Charts in the states whose forms differ: patient B's (treatment stopped, checklist empty), one
    # started (the order form), one ordered (the dose form), an esketamine one being monitored
    # (devices, sedation, discharge, REMS) and one signed (read only, addenda).
    first = timezone.now() - timedelta(hours=3)
    states = [("started", "iv"), ("ordered", "iv"), ("monitored", "intranasal"), ("signed", "iv")]
    charts = {"stopped": patient_b.treatment_sessions.first()}
    for hours, (until, route) in enumerate(states):
        start = (first - timedelta(hours=4 * hours)).replace(second=0, microsecond=0)
        charts[until] = charted_session(
            PatientFactory(), nurse, prescriber, route=route, until=until, start=start
        )
    users = {**staff_by_role, PATIENT: patient_a.user, ANONYMOUS: None}
    return Site(users=users, patient_a=patient_a, patient_b=patient_b, charts=charts)


def chart_url(session, name="chart"):
    return reverse(f"sessions:{name}", args=[session.patient.external_id, session.external_id])


def walk_urls(who, site):
    """The GET address of every project view this identity may open, with the walk's data (a view
    that would refuse it is left out, and so is a PDF), then one that refuses it (its 403 page)."""
    patient = site.patient_a if who == PATIENT else site.patient_b
    allowed, refused = [], []
    for route, name, view in project_urls():
        if route.endswith(".pdf") or name.endswith("pdf"):
            continue
        if view.audience == "public":
            may = True
        elif view.audience == "patient":
            may = who == PATIENT
        else:
            may = who in roles.ALL_ROLES and view.required_permission in roles.ROLE_PERMISSIONS[who]
        (allowed if may else refused).append(url_for(name, route, patient))
    return allowed + refused[:1] if who != ANONYMOUS else allowed


def extra_urls(who, site):
    """Pages the walk does not reach: sign-in pages, charts in each state, Django admin."""
    if who == ANONYMOUS:
        return [reverse("account_login"), reverse("account_reset_password"), reverse("account_signup")]
    urls = [reverse("account_change_password"), reverse("mfa_index")]
    if who in roles.ALL_ROLES:
        urls += [chart_url(session) for session in site.charts.values()]
    if who == roles.ADMINISTRATOR:
        urls += admin_urls()
    return urls


def admin_urls():
    """The admin index and, for each of the clinic's own models, its changelist and a change form."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in CLINIC_APPS:
            continue
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
        else:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return urls


@dataclass(frozen=True)
class Invalid:
    """A form sent with invalid values, so the page comes back with its errors."""

    who: str
    url: str
    form: str  # a CSS selector for the form
    values: dict  # field name -> value typed in


def invalid_forms(site):
    started, monitored = site.charts["started"], site.charts["monitored"]
    portal_questionnaire = reverse(
        "portal:questionnaire", args=[site.patient_a.assignments.first().external_id]
    )
    return [
        # A reading whose number is not whole: a field error on the hand-rendered vitals form (htmx).
        Invalid(roles.NURSE, chart_url(started), "form.vitals-entry", {"sbp": "120.5", "dbp": "80"}),
        Invalid(roles.NURSE, chart_url(monitored), "#sedation form", {"cadss_total": "999"}),
        Invalid(roles.NURSE, chart_url(monitored), "#discharge form", {}),
        Invalid(roles.PRESCRIBER, chart_url(started), "#order-form", {"mg_per_kg": "0.12345"}),
        Invalid(roles.FRONT_DESK, reverse("patients:create"), "main form[method=post]", {}),
        Invalid(
            roles.FRONT_DESK,
            reverse("sessions:book", args=[site.patient_b.external_id]),
            "main form[method=post]",
            {},
        ),
        Invalid(
            roles.NURSE,
            reverse("assessments:give", args=[site.patient_b.external_id, "PHQ-9"]),
            "main form[method=post]",
            {},
        ),
        Invalid(PATIENT, portal_questionnaire, "main form[method=post]", {}),
        Invalid(roles.ADMINISTRATOR, reverse("admin:treatment_sessions_room_add"), "#room_form", {}),
        Invalid(ANONYMOUS, reverse("account_login"), "main form", {"login": "nobody@test.example"}),
    ]


# --- Running axe ---------------------------------------------------------------------------------

# Checks axe does not make (WCAG 2.2 dropped 4.1.1 Parsing; a heading is "best practice"), which still
# break pages for people: a label whose id is on two fields names only the first; a legend that is
# not its fieldset's first child does not name the group; a page without a main heading has nothing
# for a screen reader's "next heading" to land on; a page wider than the window (1.4.10 Reflow).
PAGE_CHECKS = """() => {
  const found = [], ids = {};
  for (const el of document.querySelectorAll("[id]")) { ids[el.id] = (ids[el.id] || 0) + 1; }
  for (const [id, count] of Object.entries(ids)) {
    if (count > 1) { found.push(["duplicate-id", "#" + id, count + " elements have this id"]); }
  }
  for (const legend of document.querySelectorAll("legend")) {
    if (legend.parentElement.tagName !== "FIELDSET" || legend.parentElement.firstElementChild !== legend) {
      found.push(["legend-first-child", legend.textContent.trim().slice(0, 60), "the group has no name"]);
    }
  }
  if (!document.querySelector("h1")) { found.push(["page-has-heading-one", "html", "no h1"]); }
  const wide = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  if (wide > 1) { found.push(["reflow", "html", "the page scrolls sideways by " + wide + " px"]); }
  return found;
}"""


# Every document records what its Content-Security-Policy blocked (the browser fires
# securitypolicyviolation for each inline script or style, eval and resource from elsewhere). Findings
# collects the records before running axe: axe itself trips the policy (it re-parses the style sheets
# that @import others through inline <style> elements), and what it trips is thrown away.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push([location.pathname, e.effectiveDirective, e.blockedURI, (e.sample || "").slice(0, 80)]);
});
"""
CSP_RULE = "content-security-policy"
TAKE_CSP_VIOLATIONS = "() => (window.__cspViolations || []).splice(0)"


class Findings:
    def __init__(self):
        self.axe = Axe()
        self.checked = []
        self.violations = []  # (rule, impact, page, target, summary)

    def check(self, page, label):
        self.check_csp(page, label)
        results = self.axe.run(page, options=AXE_OPTIONS).response
        self.checked.append(label)
        for violation in results["violations"]:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                summary = node.get("failureSummary", "").replace("\n", " ")
                self.violations.append((violation["id"], violation["impact"], label, target, summary))
        for rule, target, summary in page.evaluate(PAGE_CHECKS):
            self.violations.append((rule, "serious", label, target, summary))
        page.evaluate(TAKE_CSP_VIOLATIONS)  # axe's own

    def check_csp(self, page, label):
        for path, directive, uri, sample in page.evaluate(TAKE_CSP_VIOLATIONS):
            self.violations.append(
                (CSP_RULE, "serious", f"{label} ({path})", directive, f"blocked {uri} {sample}".strip())
            )

    def report(self):
        lines = [
            f"{rule} ({impact}) on {page}: {target} — {summary}"
            for rule, impact, page, target, summary in self.violations
        ]
        return f"{len(self.violations)} serious or critical violations:\n" + "\n".join(lines)


def _whole_page_status(context, url):
    """The status of a GET of ``url`` when the answer is a whole HTML page; None for a redirect, a
    405 from a POST-only view, a PDF or a fragment that htmx swaps into a page. Asked without
    navigating: a navigation to an empty error answer leaves Chromium's error page loading."""
    response = context.request.get(url, max_redirects=0)
    html = response.headers.get("content-type", "").startswith("text/html")
    if html and response.text().lstrip()[:15].lower() == "<!doctype html>":
        return response.status
    return None


def _submit_invalid(page, invalid):
    form = page.locator(invalid.form).first
    for name, value in invalid.values.items():
        form.locator(f"[name={name}]").first.evaluate("(el, v) => { el.value = v; }", value)
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.evaluate("f => { f.noValidate = true; f.requestSubmit(); }")
    page.wait_for_load_state()
    # The page came back with the errors (htmx swaps them in once the answer has arrived).
    expect(page.locator("[aria-invalid=true], .alert-danger").first).to_be_visible()


@pytest.mark.parametrize("who", WHO)
def test_every_page_has_no_serious_accessibility_violation(live_server, browser, site, who):
    user = site.users[who]
    context = browser.new_context(
        viewport=PHONE if who == PATIENT else DESKTOP, reduced_motion="reduce", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    findings = Findings()
    page = context.new_page()
    # Chromium reports a security header it cannot parse (an unknown Permissions-Policy feature, a
    # malformed policy) only in the console.
    header_errors = []
    page.on("console", lambda m: header_errors.append(m.text) if "header" in m.text.lower() else None)
    if user is not None:
        sign_in(page, live_server.url, user.email)
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    refusals = set()  # the 403 page is checked once
    for url in dict.fromkeys([*walk_urls(who, site), *extra_urls(who, site), "/no-such-page/"]):
        status = _whole_page_status(context, url)
        if status == 200 or (status is not None and status not in refusals):
            refusals.add(status if status == 403 else None)
            page.goto(url)
            findings.check(page, url if status == 200 else f"{url} ({status})")
    for invalid in invalid_forms(site):
        if invalid.who == who:
            page.goto(invalid.url)
            _submit_invalid(page, invalid)
            findings.check(page, f"{invalid.url} sent with errors ({invalid.form})")
    context.close()

    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, f"{who.lower().replace(' ', '-')}.json"), "w") as out:
        json.dump({"pages": findings.checked, "violations": findings.violations}, out, indent=1)
    assert len(findings.checked) > 3
    assert not findings.violations, findings.report()
    assert not header_errors, sorted(set(header_errors))


def test_the_server_error_page_has_no_serious_accessibility_violation(live_server, browser, rf):
    html = server_error(rf.get("/")).content.decode()
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    page.route(
        "**/server-error/", lambda route: route.fulfill(status=500, body=html, content_type="text/html")
    )
    page.goto("/server-error/")
    findings = Findings()
    findings.check(page, "500")
    context.close()
    assert not findings.violations, findings.report()


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_longest_staff_menu_does_not_scroll_sideways(live_server, browser, screenshot, width):
    from clinic.models import ClinicSettings
    from testing.factories import UserFactory

    clinic = ClinicSettings.load()
    clinic.name = "Riverside Ketamine and Integration Clinic"
    clinic.save()
    everyone = UserFactory(email="every.role@test.example", roles=roles.ALL_ROLES)
    everyone.is_staff = True
    everyone.save()
    context = browser.new_context(viewport={"width": width, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, live_server.url, everyone.email)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if page.locator(".navbar-toggler").is_visible():
        page.locator(".navbar-toggler").click()
        expect(page.get_by_role("link", name="Administration")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"staff-menu-{width}")
    context.close()


# --- Printing ------------------------------------------------------------------------------------


def _printed(page, url, folder, name):
    """The page printed by Chromium (print media, its own @page sizes): the PDF's page size and text."""
    page.goto(url)
    page.emulate_media(media="print")
    path = os.path.join(folder, f"{name}.pdf")
    page.pdf(path=path, prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", path], capture_output=True, check=True, text=True).stdout
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, check=True, text=True)
    return re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups(), info, text.stdout


def test_the_day_list_the_week_and_the_chart_print_without_menu_buttons_or_forms(
    live_server, browser, nurse, prescriber, patient_a
):
    require_service(shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)")
    session = charted_session(patient_a, nurse, prescriber, route="iv", until="administered")
    folder = os.path.join(ARTIFACTS, "print")
    os.makedirs(folder, exist_ok=True)
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, live_server.url, nurse.email)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    (width, height), info, text = _printed(page, "/schedule/?view=week", folder, "week")
    assert float(width) > float(height), "the week prints on a landscape page"
    assert "Pages:           1" in info, "the week fits on one page"
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        assert day in text, f"{day} is cut off"
    (width, height), _info, text = _printed(page, "/today/", folder, "today")
    assert float(width) < float(height)
    _size, _info, chart = _printed(page, chart_url(session), folder, "chart")
    assert "Vital signs" in chart and "124/78" in chart
    for page_text in (text, chart):
        for gone in ("Skip to content", "Patients", "Add vitals", "Add observation", "Record an adverse"):
            assert gone not in page_text, f"{gone!r} printed"
        assert not re.search(r"Checklist\s+Vitals\s+Dose", page_text), "the chart's section menu printed"
    context.close()


# --- Focus after the chart reloads -------------------------------------------------------------


def _pre_dose_chart(live_server, browser, nurse, prescriber, patient):
    session = charted_session(patient, nurse, prescriber, route="iv", until="started")
    context = browser.new_context(viewport={"width": 820, "height": 1180}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server.url, nurse.email)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(chart_url(session))
    return context, page


def _add_pre_dose_vitals(page):
    form = page.locator("form.vitals-entry")
    for label, value in (("Systolic", 126), ("Diastolic", 80), ("HR", 70), ("SpO2 %", 98), ("RR", 14)):
        form.get_by_label(label, exact=True).fill(str(value))
    form.get_by_role("button", name="Add vitals").click()
    expect(page.get_by_text("Pre-dose vitals charted: 126/80")).to_be_visible()


def test_after_a_pre_dose_reading_the_cursor_is_back_in_the_vitals_form(
    live_server, browser, nurse, prescriber, patient_a
):
    context, page = _pre_dose_chart(live_server, browser, nurse, prescriber, patient_a)
    _add_pre_dose_vitals(page)  # the server asks htmx to reload the page: the dose section changes
    assert page.url.endswith("#vitals")
    expect(page.locator("form.vitals-entry").get_by_label("Systolic", exact=True)).to_be_focused()
    context.close()


def test_after_the_reload_restored_unsaved_work_keeps_the_cursor(
    live_server, browser, nurse, prescriber, patient_a
):
    context, page = _pre_dose_chart(live_server, browser, nurse, prescriber, patient_a)
    page.locator("#sedation form").get_by_label("Note").fill("Calm, eyes open")
    _add_pre_dose_vitals(page)
    restored = page.locator("#sedation form .unsaved-restored")
    expect(restored).to_contain_text("Not saved yet.")
    expect(restored).to_be_focused()
    context.close()
