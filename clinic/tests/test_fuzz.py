"""Malformed input on every form, for every persona: never a server error, and a refused submission
writes nothing.

The walk is test_access's: every project URL (every instrument's "Give at the clinic" page and every
intake section too), for each staff role, patient A in the portal, and an anonymous visitor (with a
fresh portal invitation), with one of everything to point at; for the administrator also Django
admin's list, add and change pages of every project model. Each page's forms are read from its HTML
(action or hx-post, fields, choices, maxlength, required) and sent back malformed:

* no fields at all; every field empty; a NUL byte in every field; every key sent twice;
* the first time any persona reaches a form in a run, also every field malformed at once, in rounds
  (text 201 and 10,000 characters long, right-to-left marks, emoji and combining characters; words,
  NaN and 1e400 in number fields; 2026-02-30, 0000-01-01 and 99999-01-01 in date fields; values
  outside a select's choices), then one field at a time while the others keep what the page offered
  (negative and huge numbers, 0001-01-01 and 9999-12-31, an empty required field, text as above);
  Django admin's own forms get a shorter list per field, and one formset row stands for all.

A URL that only takes a POST and that no page has a form for gets the fields of its view's form classes.
Every query parameter the views read is sent malformed, and with a NUL byte, to every page.

The submissions are a generated table, not random draws: the same requests in the same order on every
run, so a failure names persona, method, URL, field and value, and comes back when run again. A
submission carrying a NUL byte, a value outside a select's choices or text longer than the field's
maxlength must be refused, so it must write nothing: every project table is counted before and after,
and any INSERT, UPDATE or DELETE that is not rolled back is caught (the audit trail and the session
table excepted, IGNORED_TABLES). Those go first on each page, while its objects are as it showed them.

Run it alone: ``.venv/bin/pytest clinic/tests/test_fuzz.py``: about 2,850 requests, 50–65 s of walk on
SQLite and 80–90 s on PostgreSQL on a 2-core machine, plus the database set-up. ``FUZZ_REPORT=1 … -s``
prints each persona's requests and time.
"""

import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django import forms as django_forms
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse

from clinic import roles
from clinic.tests.test_access import give_one_of_everything, project_urls, url_for

REPORT = os.environ.get("FUZZ_REPORT") == "1"

# Values ------------------------------------------------------------------------------------------

NUL = "fuzz\x00value"
LONG = "x" * 10_000
JUST_OVER = "y" * 201  # one past the 200 characters the short text fields allow
UNICODE = (
    "\u202eRTL\u202c \U0001f9ea e\u0301\u0302\u0303 \u200f\ufeff\U0001d54f \u0645\u0631\u062d\u0628\u0627"
)
BAD_CHOICE = "not-a-choice"
HUGE = "99999999999999999999999"
IMPOSSIBLE_DATES = ["2026-02-30", "0000-01-01", "99999-01-01"]

EXTREME_DATES = ["9999-12-31", "0001-01-01"]  # valid, and at the ends of what a date can hold

# Every field malformed at once, in rounds: round n gives each field the n-th value of its kind (an
# empty form is sent besides). A form's own field checks see all of these.
TEXT = [JUST_OVER, LONG, UNICODE]
VALUES_BY_KIND = {
    "text": TEXT,
    "textarea": TEXT,
    "search": TEXT,
    "tel": TEXT,
    "url": TEXT,
    "hidden": [JUST_OVER, UNICODE, LONG],
    "email": ["not-an-address", JUST_OVER, UNICODE],
    "password": [LONG],
    "number": ["twelve", "NaN", "1e400"],
    "range": ["twelve", "NaN", "1e400"],
    "date": IMPOSSIBLE_DATES,
    "time": ["25:61", "99999", "24:00"],
    "datetime-local": ["2026-02-30T10:00", "0000-01-01T00:00", "99999-01-01T10:00"],
    "select": [BAD_CHOICE, HUGE, "-1"],
    "radio": [BAD_CHOICE, HUGE, "-1"],
    "button": [BAD_CHOICE],
    "checkbox": [BAD_CHOICE],
}
ROUNDS = max(len(values) for values in VALUES_BY_KIND.values())
# One field at a time, the others as the page has them: the values that get past a form field's own
# parsing (words in a number field never do) and so reach the view and the services behind it.
ONE_AT_A_TIME_BY_KIND = VALUES_BY_KIND | {
    "text": [*TEXT, ""],
    "textarea": [*TEXT, ""],
    "search": [*TEXT, ""],
    "tel": [*TEXT, ""],
    "url": [*TEXT, ""],
    "hidden": [JUST_OVER, UNICODE, ""],
    "email": ["not-an-address", JUST_OVER, ""],
    "password": [LONG, ""],
    "number": ["-1", HUGE, ""],
    "range": ["-1", HUGE, ""],
    "date": [*EXTREME_DATES, ""],
    "time": ["23:59", ""],
    "datetime-local": ["9999-12-31T23:59", "0001-01-01T00:00", ""],
    "select": [BAD_CHOICE, HUGE, ""],
    "radio": [BAD_CHOICE, ""],
}

