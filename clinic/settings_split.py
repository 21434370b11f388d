"""Moving settings columns out of clinic.ClinicSettings into a domain's own settings model, in a migration.

Used by the migrations that split ClinicSettings per domain (patients 0006, assessments 0006,
treatment_sessions 0010; clinic 0015 then drops the columns). Works on the migration state only
(``apps``), so it must not import any model. Keep it stable: those migrations depend on it.

Forwards copies the row and every historical row as they are: the same ``id``, and for the history
the same ``history_id``, ``history_date``, ``history_type``, ``history_user`` and
``history_change_reason``, so "the settings in force at a time" (``history.filter(history_date__lte=…)``)
answers as before. Backwards writes the values back into ClinicSettings and its history (matched on
``id`` and ``history_id``); history recorded after the split has no row to go back to and is left out.
"""

from django.core.management.color import no_style
from django.db import migrations

HISTORY_COLUMNS = (
    "id",
    "history_id",
    "history_date",
    "history_type",
    "history_user_id",
    "history_change_reason",
)


def _models(apps, app_label, model_name):
    return (
        apps.get_model("clinic", "ClinicSettings"),
        apps.get_model("clinic", "HistoricalClinicSettings"),
        apps.get_model(app_label, model_name),
        apps.get_model(app_label, f"Historical{model_name}"),
    )


def copy_from_clinic_settings(app_label, model_name, fields):
    """A RunPython operation copying ``fields`` of ClinicSettings (row and history) to ``model_name``."""
    fields = tuple(fields)

    def forwards(apps, schema_editor):
        database = schema_editor.connection.alias
        source, source_history, target, target_history = _models(apps, app_label, model_name)
        target.objects.using(database).bulk_create(
            target(**row) for row in source.objects.using(database).order_by("id").values("id", *fields)
        )
        target_history.objects.using(database).bulk_create(
            (
                target_history(**row)
                for row in source_history.objects.using(database)
                .order_by("history_id")
                .values(*HISTORY_COLUMNS, *fields)
            ),
            batch_size=500,
        )
        # Explicit keys were inserted: the next row the application saves must not reuse one.
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [target, target_history]):
                cursor.execute(statement)

    def backwards(apps, schema_editor):
        database = schema_editor.connection.alias
        source, source_history, target, target_history = _models(apps, app_label, model_name)
        for row in target.objects.using(database).values("id", *fields):
            source.objects.using(database).update_or_create(id=row.pop("id"), defaults=row)
        for row in target_history.objects.using(database).values("history_id", *fields):
            source_history.objects.using(database).filter(history_id=row.pop("history_id")).update(**row)

    return migrations.RunPython(forwards, backwards)
