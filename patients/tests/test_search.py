"""Finding a patient by name whatever the accents, capitals and punctuation: the patient list, the
type-ahead picker (/patients/pick/) and the calendar's "Book" box, on SQLite and on PostgreSQL."""

import importlib
import re
from html import escape

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from clinic import roles
from clinic.text import search_key
from conftest import require_service
from patients.models import Patient
from patients.search import (
    PICK_LIMIT,
    REMEMBERED_SEARCHES,
    SESSION_KEY,
    recall_search,
    remember_search,
    search_patients,
)
from testing.factories import PatientFactory

HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Amélie", "amelie"),
        ("Nguyễn-O'Brien", "nguyenobrien"),
        ("O’Brien", "obrien"),
        ("Đặng", "dang"),
        ("Søren Ærø", "sorenaero"),
        ("Łukasz", "lukasz"),
        ("Straße", "strasse"),
        ("Œdipe", "oedipe"),
        ("Þórdís", "thordis"),
        ("İlkay", "ilkay"),
        ("Ελένη", "ελενη"),
        ("Mary-Ann  St. John", "maryannstjohn"),
        ("ガッキー", "ガッキー"),  # a Japanese voicing mark changes the letter: kept
        ("'; --", ""),
    ],
)
def test_search_key_drops_case_accents_and_punctuation(name, key):
    assert search_key(name) == key


@pytest.fixture
def amelie(db):
    PatientFactory(legal_given_name="Amelia", legal_family_name="Newton")
    return PatientFactory(
        legal_given_name="Amélie",
        legal_family_name="Nguyễn-O'Brien",
        preferred_name="Amy",
        phone="555 010 7788",
    )


def names_in(response):
    return [patient.legal_given_name for patient in response.context["page"].object_list]


def search(client, query, status=""):
    """The list's search as a browser runs it: the form posts the words, the answer is a redirect to
    the list by the search's key (?s=…), which is followed."""
    response = client.post(reverse("patients:list"), {"q": query, "status": status}, follow=True)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    "query",
    [
        "amelie",
        "nguyen",
        "obrien",
        "Amélie",
        "NGUYEN",
        "o'brien",
        "nguyen-o",
        "Nguyễn-O'Brien",
        "amy",
        "ame ngu",
    ],
)
def test_front_desk_finds_amelie_nguyen_obrien_however_the_name_is_typed(
    client_for, front_desk, amelie, query
):
    response = search(client_for(front_desk), query)
    assert names_in(response) == ["Amélie"]


@pytest.mark.parametrize("query", ["amelies", "nguyen newton", "o'brian", "-", "'"])
def test_a_name_that_is_not_there_finds_nobody(client_for, front_desk, amelie, query):
    assert names_in(search(client_for(front_desk), query)) == []


def test_phone_and_date_of_birth_search_still_work(client_for, front_desk, amelie):
    client = client_for(front_desk)
    assert names_in(search(client, "010-77")) == ["Amélie"]
    born = amelie.date_of_birth
    assert "Amélie" in names_in(search(client, born.strftime("%m/%d/%Y")))


# No name, birth date or phone number in an address ------------------------------------------------


def test_what_front_desk_types_never_goes_into_an_address(client_for, front_desk, amelie):
    born = amelie.date_of_birth.strftime("%m/%d/%Y")
    client = client_for(front_desk)
    for typed in ("Nguyễn-O'Brien", born, "555 010"):
        response = search(client, typed)
        [(address, status)] = response.redirect_chain
        assert status == 302
        assert re.fullmatch(r"/patients/\?s=[\w-]{8}", address), address
        page = response.content.decode()
        assert 'method="post" action="/patients/" role="search"' in page
        assert f'value="{escape(typed)}"' in page  # the box still shows what was typed
    assert names_in(search(client, "nguyen")) == ["Amélie"]


def test_the_search_keeps_its_pages_reloads_and_older_searches(client_for, nurse, db):
    PatientFactory.create_batch(30, legal_family_name="Lindqvist", status="active")
    PatientFactory.create_batch(3, legal_family_name="Lindqvist", status="screening")
    PatientFactory(legal_family_name="Other")
    client = client_for(nurse)
    first = search(client, "lindqvist", status="active")
    address = first.redirect_chain[-1][0]
    assert "status=active" in address and "lindqvist" not in address.lower()
    assert "Page 1 of 2 · 30 in all" in first.content.decode()
    key = first.context["search_key"]
    assert f'href="?s={key}&amp;status=active&amp;page=2"' in first.content.decode()
    second_page = client.get(reverse("patients:list"), {"s": key, "status": "active", "page": 2})
    assert len(second_page.context["page"].object_list) == 5
    assert second_page.context["query"] == "lindqvist"
    search(client, "other")
    assert client.get(address).context["page"].paginator.count == 30  # back to the first search