# What the base submission puts in a field the page left empty, so that the one malformed value
# reaches the services behind the form's other checks.
PLAUSIBLE = {
    "text": "fuzz",
    "textarea": "fuzz",
    "number": "1",
    "range": "1",
    "date": date.today().isoformat(),
    "time": "10:00",
    "datetime-local": f"{date.today().isoformat()}T10:00",
    "email": "fuzz@test.example",
}

# Query parameters the project's views read from request.GET, all malformed on every page.
QUERY_PARAMETERS = [
    "q",
    "date",
    "view",
    "by",
    "page",
    "patient",
    "min_followups",
    "kind",
    "start",
    "end",
    "format",
    "next",
    "user",
    "action",
    "show",
    "status",
    "pick",
    "s",
    "session",
    "appointment",
    "baseline_from",
    "baseline_to",
    "site",
    "all",
]
QUERIES = [
    dict.fromkeys(QUERY_PARAMETERS, BAD_CHOICE) | {"date": IMPOSSIBLE_DATES[0], "page": "-1"},
    dict.fromkeys(QUERY_PARAMETERS, LONG) | {"date": IMPOSSIBLE_DATES[2], "page": HUGE},
    dict.fromkeys(QUERY_PARAMETERS, UNICODE) | {"start": IMPOSSIBLE_DATES[1], "end": "2026-13-01"},
    dict.fromkeys(QUERY_PARAMETERS, "-1") | {"date": EXTREME_DATES[0], "start": EXTREME_DATES[1]},
    dict.fromkeys(QUERY_PARAMETERS, HUGE) | {"date": EXTREME_DATES[1], "end": EXTREME_DATES[0]},
]

# A refused request may still write these: the audit trail records refused and denied requests too,
# and the session keeps who is signed in and the idle clock.
IGNORED_TABLES = ("django_session", "clinic_auditevent")

# Not the project's forms to fuzz: signing out would end the walk.
SKIPPED_ACTIONS = ("/accounts/", "/admin/logout/", "/static/")

# Admin pages of these apps are walked (the project's models, not allauth's or Django's own).
PROJECT_APPS = ("clinic", "patients", "assessments", "treatment_sessions")

PERSONAS = [*roles.ALL_ROLES, "patient", "anonymous"]

# The forms some persona in this run has had one field at a time, by (method, URL pattern, fields),
# and the pages that had malformed queries: later personas get the shorter set on the same form and
# no malformed query on the same page (what a view reads from a query does not depend on the role).
FULLY_FUZZED = set()
QUERIED = set()


# Reading forms from HTML --------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str
    values: list = field(default_factory=list)  # what the page would send
    options: list = field(default_factory=list)  # of a select, radio group, checkbox or named button
    maxlength: int | None = None
    required: bool = False


@dataclass
class Form:
    method: str
    action: str
    form_id: str = ""
    htmx: list = field(default_factory=list)  # (method, url) of the form's hx-post or hx-get
    fields: dict = field(default_factory=dict)

    def add(self, attrs, kind, value=None, chosen=False):
        name = attrs.get("name")
        if not name:
            return None
        each = self.fields.get(name)
        if each is None:
            maxlength = attrs.get("maxlength", "")
            each = self.fields[name] = Field(
                name,
                kind,
                maxlength=int(maxlength) if maxlength.isdigit() else None,
                required="required" in attrs,
            )
        if kind in ("radio", "checkbox", "button"):
            each.options.append(value)
            if chosen:
                each.values.append(value)
        elif value is not None:
            each.values.append(value)
        return each


