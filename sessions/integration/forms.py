"""Forms for integration notes. They only parse input; the rules are in sessions.integration.notes and come
back as messages on the form."""

from django import forms
from django.utils import timezone
from django.utils.html import escape, format_html

from sessions.integration.notes import DRAFT_FIELDS, active_templates
from sessions.models import SECTIONS, NoteTemplate

#: A generous ceiling per section: a note is prose, not an uploaded document.
MAX_SECTION_CHARS = 20_000
#: Marks a post from the whole editor: every field was on the page, so a missing checkbox is unticked.
EDITOR_MARKER = "editor"
#: Typing in a field of this class saves the draft: the editor's hx-trigger listens on it (an htmx event
#: filter would have to be compiled with eval, which the Content-Security-Policy forbids).
AUTOSAVE_CLASS = "note-autosave"


def _autosaved(rows):
    return forms.Textarea(attrs={"rows": rows, "class": AUTOSAVE_CLASS})


class NewNoteForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=NoteTemplate.objects.none(),
        required=False,
        empty_label="No template",
        help_text="Its prompts are shown under each section; nothing is filled in for you.",
    )
    follows = forms.ChoiceField(label="This note follows", required=False)

    def __init__(self, *args, sessions, appointments, **kwargs):
        super().__init__(*args, **kwargs)
        templates = active_templates()
        self.fields["template"].queryset = templates
        self.fields["template"].initial = templates.first()
        self._targets = {}
        session_choices = []
        for session in sessions:
            key = f"session:{session.external_id}"
            self._targets[key] = ("treatment_session", session)
            session_choices.append(
                (
                    key,
                    f"{timezone.localtime(session.started_at):%a %b %-d, %Y} · "
                    f"{session.get_route_display()} ({session.get_status_display().lower()})",
                )
            )
        appointment_choices = []
        for appointment in appointments:
            key = f"appointment:{appointment.external_id}"
            self._targets[key] = ("appointment", appointment)
            appointment_choices.append(
                (
                    key,
                    f"{timezone.localtime(appointment.start):%a %b %-d, %Y %H:%M} · {appointment.appointment_type}",
                )
            )
        choices = [("", "Nothing in particular")]
        if session_choices:
            choices.append(("Treatment sessions", session_choices))
        if appointment_choices:
            choices.append(("Integration appointments", appointment_choices))
        self.fields["follows"].choices = choices

    def follows_kwargs(self):
        """{"treatment_session": …} or {"appointment": …} or {} for start_note."""
        kind, target = self._targets.get(self.cleaned_data.get("follows") or "", (None, None))
        return {kind: target} if kind else {}


class NoteDraftForm(forms.Form):
    risk_reviewed = forms.BooleanField(
        label="Risk check done: I reviewed suicide risk and the open alerts listed here",
        required=False,
    )
    risk_note = forms.CharField(
        label="Risk check note",
        required=False,
        max_length=MAX_SECTION_CHARS,
        widget=_autosaved(2),
        help_text="e.g. Denies current suicidal ideation; safety plan reviewed.",
    )
    patient_summary = forms.CharField(
        label="Summary for the patient",
        required=False,
        max_length=MAX_SECTION_CHARS,
        widget=_autosaved(3),
    )

    def __init__(self, *args, prompts=None, **kwargs):
        super().__init__(*args, **kwargs)
        prompts = prompts or {}
        sections = {}
        for field, heading in SECTIONS:
            sections[field] = forms.CharField(
                label=heading,
                required=False,
                max_length=MAX_SECTION_CHARS,
                # The template's prompt stays visible under the section while writing; the section
                # itself starts empty so that nothing in a note was written by the template. An
                # administrator typed the prompt, and crispy-bootstrap5 prints help_text unescaped:
                # escape it here.
                help_text=escape(prompts.get(field, "")),
                widget=_autosaved(5 if field == "experience" else 3),
            )
        self.fields = {**sections, **self.fields}
        summary_help = "Only this is ever shown to the patient, and only once you share it."
        if prompts.get("summary"):
            summary_help = format_html("{} {}", prompts["summary"], summary_help)
        self.fields["patient_summary"].help_text = summary_help

    def section_fields(self):
        return [self[field] for field, _heading in SECTIONS]

    def draft_values(self):
        """The fields this post carries, for save_draft: all of them from the editor page, else only
        those present (a post that leaves a section out leaves that section as it is)."""
        data = self.cleaned_data
        if EDITOR_MARKER in self.data:
            return {field: data[field] for field in DRAFT_FIELDS}
        return {field: data[field] for field in DRAFT_FIELDS if field in self.data}


class SignNoteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    share_summary = forms.BooleanField(
        label="Share the summary with the patient in their portal now", required=False
    )


class NoteAddendumForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=200)
    text = forms.CharField(
        label="Addendum", max_length=MAX_SECTION_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
