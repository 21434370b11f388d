"""Upgrading an existing database to the current code loses nothing.

A clinic that has run the baseline release for months must be able to pull the current code, run
`manage.py migrate` and find every patient, chart, score and setting where it was. For SQLite and for
PostgreSQL this test:

1. exports the baseline commit (git archive) and, with the baseline's own code, migrates an empty
   throwaway database and fills it with `seed_demo` (a realistic demo clinic);
2. reads every table of that database directly (not through the ORM, which only sees what its models
   know);
3. runs the current code's `migrate` on the same database and reads every table again;
4. requires every baseline table, column and row to be there with equal values, except for the changes
   declared below (a renamed table, a moved or dropped column, a relabelled content type, new rows in
   Django's bookkeeping tables). New tables and new columns are always allowed;
5. requires the upgraded database to be usable: `check` passes and no migration is left unapplied.

The comparison itself is unit-tested at the end of this file, so a loss is known to be reported.
"""

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import psycopg2
import pytest
from psycopg2 import sql

from clinic.tests.upgrade_snapshot import (
    ExpectedChanges,
    MovedColumn,
    Table,
    compare,
    report,
    snapshot_postgresql,
    snapshot_sqlite,
)
from conftest import require_service

# The last commit before the layered layout (models moved between apps, settings split per domain).
# Databases made by this release are the ones the restructure must carry over.
BASELINE = "ad7e12c6727449f993bf702ad6d5a81a46c8fd87"

ROOT = Path(__file__).resolve().parents[2]  # the directory holding manage.py

# Expected changes ---------------------------------------------------------------------------------
# What the upgrade is allowed to change. Anything else that differs from the baseline fails the test.
# Table names on the left are the baseline's, on the right the current code's. Empty today: nothing
# has been restructured yet. Examples of each kind of declaration are in the comments.

# (i) Tables renamed: baseline name -> current name. Every row must be in the new table, unchanged.
#     {"clinic_clinicsettings": "settings_clinicsettings"}
RENAMED_TABLES: dict[str, str] = {}

# (ii) Columns whose values moved to another table (or to another name in the same table).
#     MovedColumn(source, target, match=(source key column, target key column)): for every baseline row
#     of the source table, the target row whose key column equals the source row's key column holds the
#     same value. ("id", "id") suits a singleton that kept id 1; ("id", "clinic_settings_id") a new
#     table pointing back with a foreign key.
#     MovedColumn("clinic_clinicsettings.hold_sbp", "treatment_sessions_chartingsettings.hold_sbp")
#     MovedColumn("clinic_clinicsettings.crisis_line", "assessments_measuresettings.crisis_line",
#                 match=("id", "clinic_settings_id"))
# The settings split per layer (clinic 0015 and the migrations it names in run_before): each column
# keeps its name; the row keeps id 1 and every history row its history_id. The history's own columns
# (when, what kind, by whom, why) stay in clinic_historicalclinicsettings and are copied: declared here
# too, so the copies are checked.
SETTINGS_MOVED_TO = {
    ("patients_patientsettings", "patients_historicalpatientsettings"): (
        "intake_self_verification",
        "invitation_valid_hours",
    ),
    ("assessments_assessmentsettings", "assessments_historicalassessmentsettings"): (
        "outcome_min_followups",
    ),
    ("treatment_sessions_schedulingsettings", "treatment_sessions_historicalschedulingsettings"): (
        "reminder_hours",
        "sms_reminders",
        "quiet_hours_start",
        "quiet_hours_end",
        "cancellation_window_hours",
        "questionnaire_reminder_days",
    ),
    ("treatment_sessions_chartingsettings", "treatment_sessions_historicalchartingsettings"): (
        "max_mg_per_kg",
        "max_dose_mg",
        "max_esketamine_mg",
        "weight_valid_days",
        "monitoring_minutes",
        "pump_rate_resolution",
        *("hold_sbp", "hold_dbp", "hold_spo2_below", "hold_hr_above", "hold_hr_below"),
        *("hold_rr_below", "hold_rr_above", "hold_temp_c"),
        *("caution_sbp", "caution_dbp", "caution_spo2_below", "caution_hr_above"),
        *("alert_sbp_above", "alert_dbp_above", "alert_sbp_below", "alert_dbp_below"),
        *("alert_hr_above", "alert_hr_below", "alert_spo2_below", "alert_rr_below", "alert_rr_above"),
        "moaas_alert_at_most",
    ),
}
HISTORY_COLUMNS = ("id", "history_date", "history_type", "history_user_id", "history_change_reason")
MOVED_COLUMNS: list[MovedColumn] = [
    *(
        moved
        for (table, history), columns in SETTINGS_MOVED_TO.items()
        for moved in (
            *(MovedColumn(f"clinic_clinicsettings.{c}", f"{table}.{c}") for c in columns),
            *(
                MovedColumn(
                    f"clinic_historicalclinicsettings.{c}",
                    f"{history}.{c}",
                    match=("history_id", "history_id"),
                )
                for c in (*columns, *HISTORY_COLUMNS)
            ),
        )
    ),
]