class FormParser(HTMLParser):
    """Every <form> of a page with its inputs, selects, textareas and named submit buttons, and the
    fields outside it that name it with form="…"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.outside = []  # (form id, a Form holding the fields that name it)
        self.current = None
        self.select = None
        self.option = None
        self.textarea = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.current = Form(
                (attrs.get("method") or "get").lower(), attrs.get("action", ""), attrs.get("id", "")
            )
            self.current.htmx = [
                (verb, attrs[f"hx-{verb}"]) for verb in ("post", "get") if f"hx-{verb}" in attrs
            ]
            self.forms.append(self.current)
            return
        form = self.current
        if attrs.get("form") and tag in ("input", "select", "textarea", "button"):
            form = Form("", "")
            self.outside.append((attrs["form"], form))
        if form is None:
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "submit":
                if attrs.get("name"):
                    form.add(attrs, "button", attrs.get("value", ""), chosen=attrs["name"] not in form.fields)
            elif kind in ("radio", "checkbox"):
                form.add(attrs, kind, attrs.get("value", "on"), chosen="checked" in attrs)
            elif kind not in ("image", "reset", "file", "button"):
                form.add(attrs, kind, attrs.get("value", ""))
        elif tag == "button" and attrs.get("name") and (attrs.get("type") or "submit") == "submit":
            form.add(attrs, "button", attrs.get("value", ""), chosen=attrs["name"] not in form.fields)
        elif tag == "select":
            self.select = form.add(attrs, "select")
        elif tag == "option" and self.select is not None:
            self.option, self.text = attrs, ""
        elif tag == "textarea":
            self.textarea, self.text = form.add(attrs, "textarea"), ""

    def handle_data(self, data):
        self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "option" and self.option is not None and self.select is not None:
            value = self.option["value"] if "value" in self.option else self.text.strip()
            self.select.options.append(value)
            if "selected" in self.option:
                self.select.values.append(value)
            self.option = None
        elif tag == "textarea" and self.textarea is not None:
            self.textarea.values = [self.text.removeprefix("\n")]
            self.textarea = None

    def result(self):
        self.close()
        by_id = {form.form_id: form for form in self.forms if form.form_id}
        for form_id, outside in self.outside:
            owner = by_id.get(form_id)
            for name, each in outside.fields.items() if owner else ():
                mine = owner.fields.setdefault(name, Field(name, each.kind, maxlength=each.maxlength))
                mine.options += each.options
                mine.values += each.values
        return self.forms


def forms_of(html):
    parser = FormParser()
    parser.feed(html)
    return parser.result()


def forms_of_view(view):
    """A Form made from the form classes a view's code names (for a POST-only URL no page links)."""
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    code = getattr(view, "__code__", None)
    form = Form("post", "")
    for name in code.co_names if code else ():
        candidate = getattr(view, "__globals__", {}).get(name)
        if isinstance(candidate, type) and issubclass(candidate, django_forms.BaseForm):
            for field_name, each in candidate.base_fields.items():
                form.fields[field_name] = _field_of(field_name, each)
    return form


def _field_of(name, each):
    if isinstance(each, django_forms.BooleanField):
        return Field(name, "checkbox", options=["on"])
    if isinstance(each, django_forms.ChoiceField):
        options = [str(value) for value, _label in each.choices] if not hasattr(each, "queryset") else []
        return Field(name, "select", options=options)
    for kind, classes in (
        ("number", (django_forms.IntegerField, django_forms.DecimalField, django_forms.FloatField)),
        ("datetime-local", (django_forms.DateTimeField,)),
        ("date", (django_forms.DateField,)),
        ("time", (django_forms.TimeField,)),
    ):
        if isinstance(each, classes):
            return Field(name, kind)
    return Field(name, "text", maxlength=getattr(each, "max_length", None))


# Submissions -------------------------------------------------------------------------------------