def test_a_search_key_from_another_session_finds_nothing_of_it(client_for, nurse, front_desk, amelie):
    address = search(client_for(nurse), "amelie").redirect_chain[-1][0]
    response = client_for(front_desk).get(address)
    assert response.context["query"] == ""
    assert "That search is no longer kept" in response.content.decode()
    assert len(names_in(response)) == 2  # the whole list, not the nurse's search


def test_words_in_the_address_are_not_a_search(client_for, front_desk, amelie):
    assert len(names_in(client_for(front_desk).get(reverse("patients:list"), {"q": "amelie"}))) == 2


def test_a_session_keeps_its_last_searches_once_each():
    session = {}
    keys = [remember_search(session, f"name {n}") for n in range(REMEMBERED_SEARCHES + 5)]
    assert list(session[SESSION_KEY]) == keys[-REMEMBERED_SEARCHES:]
    assert recall_search(session, keys[0]) == ""
    assert remember_search(session, "  name   24 ") == keys[-1]
    assert recall_search(session, keys[-1]) == "name 24"
    assert recall_search(session, None) == recall_search(session, "unknown") == ""


def test_the_picker_posts_what_is_typed(client_for, front_desk, db):
    page = client_for(front_desk).get(reverse("sessions:calendar")).content.decode()
    assert 'hx-post="/patients/pick/"' in page and "hx-get" not in page
    assert '<form method="post" action="/schedule/book/"' in page


def test_search_uses_the_trigram_index_on_postgresql(amelie):
    require_service(
        connection.vendor == "postgresql", "the trigram index needs PostgreSQL (set DATABASE_URL)"
    )
    query = search_patients(Patient.objects.all(), "nguyen")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        # Three rows read faster without an index: forbid the sequential scan to see the index is usable.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "patients_patient_search_name_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert [p.legal_given_name for p in query] == ["Amélie"]


def test_search_by_part_of_a_phone_number_uses_its_trigram_index_on_postgresql(amelie):
    require_service(
        connection.vendor == "postgresql", "the trigram index needs PostgreSQL (set DATABASE_URL)"
    )
    query = search_patients(Patient.objects.all(), "010-77")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "patients_patient_phone_digits_trgm" in plan, plan
    assert [p.legal_given_name for p in query] == ["Amélie"]


def test_front_desk_finds_a_patient_by_the_middle_of_her_phone_number(amelie):
    assert list(search_patients(Patient.objects.all(), "(010) 77")) == [amelie]
    assert list(search_patients(Patient.objects.all(), "788")) == [amelie]


def test_search_on_sqlite_matches_the_folded_column_not_sqlites_ascii_only_case_folding(amelie):
    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL: see the trigram test above")
    sql = str(search_patients(Patient.objects.all(), "NGUYỄN").query)
    assert '"search_name" LIKE' in sql and "%nguyen%" in sql, sql
    assert 'legal_family_name" LIKE' not in sql


def test_search_key_follows_every_way_names_are_written(db):
    patient = PatientFactory(legal_given_name="Zoë", legal_family_name="Ødegård")
    assert patient.search_name == "zoe odegard"
    patient.legal_family_name = "Ørsted"
    patient.save(update_fields=["legal_family_name"])
    patient.refresh_from_db()
    assert patient.search_name == "zoe orsted"
    patient.preferred_name = "Zo"
    Patient.objects.bulk_update([patient], ["preferred_name"])
    assert Patient.objects.get(pk=patient.pk).search_name == "zoe orsted zo"
    [made] = Patient.objects.bulk_create(
        [PatientFactory.build(legal_given_name="Łucja", legal_family_name="Ó Sé")]
    )
    assert Patient.objects.get(pk=made.pk).search_name == "lucja ose"
    with pytest.raises(TypeError):
        Patient.objects.filter(pk=patient.pk).update(legal_family_name="Orsted")


def test_the_migration_fills_the_search_key_of_existing_patients(amelie):
    Patient.objects.update(search_name="")
    migration = importlib.import_module("patients.migrations.0005_patient_search_name")
    migration.fill_search_names(apps, None)
    amelie.refresh_from_db()
    assert amelie.search_name == "amelie nguyenobrien amy"


