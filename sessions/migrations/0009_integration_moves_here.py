"""Integration notes and follow-up questionnaires move from the assessments app to this one.

Only Django's idea of which app owns them changes: the tables keep their names (``db_table``) and every
row stays where it is. The content types move with them, so the permissions granted on them (and admin
history) carry over unchanged.
"""

import uuid

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ("notetemplate", "integrationnote", "noteaddendum", "followuprule", "questionnairenotice")


def move_content_types(apps, schema_editor, old="assessments", new="treatment_sessions"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(app_label=old, model__in=MOVED).update(
        app_label=new
    )


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="treatment_sessions", new="assessments")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_open_alert_index"),
        ("patients", "0005_patient_search_name"),
        ("treatment_sessions", "0008_appointment_type_fasting_rule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        # After the role migrations that granted permissions on these models by their old app label.
        ("clinic", "0014_intake_self_verification"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="NoteTemplate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("description", models.CharField(blank=True, max_length=200)),
                        ("experience", models.TextField(blank=True, verbose_name="experience prompt")),
                        ("themes", models.TextField(blank=True, verbose_name="themes prompt")),
                        ("insights", models.TextField(blank=True, verbose_name="insights prompt")),
                        (
                            "emotional_state",
                            models.TextField(blank=True, verbose_name="emotional state prompt"),
                        ),
                        ("goals", models.TextField(blank=True, verbose_name="goals prompt")),
                        (
                            "practices",
                            models.TextField(blank=True, verbose_name="practices and homework prompt"),
                        ),
                        ("plan", models.TextField(blank=True, verbose_name="plan prompt")),
                        ("summary", models.TextField(blank=True, verbose_name="patient summary prompt")),
                        ("is_active", models.BooleanField(default=True)),
                    ],
                    options={
                        "verbose_name": "integration note template",
                        "db_table": "assessments_notetemplate",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="FollowUpRule",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                help_text='Shown to staff, e.g. "PHQ-9 24 h after infusion".', max_length=120
                            ),
                        ),
                        (
                            "appointment_kind",
                            models.CharField(
                                choices=[
                                    ("iv", "IV infusion"),
                                    ("im", "IM injection"),
                                    ("intranasal", "Intranasal esketamine"),
                                    ("integration", "Integration session"),
                                ],
                                max_length=20,
                                verbose_name="treatment type",
                            ),
                        ),
                        (
                            "trigger",
                            models.CharField(
                                choices=[
                                    ("baseline", "Baseline before the first session"),
                                    ("after_each", "After each session"),
                                    ("periodic", "After a session, at most every N days"),
                                ],
                                default="after_each",
                                max_length=12,
                            ),
                        ),
                        (
                            "hours_after",
                            models.PositiveSmallIntegerField(
                                default=24,
                                help_text="After each / periodic: how long after the session ends it is sent.",
                                validators=[django.core.validators.MaxValueValidator(2160)],
                            ),
                        ),
                        (
                            "every_days",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="Periodic: not again if the patient was sent this instrument within this many days.",
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(365),
                                ],
                            ),
                        ),
                        (
                            "indication",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("depression", "Depression"),
                                    ("ptsd", "PTSD"),
                                    ("anxiety", "Anxiety"),
                                    ("ocd", "OCD"),
                                    ("pain", "Chronic pain"),
                                    ("other", "Other"),
                                ],
                                help_text="Leave empty for every patient.",
                                max_length=20,
                                verbose_name="only for patients treated for",
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True)),
                        (
                            "instrument",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="follow_up_rules",
                                to="assessments.instrument",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "follow-up rule",
                        "db_table": "assessments_followuprule",
                        "ordering": ["appointment_kind", "trigger", "hours_after", "instrument__code"],
                    },
                ),
                migrations.CreateModel(
                    name="IntegrationNote",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("external_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[("draft", "Draft"), ("signed", "Signed and locked")],
                                default="draft",
                                max_length=10,
                            ),
                        ),
                        ("experience", models.TextField(blank=True)),
                        ("themes", models.TextField(blank=True)),
                        ("insights", models.TextField(blank=True)),
                        ("emotional_state", models.TextField(blank=True)),
                        ("goals", models.TextField(blank=True)),
                        ("practices", models.TextField(blank=True, verbose_name="practices and homework")),
                        ("plan", models.TextField(blank=True)),
                        (
                            "risk_reviewed",
                            models.BooleanField(
                                default=False,
                                help_text="Suicide risk and open alerts were reviewed.",
                                verbose_name="risk check done",
                            ),
                        ),
                        ("risk_note", models.TextField(blank=True, verbose_name="risk check")),
                        (
                            "patient_summary",
                            models.TextField(
                                blank=True,
                                help_text="Only this is ever shown to the patient.",
                                verbose_name="summary for the patient",
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("saved_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("signed_at", models.DateTimeField(blank=True, null=True)),
                        ("open_alerts_at_signing", models.PositiveSmallIntegerField(default=0)),
                        ("summary_shared_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "appointment",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="integration_notes",
                                to="treatment_sessions.appointment",
                            ),
                        ),
                        (
                            "author",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="integration_notes",
                                to="patients.patient",
                            ),
                        ),
                        (
                            "signed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "summary_shared_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "treatment_session",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="integration_notes",
                                to="treatment_sessions.treatmentsession",
                            ),
                        ),
                        (
                            "template",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="treatment_sessions.notetemplate",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "assessments_integrationnote",
                        "ordering": ["-created_at"],
                        "permissions": [
                            ("sign_integrationnote", "Can sign integration notes"),
                            ("view_caseload", "Has a caseload page"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NoteAddendum",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("reason", models.CharField(max_length=200)),
                        ("text", models.TextField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "author",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "note",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="addenda",
                                to="treatment_sessions.integrationnote",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "note addenda",
                        "db_table": "assessments_noteaddendum",
                        "ordering": ["created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="QuestionnaireNotice",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("due_at", models.DateTimeField(db_index=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed (will retry)"),
                                    ("gave_up", "Gave up"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=300)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "number",
                            models.PositiveSmallIntegerField(
                                help_text="0 is the invitation; 1, 2, 3… the reminders."
                            ),
                        ),
                        (
                            "assignment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notices",
                                to="assessments.questionnaireassignment",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "questionnaire e-mail",
                        "db_table": "assessments_questionnairenotice",
                        "ordering": ["due_at"],
                    },
                ),
                migrations.AddIndex(
                    model_name="integrationnote",
                    index=models.Index(
                        fields=["patient", "created_at"], name="assessments_patient_76df4e_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="integrationnote",
                    index=models.Index(fields=["author", "status"], name="assessments_author__50ffd8_idx"),
                ),
                migrations.AddIndex(
                    model_name="questionnairenotice",
                    index=models.Index(fields=["status", "due_at"], name="assessments_status_25a709_idx"),
                ),
                migrations.AddConstraint(
                    model_name="questionnairenotice",
                    constraint=models.UniqueConstraint(
                        fields=("assignment", "number"), name="one_notice_per_number"
                    ),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