@dataclass
class Submission:
    method: str
    path: str
    data: dict  # name -> list of values
    field: str
    value: str
    must_refuse: bool
    htmx: bool = False
    base: dict = field(default_factory=dict)  # what the page itself would send


def base_values(form):
    """What a person pressing the form's first button would send, with empty fields made plausible."""
    data = {}
    for name, each in form.fields.items():
        if each.kind == "checkbox":
            if each.values:
                data[name] = list(each.values)
        elif each.kind in ("radio", "button"):
            chosen = each.values[:1] or each.options[:1]
            if chosen:
                data[name] = chosen
        elif each.kind == "select":
            chosen = each.values or [option for option in each.options if option][:1]
            data[name] = chosen or [""]
        else:
            value = each.values[0] if each.values else ""
            data[name] = [value or (PLAUSIBLE.get(each.kind, "") if each.required else "")]
    return data


def refused(each, value):
    """Whether this value in this field must make the server refuse the whole submission."""
    if "\x00" in value:
        return True
    if each.kind in ("select", "radio") and each.options and value and value not in each.options:
        return True
    return bool(each.maxlength and len(value) > each.maxlength)


def submissions_for(form, method, path, *, one_at_a_time):
    base = base_values(form)
    # What may depend on who sends it: nothing at all, and what the page offered (each key twice).
    yield Submission(method, path, {}, "(no fields)", "", False)
    twice = {name: [*(values or [""]), UNICODE] for name, values in base.items()}
    yield Submission(method, path, twice, "(every key twice)", UNICODE, False)
    if not one_at_a_time:
        return  # another persona had the rest: how a field is read does not depend on who sends it
    yield Submission(method, path, {name: [""] for name in form.fields}, "(every field)", "", False)
    with_nul = {name: [*(values or [""])[:-1], (values or [""])[-1] + NUL] for name, values in base.items()}
    yield Submission(method, path, with_nul or {"fuzz": [NUL]}, "(every field)", NUL, True)
    for round_ in range(ROUNDS):
        data, must_refuse = {}, False
        for name, each in form.fields.items():
            values = VALUES_BY_KIND.get(each.kind, TEXT)
            data[name] = [values[round_ % len(values)]]
            must_refuse = must_refuse or refused(each, data[name][0])
        yield Submission(method, path, data, f"(every field, round {round_ + 1})", "", must_refuse)
    done = set()
    for name, each in form.fields.items():
        # One row of a formset stands for all of them (form-0-dose for form-1-dose, form-2-dose…).
        pattern = re.sub(r"\d+", "N", name)
        if pattern in done or name == "csrfmiddlewaretoken":
            continue
        done.add(pattern)
        values = ONE_AT_A_TIME_BY_KIND.get(each.kind, TEXT)
        if each.maxlength and each.maxlength < len(JUST_OVER):
            values = [value for value in values if value != LONG]  # 201 characters are too many already
        for value in values if one_at_a_time == "all" else [values[0], ""]:
            if [value] != base.get(name, []):  # the page's own value was sent already
                yield Submission(method, path, {**base, name: [value]}, name, value, refused(each, value))


def _fresh_ids(data, base, counter):
    """A new submission id for every request that sends the page's own: a form saved once ignores its
    id when it comes again."""
    for name, values in data.items():
        if re.search(r"submission_(id|key)$", name) and values == base.get(name):
            data[name] = [str(uuid.UUID(int=counter))]
    return data


# Writes ------------------------------------------------------------------------------------------

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
SAVEPOINT = re.compile(r'^\s*(SAVEPOINT|ROLLBACK TO SAVEPOINT|RELEASE SAVEPOINT)\s+"?(\w+)"?', re.IGNORECASE)


class WriteRecorder:
    """The tables a request wrote to and did not roll back (savepoints followed)."""

    def __init__(self):
        self.writes = []
        self.marks = {}

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        savepoint = SAVEPOINT.match(sql)
        if savepoint:
            verb, name = savepoint.group(1).upper(), savepoint.group(2)
            if verb == "SAVEPOINT":
                self.marks[name] = len(self.writes)
            elif verb.startswith("ROLLBACK"):
                del self.writes[self.marks.get(name, len(self.writes)) :]
            return result
        write = WRITE.match(sql)
        if write and not write.group(1).startswith(IGNORED_TABLES):
            self.writes.append(f"{sql.split()[0].upper()} {write.group(1)}")
        return result