# (iii) Columns that may be gone after the upgrade, "table.column" -> why. Declare the move above too
#     when the data lives on elsewhere; a dropped column that is still there is compared as usual.
#     {"clinic_clinicsettings.hold_sbp": "moved to treatment_sessions_chartingsettings"}
DROPPED_COLUMNS: dict[str, str] = {
    **{
        f"{source}.{column}": f"moved to {target}"
        for (table, history), columns in SETTINGS_MOVED_TO.items()
        for source, target in (("clinic_clinicsettings", table), ("clinic_historicalclinicsettings", history))
        for column in columns
    },
}

# (iv) Content types whose model moved to another app: (baseline app_label, model) -> current app_label.
#     The django_content_type row keeps its id (permissions, admin log and history point at it) and
#     only its app_label changes.
#     {("treatment_sessions", "vial"): "ledger", ("treatment_sessions", "ledgerentry"): "ledger"}
RELABELLED_CONTENT_TYPES: dict[tuple[str, str], str] = {
    # Integration notes and follow-ups moved to sessions/integration/ (treatment_sessions 0009); their
    # content types keep their ids, so every permission granted on them carries over.
    ("assessments", model): "treatment_sessions"
    for model in ("notetemplate", "integrationnote", "noteaddendum", "followuprule", "questionnairenotice")
}

# (v) Tables that may gain rows: migrations applied, content types and permissions of new models. The
#     baseline's rows must all still be there, unchanged. Add "auth_group_permissions" if a migration
#     grants the new permissions to the roles.
#     The role sync after migrate (clinic/role_sync.py) grants Administrator the permissions of the
#     new settings models (patients.change_patientsettings, …): new auth_group_permissions rows.
TABLES_WITH_NEW_ROWS: set[str] = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group_permissions",
    # clinic 0017: every existing login's address becomes a verified allauth EmailAddress (staff can
    # then enrol MFA, clinic/email_addresses.py).
    "account_emailaddress",
}

# (vi) Whole new tables need no declaration: nothing of the baseline can be lost in them.

EXPECTED = ExpectedChanges(
    renamed_tables=RENAMED_TABLES,
    moved_columns=MOVED_COLUMNS,
    dropped_columns=DROPPED_COLUMNS,
    relabelled_content_types=RELABELLED_CONTENT_TYPES,
    tables_with_new_rows=TABLES_WITH_NEW_ROWS,
)

# Running manage.py --------------------------------------------------------------------------------

# Only what a Python process needs passes through to manage.py. The clinic's own settings
# (DATABASE_URL, CACHE_URL, CELERY_BROKER_URL, EMAIL_URL, SMS_BACKEND, SECRET_KEY, VAR_DIR, …) from the
# developer's shell or CI are dropped, so these runs can reach no real database, cache, broker or mailbox:
# unset, the settings fall back to a memory cache and a file broker and mail folder under VAR_DIR.
PASSED_THROUGH = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TMPDIR", "LD_LIBRARY_PATH"}
# Locale; fontconfig for the consent PDFs; libpq's credentials and TLS (never its host or database:
# DATABASE_URL names those), so manage.py reaches the throwaway database as this process does.
PASSED_THROUGH_PREFIXES = ("LC_", "XDG_", "FONTCONFIG_", "PGPASS", "PGSSL")


def manage_environment(database_url, var_dir):
    environment = {
        name: value
        for name, value in os.environ.items()
        if name in PASSED_THROUGH or name.startswith(PASSED_THROUGH_PREFIXES)
    }
    environment.update(
        DATABASE_URL=database_url,
        # One var/ for both codes, as a real upgrade keeps it: the secret key, media files (signed
        # consent PDFs), the Celery file broker and mail all stay in the test's temporary folder.
        VAR_DIR=str(var_dir),
        DEBUG="true",
        LOG_LEVEL="WARNING",
    )
    return environment


