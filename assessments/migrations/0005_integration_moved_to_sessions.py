"""Integration notes and follow-up questionnaires now belong to the treatment_sessions app (its
migration 0009). Only this app's model state forgets them: the tables and their rows stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_open_alert_index"),
        ("treatment_sessions", "0009_integration_moves_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="followuprule",
                    name="instrument",
                ),
                migrations.AlterField(
                    model_name="questionnaireassignment",
                    name="rule",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="treatment_sessions.followuprule",
                    ),
                ),
                migrations.RemoveField(
                    model_name="integrationnote",
                    name="appointment",
                ),
                migrations.RemoveField(
                    model_name="integrationnote",
                    name="author",
                ),
                migrations.RemoveField(
                    model_name="integrationnote",
                    name="patient",
                ),
                migrations.RemoveField(
                    model_name="integrationnote",
                    name="signed_by",
                ),
                migrations.RemoveField(
                    model_name="integrationnote",
                    name="summary_shared_by",
                ),
                migrations.RemoveField(
                    model_name="integrationnote",
                    name="template",
                ),
                migrations.RemoveField(
                    model_name="integrationnote",
                    name="treatment_session",
                ),
                migrations.RemoveField(
                    model_name="noteaddendum",
                    name="note",
                ),
                migrations.RemoveField(
                    model_name="noteaddendum",
                    name="author",
                ),
                migrations.RemoveField(
                    model_name="questionnairenotice",
                    name="assignment",
                ),
                migrations.DeleteModel(
                    name="FollowUpRule",
                ),
                migrations.DeleteModel(
                    name="NoteTemplate",
                ),
                migrations.DeleteModel(
                    name="IntegrationNote",
                ),
                migrations.DeleteModel(
                    name="NoteAddendum",
                ),
                migrations.DeleteModel(
                    name="QuestionnaireNotice",
                ),
            ],
        ),
    ]
