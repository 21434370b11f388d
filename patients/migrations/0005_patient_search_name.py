"""Patient.search_name: the names folded for search, filled for existing patients; on PostgreSQL a
trigram index on it, so `search_name LIKE '%nguyen%'` is an index scan, not a sequential scan.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. fastupdate is off:
patients are added a few a day and searched all day, and a GIN pending list (filled by inserts until
autovacuum flushes it) is read by every search and made the planner choose a sequential scan after
20,000 inserts. On SQLite (laptop) the index step does nothing: a search there reads the table.
"""

from django.db import migrations, models

from clinic.text import search_key

INDEX = "patients_patient_search_name_trgm"


def fill_search_names(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    patients = list(Patient.objects.only("legal_given_name", "legal_family_name", "preferred_name"))
    for patient in patients:
        names = (patient.legal_given_name, patient.legal_family_name, patient.preferred_name)
        patient.search_name = " ".join(key for key in map(search_key, names) if key)
    Patient.objects.bulk_update(patients, ["search_name"], batch_size=1000)


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient "
        "USING gin (search_name gin_trgm_ops) WITH (fastupdate = off)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_patient_indications")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="search_name",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_index, drop_trigram_index),
    ]