def table_counts(tables):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))


def counted_tables():
    return [table for table in connection.introspection.table_names() if not table.startswith(IGNORED_TABLES)]


# The walk ----------------------------------------------------------------------------------------


def _pattern(path):
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", path)


def _shown(value):
    return repr(value if len(value) <= 40 else f"{value[:12]}…({len(value)} characters)")


@dataclass
class Walk:
    client: Client
    persona: str
    failures: list = field(default_factory=list)
    requests: int = 0
    targeted: set = field(default_factory=set)  # URL paths some form on a page posts to
    seen: set = field(default_factory=set)
    tables: list = field(default_factory=counted_tables)

    def send(self, method, path, data=None, *, htmx=False, label=("(page)", "")):
        """One request in a savepoint of its own, so that a database error leaves the walk usable."""
        self.requests += 1
        headers = {"HX-Request": "true"} if htmx else {}
        savepoint = transaction.savepoint()
        try:
            response = getattr(self.client, method)(path, data or {}, headers=headers)
        except Exception as error:
            transaction.savepoint_rollback(savepoint)
            self.fail(method, path, label, f"{type(error).__name__}: {str(error)[:300]}")
            return None
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
            self.fail(method, path, label, f"status {response.status_code}")
            return None
        transaction.savepoint_commit(savepoint)
        return response

    def fail(self, method, path, label, problem):
        name, value = label
        self.failures.append(f"{self.persona}: {method.upper()} {path} {name} = {_shown(value)}: {problem}")

    def submit(self, each):
        data = _fresh_ids(
            {name: list(values) for name, values in each.data.items()}, each.base, self.requests + 1
        )
        if not each.must_refuse:
            self.send(each.method, each.path, data, htmx=each.htmx, label=(each.field, each.value))
            return
        before, recorder = table_counts(self.tables), WriteRecorder()
        with connection.execute_wrapper(recorder):
            response = self.send(each.method, each.path, data, htmx=each.htmx, label=(each.field, each.value))
        if response is None:
            return
        after = table_counts(self.tables)
        counted = {table: after[table] - before[table] for table in after if after[table] != before[table]}
        label = (each.field, each.value or "(malformed)")
        if counted or recorder.writes:
            self.fail(
                each.method, each.path, label, f"refused input was written: {counted or recorder.writes}"
            )
        elif "\x00" in each.value and response.status_code != 400:
            self.fail(each.method, each.path, label, f"a NUL byte gave {response.status_code}, not 400")

    def plan(self, form, method, path, *, htmx=False):
        """The submissions for one form this persona has not had yet."""
        signature = (method, _pattern(path), tuple(sorted(form.fields)))
        if (self.persona, signature) in self.seen:
            return []
        self.seen.add((self.persona, signature))
        self.targeted.add(path)
        # Django admin's own forms get a shorter list per field: its form fields are Django's.
        full = None if signature in FULLY_FUZZED else "some" if path.startswith("/admin/") else "all"
        FULLY_FUZZED.add(signature)
        planned = list(submissions_for(form, method, path, one_at_a_time=full))
        base = base_values(form)
        for each in planned:
            each.htmx, each.base = htmx, base
        return planned

    def run(self, planned):
        # What must be refused goes first, while the objects are as the page showed them: a valid
        # submission may cancel the appointment or sign the chart that a later one needs open.
        for each in sorted(planned, key=lambda each: not each.must_refuse):
            self.submit(each)

    def fuzz_page(self, url, response):
        if "text/html" not in response.get("Content-Type", ""):
            return
        planned = []
        for form in forms_of(response.content.decode()):
            method = form.method if form.method in ("get", "post") else "get"
            for verb, action, htmx in [(method, form.action, False), *((v, a, True) for v, a in form.htmx)]:
                parts = urlsplit(urljoin(url, action or url))
                if not parts.netloc and not parts.path.startswith(SKIPPED_ACTIONS):
                    planned += self.plan(form, verb, parts.path, htmx=htmx)
        self.run(planned)

    def fuzz_query(self, url, response):
        pattern = _pattern(url)
        if pattern in QUERIED or "text/html" not in response.get("Content-Type", ""):
            return
        QUERIED.add(pattern)
        for query in QUERIES:
            self.send("get", url, query, label=("(query)", next(iter(query.values()))))
        response = self.send("get", url, {"q": NUL, "date": NUL}, label=("(query)", NUL))
        if response is not None and response.status_code != 400:
            self.fail("get", url, ("(query)", NUL), f"a NUL byte gave {response.status_code}, not 400")