def manage(cwd, environment, *args):
    """Run manage.py with the virtualenv's Python in `cwd`; fail with its output.

    Prints how long it took (pytest shows it with -s, -rA or under a failure)."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=400,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        pytest.fail(
            f"manage.py {' '.join(args)} in {cwd} exited {result.returncode}:\n{output}", pytrace=False
        )
    code = "current" if cwd == ROOT else "baseline"
    print(f"{code} manage.py {' '.join(args)}: {time.monotonic() - started:.1f} s")


# The baseline's code ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_tree(tmp_path_factory):
    """The baseline commit's files in a temporary folder (its var/ is never used: VAR_DIR says where)."""
    git = shutil.which("git")
    require_service(git, "git is not installed, so the baseline release cannot be exported")
    found = subprocess.run(
        [git, "-C", ROOT, "cat-file", "-e", f"{BASELINE}^{{commit}}"], capture_output=True, text=True
    )
    require_service(
        found.returncode == 0,
        f"{ROOT} is not a git checkout holding the baseline commit {BASELINE[:12]} "
        f"(a shallow clone? fetch it): {found.stderr.strip()}",
    )
    tree = tmp_path_factory.mktemp("baseline")
    archive = subprocess.Popen([git, "-C", ROOT, "archive", BASELINE], stdout=subprocess.PIPE)
    extract = subprocess.run(["tar", "-x", "-C", tree], stdin=archive.stdout)
    archive.stdout.close()
    assert archive.wait() == 0 and extract.returncode == 0, f"git archive {BASELINE} | tar -x failed"
    return tree


# Throwaway databases ------------------------------------------------------------------------------


class SQLiteDatabase:
    def __init__(self, folder):
        self.path = folder / "upgrade.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def snapshot(self):
        return snapshot_sqlite(self.path)


class PostgreSQLDatabase:
    def __init__(self, server_url, connect, name):
        self.url = urlsplit(server_url)._replace(path=f"/{name}").geturl()
        self.connect = {**connect, "dbname": name}

    def snapshot(self):
        return snapshot_postgresql(**self.connect)


def postgresql_server():
    """The server of DATABASE_URL when that is PostgreSQL, else the local one; and how to connect."""
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    config = dj_database_url.parse(url)
    connect = {
        key: value
        for key, value in {
            "host": config.get("HOST"),
            "port": config.get("PORT"),
            "user": config.get("USER"),
            "password": config.get("PASSWORD"),
            **config.get("OPTIONS", {}),
        }.items()
        if value
    }
    return url, connect, config.get("NAME")