def test_administrator_finds_her_in_django_admin_too(client_for, administrator, amelie):
    page = client_for(administrator).get("/admin/patients/patient/", {"q": "obrien"}).content.decode()
    assert "Nguyễn-O&#x27;Brien" in page
    assert "Newton" not in page


# The type-ahead picker ----------------------------------------------------------------------------


def pick(client, query):
    return client.post(reverse("patients:pick"), {"q": query}, headers=HTMX)


def test_nurse_picks_amelie_by_typing_part_of_her_name(client_for, nurse, amelie):
    response = pick(client_for(nurse), "nguy")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="patient" value="{amelie.external_id}"' in page
    assert "Nguyễn-O&#x27;Brien, Amélie (Amy)" in page
    assert "Newton" not in page
    assert 'id="patient-picker-count" hx-swap-oob="innerHTML">1 patient found.' in page
    assert "HX-Request" in response["Vary"]


def test_the_picker_never_lists_more_than_its_limit(client_for, front_desk, db):
    PatientFactory.create_batch(PICK_LIMIT + 5, legal_family_name="Nguyen")
    page = pick(client_for(front_desk), "nguyen").content.decode()
    assert page.count('name="patient"') == PICK_LIMIT
    assert f"More than {PICK_LIMIT} patients match" in page


@pytest.mark.parametrize(
    ("query", "says"), [("", ""), ("a", "Type at least 2 letters"), ("zz", "No patient matches")]
)
def test_the_picker_lists_nobody_for_an_empty_short_or_unknown_query(
    client_for, front_desk, amelie, query, says
):
    page = pick(client_for(front_desk), query).content.decode()
    assert 'name="patient"' not in page
    assert says in page


def test_the_picker_escapes_names(client_for, front_desk, db):
    PatientFactory(legal_given_name="<script>alert(1)</script>", legal_family_name="Scriptson")
    page = pick(client_for(front_desk), "scriptson").content.decode()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_only_staff_who_may_view_patients_use_the_picker(client_for, staff_by_role, amelie, role):
    response = pick(client_for(staff_by_role[role]), "amelie")
    assert response.status_code == (200 if roles.VIEW_PATIENT in roles.ROLE_PERMISSIONS[role] else 403)


def test_patients_and_anonymous_users_cannot_use_the_picker(client_for, client, patient_a, amelie):
    assert pick(client_for(patient_a.user), "amelie").status_code == 403
    response = pick(client, "amelie")
    assert response.status_code == 401  # htmx: the page says "signed out", no sign-in page in the list
    assert "Amélie" not in response.content.decode()


def test_the_picker_address_opened_without_htmx_leads_to_the_patient_list(client_for, nurse, amelie):
    client = client_for(nurse)
    response = client.post(reverse("patients:pick"), {"q": "o'brien"})
    assert response.status_code == 302
    assert "brien" not in response["Location"]
    assert names_in(client.get(response["Location"])) == ["Amélie"]
    assert client.get(reverse("patients:pick")).url == reverse("patients:list")


# The calendar's "Book" box ------------------------------------------------------------------------


def test_front_desk_books_from_the_calendar_without_javascript(client_for, front_desk, amelie):
    client = client_for(front_desk)
    # "Find" posts the Book box's form to the calendar, which keeps the words and shows the matches.
    found = client.post(reverse("sessions:calendar"), {"date": "2031-05-06", "view": "day", "q": "NGUYEN"})
    assert found.status_code == 302
    assert "NGUYEN" not in found["Location"] and "nguyen" not in found["Location"].lower()
    assert found["Location"].startswith(reverse("sessions:calendar") + "?date=2031-05-06&view=day&pick=")
    page = client.get(found["Location"]).content.decode()
    assert 'for="patient-picker-q">Book on May 6 for' in page
    assert 'value="NGUYEN"' in page
    assert 'role="status">1 patient found.' in page
    assert f'name="patient" value="{amelie.external_id}"' in page
    chosen = client.post(
        reverse("sessions:calendar_book"),
        {"date": "2031-05-06", "q": "NGUYEN", "patient": amelie.external_id},
    )
    assert chosen["Location"] == reverse("sessions:book", args=[amelie.external_id]) + "?date=2031-05-06"


def test_the_calendar_lists_no_patient_until_a_name_is_typed(client_for, front_desk, amelie):
    page = client_for(front_desk).get(reverse("sessions:calendar")).content.decode()
    assert 'id="patient-picker-q"' in page
    assert 'name="patient"' not in page
