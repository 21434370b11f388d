"""PostgreSQL: no two open appointments overlap in one room, for one clinician or for one patient.

Exclusion constraints are PostgreSQL's; on SQLite (laptop) this migration does nothing and the
booking service's check runs inside SQLite's single-writer transaction instead.
"""

from django.db import migrations

OPEN = "status IN ('scheduled', 'confirmed', 'checked_in', 'in_treatment')"
COLUMNS = ("room_id", "clinician_id", "patient_id")


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE treatment_sessions_appointment ADD CONSTRAINT no_double_booking_{column} "
            f'EXCLUDE USING gist ({column} WITH =, tstzrange("start", "end") WITH &&) WHERE ({OPEN})'
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE treatment_sessions_appointment DROP CONSTRAINT IF EXISTS no_double_booking_{column}"
        )


class Migration(migrations.Migration):
    dependencies = [("treatment_sessions", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