def persona_urls(persona, patient):
    """(url, view) of every project URL, one per instrument and intake section where a URL names one."""
    from assessments.services import current_versions
    from patients.intake import PATIENT_STEPS, SECTIONS

    expand = {
        "assessments:give": ("code", [version.instrument.code for version in current_versions()]),
        "patients:intake_section": ("key", [section.key for section in SECTIONS]),
        "portal:intake_step": ("key", [section.key for section in PATIENT_STEPS]),
    }
    for route, name, view in project_urls():
        url = url_for(name, route, patient)
        if name not in expand:
            yield url, view
            continue
        key, values = expand[name]
        kwargs = resolve(url).kwargs
        for value in values:
            yield reverse(name, kwargs={**kwargs, key: value}), view


def admin_urls():
    """Django admin's list, add and change page of every project model the administrator may use."""
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in PROJECT_APPS:
            continue
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        yield reverse(f"{prefix}_changelist")
        yield reverse(f"{prefix}_add")
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            try:
                yield reverse(f"{prefix}_change", args=[first.pk])
            except NoReverseMatch:
                continue


def an_invitation_link(nurse):
    """The portal's one public form: setting a password from a fresh invitation."""
    from patients.links import invitation_token
    from patients.services import invite_to_portal
    from testing.factories import PatientFactory

    invitation = invite_to_portal(PatientFactory(email="invited@test.example"), nurse)
    url = reverse("portal:accept_invitation", args=[invitation_token(invitation)])
    return url, resolve(url).func


def walk_persona(walk, patient, *, with_admin, extra=()):
    post_only = []
    for url, view in [*persona_urls(walk.persona, patient), *extra]:
        response = walk.send("get", url)
        if response is None:
            continue
        if response.status_code == 405:
            post_only.append((url, view))
        if response.status_code != 200:
            continue
        walk.fuzz_query(url, response)
        walk.fuzz_page(url, response)
    for url, view in post_only:
        if url not in walk.targeted:
            walk.run(walk.plan(forms_of_view(view), "post", url))
    for url in admin_urls() if with_admin else ():
        response = walk.send("get", url)
        if response is not None and response.status_code == 200:
            walk.fuzz_page(url, response)


@pytest.fixture
def patient_b(patient_b, nurse):
    return give_one_of_everything(patient_b, nurse)


@pytest.fixture
def patient_a(patient_a, nurse):
    return give_one_of_everything(patient_a, nurse, room_name="Room B", days_ahead=6)


@pytest.mark.parametrize("persona", PERSONAS)
def test_malformed_input_never_breaks_a_page_and_refused_input_writes_nothing(
    persona, staff_by_role, nurse, patient_a, patient_b
):
    started = time.monotonic()
    client, extra = Client(), []
    if persona == "patient":
        client.force_login(patient_a.user, backend="django.contrib.auth.backends.ModelBackend")
        patient = patient_a
    elif persona == "anonymous":
        patient = patient_b
        extra.append(an_invitation_link(nurse))
    else:
        client.force_login(staff_by_role[persona], backend="django.contrib.auth.backends.ModelBackend")
        patient = patient_b
    walk = Walk(client, persona)
    walk_persona(walk, patient, with_admin=persona == roles.ADMINISTRATOR, extra=extra)
    if REPORT:
        print(f"\n{persona}: {walk.requests} requests in {time.monotonic() - started:.1f} s")
    assert not walk.failures, f"{len(walk.failures)} server errors or writes:\n" + "\n".join(walk.failures)
