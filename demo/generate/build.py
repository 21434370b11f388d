"""Set-based SQL that fills every clinical table for N generated patients (PostgreSQL only).

Each step (``registry``, ``charting``, ``visits``, ``questionnaires``) is one or a few ``INSERT … SELECT … FROM generate_series`` statements over scratch tables
(``gen_*``, temporary, gone when the connection closes) that carry the plan: which patient has which
route, clinicians, sessions and score course. Random choices come from ``pg_temp.gen_rand(key)``, a
hash of the seed and the row's own key (patient number, session number, rule), so they do not depend
on the order a plan visits rows in: a seed gives the same clinic on the same starting database.
External ids (UUIDs) are random. Clock times are the clinic's local time (``TIME_ZONE``) turned into UTC.

Per patient (20,000 patients ≈ the clinic group measured in issue 16): ~7 appointments, ~3.1
charted treatment sessions with ~12 vitals readings each, ~15.7 questionnaire responses, ~2
integration notes, intake, screening decision, consent, reminders and questionnaire e-mails.
"""

from django.conf import settings
from django.db import connection

from demo.generate import charting, questionnaires, registry, visits
from demo.generate.sql import run

SCRATCH_TABLES = ("gen_p", "gen_u", "gen_s", "gen_l", "gen_v", "gen_o", "gen_pat", "gen_rule", "gen_q")


class ClinicBuilder:
    """What every step needs: N, the seed, the staff and room pools, ids and JSON from the database
    (``refs``), and where progress goes. ``offset`` (the highest patient id before this run) keeps a
    second run's e-mail addresses and vial numbers apart from the first's."""

    def __init__(self, *, patients, seed, staff, rooms, refs, password_hash, out):
        self.offset = 0
        self.n = patients
        self.seed = seed
        self.staff = staff
        self.rooms = rooms
        self.refs = refs
        self.password_hash = password_hash
        self.out = out
        self.tz = settings.TIME_ZONE

    def params(self, **extra):
        return {
            "n": self.n,
            "tz": self.tz,
            "prescribers": self.staff["prescribers"],
            "nurses": self.staff["nurses"],
            "therapists": self.staff["therapists"],
            "frontdesk": self.staff["frontdesk"],
            "sites": self.rooms["sites"],
            "chairs": self.rooms["chairs"],
            "consult": self.rooms["consult"],
            "pw": self.password_hash,
            **self.refs,
            **extra,
        }

    def build(self, patterns):
        with connection.cursor() as cursor:
            # Scratch tables of an earlier run on this connection (a test, a shell) would be in the way.
            run(cursor, "DROP TABLE IF EXISTS " + ", ".join(SCRATCH_TABLES))
            run(cursor, "SET LOCAL synchronous_commit = off")
            # A uniform number in [0, 1) from the seed and a key: the same key, the same number.
            run(
                cursor,
                """
                CREATE OR REPLACE FUNCTION pg_temp.gen_rand(key text) RETURNS double precision
                LANGUAGE sql IMMUTABLE AS $$
                    SELECT ('x' || substr(md5(%(seed)s || ':' || key), 1, 8))::bit(32)::bigint / 4294967296.0
                $$
                """,
                {"seed": str(self.seed)},
            )
            # Member `x` of the pool's people (or rooms) at `site`: pools are interleaved by site (member
            # i works at site i mod `sites`), so a patient's clinicians and rooms share the patient's site.
            # A pool smaller than the number of sites is shared by all of them.
            run(
                cursor,
                """
                CREATE OR REPLACE FUNCTION pg_temp.gen_pick(pool bigint[], site int, sites int, x bigint)
                RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
                    SELECT CASE WHEN array_length(pool, 1) <= site THEN pool[1 + x %% array_length(pool, 1)]
                           ELSE pool[1 + site + sites * (x %% ((array_length(pool, 1) - 1 - site) / sites + 1))]
                           END
                $$
                """,
            )
            for step in (
                registry.patients,
                registry.portal_logins,
                registry.screening,
                registry.plans,
                charting.sessions_plan,
                charting.appointments,
                charting.treatment_sessions,
                charting.ledger,
                charting.vitals,
                charting.observations,
                charting.devices,
                visits.other_appointments,
                visits.reminders,
                visits.notes,
            ):
                step(self, cursor)
            questionnaires.generate_questionnaires(self, cursor, patterns)

    def patient_ids(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT patient_id FROM gen_p ORDER BY g")
            return [row[0] for row in cursor.fetchall()]
