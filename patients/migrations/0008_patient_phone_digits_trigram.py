"""On PostgreSQL a trigram index on Patient.phone_digits, so a search by part of a phone number
(`phone_digits LIKE '%5550%'`) is an index scan; the B-tree index beside it serves only a search by
the number's beginning. As for search_name (0005): pg_trgm is a trusted extension, and fastupdate is
off so that a pending list filled by inserts never turns searches into sequential scans. On SQLite the
step does nothing: a search there reads the table.
"""

from django.db import migrations

INDEX = "patients_patient_phone_digits_trgm"


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient "
        "USING gin (phone_digits gin_trgm_ops) WITH (fastupdate = off)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_consentsignature_pdf_sha256")]

    operations = [migrations.RunPython(add_trigram_index, drop_trigram_index)]