@pytest.fixture
def postgresql_database():
    url, connect, named = postgresql_server()
    admin, error = None, None
    # CREATE DATABASE runs from the "postgres" maintenance database, or the one DATABASE_URL names.
    for dbname in dict.fromkeys(["postgres", named]):
        try:
            admin = psycopg2.connect(**connect, dbname=dbname, connect_timeout=5)
            break
        except psycopg2.OperationalError as failure:
            error = str(failure).strip().splitlines()[0]
    require_service(
        admin, f"PostgreSQL is not reachable at {connect.get('host')}:{connect.get('port')} ({error})"
    )
    admin.autocommit = True
    name = f"clinic_upgrade_{secrets.token_hex(4)}"
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PostgreSQLDatabase(url, connect, name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database(request, tmp_path):
    if request.param == "sqlite":
        return SQLiteDatabase(tmp_path)
    return request.getfixturevalue("postgresql_database")


# The upgrade ------------------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_upgrading_a_baseline_database_keeps_every_row(baseline_tree, database, tmp_path):
    environment = manage_environment(database.url, tmp_path / "var")
    manage(baseline_tree, environment, "migrate", "--noinput")
    manage(baseline_tree, environment, "seed_demo")
    before = database.snapshot()
    # The demo clinic must be there, or "nothing lost" would be proven on next to nothing.
    assert len(before["patients_patient"].rows) >= 8
    assert before["treatment_sessions_treatmentsession"].rows
    print(f"{len(before)} tables, {sum(len(table.rows) for table in before.values())} rows in the baseline")

    manage(ROOT, environment, "migrate", "--noinput")
    problems = compare(before, database.snapshot(), EXPECTED)
    if problems:  # pytest.fail, not assert: pytest would print the whole list after the short report
        pytest.fail(
            f"Upgrading a {BASELINE[:12]} database changed {len(problems)} things that test_upgrade.py's "
            f"expected changes do not declare:\n{report(problems)}",
            pytrace=False,
        )

    # Usable, not only intact: the system checks pass against the database, and no migration is left.
    manage(ROOT, environment, "check", "--database", "default")
    manage(ROOT, environment, "migrate", "--check", "--noinput")


# The comparison reports what it should ------------------------------------------------------------


def _table(columns, *rows, primary_key=("id",)):
    return Table(tuple(columns), primary_key, [dict(zip(columns, row, strict=True)) for row in rows])


def _baseline():
    return {
        "clinic_clinicsettings": _table(["id", "name", "hold_sbp"], (1, "Riverside", 180)),
        "patients_patient": _table(["id", "legal_family_name"], (1, "Avery"), (2, "Bell")),
        "django_content_type": _table(
            ["id", "app_label", "model"], (7, "treatment_sessions", "vial"), (8, "patients", "patient")
        ),
        "django_migrations": _table(["id", "app", "name"], (1, "clinic", "0001_initial")),
        "no_primary_key": _table(["a", "b"], (1, "x"), (1, "x"), primary_key=()),
    }


def test_an_identical_database_has_no_differences():
    assert compare(_baseline(), _baseline(), ExpectedChanges()) == []


def test_a_changed_value_a_missing_row_table_or_column_and_an_undeclared_row_are_each_reported():
    after = _baseline()
    after["clinic_clinicsettings"].rows[0]["hold_sbp"] = None
    del after["patients_patient"].rows[1]
    after["patients_patient"].rows.append({"id": 3, "legal_family_name": "Chen"})
    after["django_content_type"] = _table(["id", "app_label"], (7, "treatment_sessions"), (8, "patients"))
    del after["django_migrations"]
    after["no_primary_key"].rows.pop()
    assert compare(_baseline(), after, ExpectedChanges()) == [
        "clinic_clinicsettings id=1 hold_sbp: before 180, after None",
        "django_content_type: column model missing after the upgrade",
        "django_migrations: table missing after the upgrade (1 rows)",
        "no_primary_key a=1 b='x' #2: row missing after the upgrade",
        "patients_patient id=2: row missing after the upgrade",
        "patients_patient: 1 rows not in the baseline, e.g. id=3 "
        "(declare the table in TABLES_WITH_NEW_ROWS if that is intended)",
    ]


def test_new_bookkeeping_rows_tables_and_columns_are_allowed_but_a_changed_baseline_row_is_not():
    after = _baseline()
    after["django_migrations"].rows[0]["name"] = "0001_squashed"
    after["django_migrations"].rows.append({"id": 2, "app": "ledger", "name": "0001_initial"})
    after["ledger_settings"] = _table(["id"], (1,))
    after["patients_patient"] = _table(
        ["id", "legal_family_name", "search_name"], (1, "Avery", "avery"), (2, "Bell", "bell")
    )
    expected = ExpectedChanges(tables_with_new_rows={"django_migrations"})
    assert compare(_baseline(), after, expected) == [
        "django_migrations id=1 name: before '0001_initial', after '0001_squashed'"
    ]


def test_a_declared_restructure_passes_and_each_declaration_is_held_to_its_word():
    expected = ExpectedChanges(
        renamed_tables={"patients_patient": "records_patient"},
        moved_columns=[
            MovedColumn("clinic_clinicsettings.hold_sbp", "charting_settings.hold_sbp", ("id", "clinic_id"))
        ],
        dropped_columns={"clinic_clinicsettings.hold_sbp": "moved to charting_settings"},
        relabelled_content_types={("treatment_sessions", "vial"): "ledger"},
    )
    after = _baseline()
    after["records_patient"] = after.pop("patients_patient")
    after["clinic_clinicsettings"] = _table(["id", "name"], (1, "Riverside"))
    after["charting_settings"] = _table(["id", "clinic_id", "hold_sbp"], (5, 1, 180))
    after["django_content_type"].rows[0]["app_label"] = "ledger"
    assert compare(_baseline(), after, expected) == []

    after["records_patient"].rows[0]["legal_family_name"] = "Avery-Smith"
    after["charting_settings"].rows[0]["hold_sbp"] = 160
    after["django_content_type"].rows[0]["app_label"] = "treatment_sessions"
    assert compare(_baseline(), after, expected) == [
        "django_content_type id=7 app_label: before 'treatment_sessions', after 'treatment_sessions', "
        "declared 'ledger'",
        "patients_patient (now records_patient) id=1 legal_family_name: before 'Avery', after 'Avery-Smith'",
        "clinic_clinicsettings.hold_sbp -> charting_settings.hold_sbp id=1: before 180, after 160",
    ]

    after["charting_settings"].rows.clear()
    assert compare(_baseline(), after, expected)[-1] == (
        "clinic_clinicsettings.hold_sbp -> charting_settings.hold_sbp id=1: 0 rows with clinic_id=1"
    )


def test_a_declaration_naming_what_the_baseline_never_had_is_reported():
    expected = ExpectedChanges(
        renamed_tables={"patients_patients": "records_patient"},
        dropped_columns={"clinic_clinicsettings.hold_dbp": "typo"},
        relabelled_content_types={("sessions", "vial"): "ledger"},
    )
    assert compare(_baseline(), _baseline(), expected) == [
        "RENAMED_TABLES: the baseline has no table patients_patients",
        "DROPPED_COLUMNS: the baseline has no column clinic_clinicsettings.hold_dbp",
        "RELABELLED_CONTENT_TYPES: the baseline has no content type sessions.vial",
    ]
