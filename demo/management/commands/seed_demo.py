"""Demo data: one login per role, a portal patient and a handful of fake patients.

Idempotent: running it again changes nothing that is already there. Every name, date and number
here is invented.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from assessments.models import AssessmentResponse, QuestionnaireAssignment, RiskAlert
from assessments.outcomes import refresh_outcome_courses
from assessments.services import assign, current_version_for, submit_response
from clinic import roles
from clinic.email_addresses import vouch_for_email
from clinic.models import ClinicSettings, User
from patients.intake import save_section, verify_section
from patients.models import ConsentDocument, Patient, ScreeningDecision
from patients.review import record_decision, sign_consent
from patients.screening import CONDITIONS
from sessions.integration import followups, notes
from sessions.models import (
    Appointment,
    AppointmentType,
    ClinicHours,
    IntegrationNote,
    NoteTemplate,
    Room,
    Site,
    TreatmentPlan,
    TreatmentSession,
    WorkingHours,
)
from sessions.scheduling.booking import book
from testing.charting import charted_session, stock_vial

DEMO_PASSWORD = "clinic-demo-2026"

STAFF = [
    ("admin@clinic.example", "Ada", "Admin", "", roles.ADMINISTRATOR),
    ("prescriber@clinic.example", "Priya", "Prescott", "MD", roles.PRESCRIBER),
    ("nurse@clinic.example", "Noah", "Nguyen", "RN", roles.NURSE),
    ("therapist@clinic.example", "Theo", "Thorne", "LCSW", roles.THERAPIST),
    ("frontdesk@clinic.example", "Fran", "Fields", "", roles.FRONT_DESK),
]
PORTAL_PATIENT_EMAIL = "patient@clinic.example"
INDICATIONS = {
    "Avery": ["depression"],
    "Chen": ["depression", "ptsd"],
    "Okafor": ["ptsd"],
    "Weiss": ["depression"],
}
ROUTES = {"Avery": "iv", "Chen": "intranasal", "Lindqvist": "iv", "Okafor": "iv", "Bell": "iv", "Weiss": "im"}

NOTE_ONE = {
    "experience": "“Like floating above my own kitchen, watching myself make coffee.” Calm, a little sad.",
    "themes": "Distance from her own routines; her grandmother's house.",
    "insights": "Noticed how much of the day she spends bracing for criticism.",
    "emotional_state": "Tired, tearful once, settled by the end. Slept well the night after.",
    "goals": "Notice the bracing; one small thing for herself each day.",
    "practices": "Five minutes of journaling each evening; a walk at lunch.",
    "risk_reviewed": True,
    "risk_note": "Denies thoughts of self-harm. No open alerts.",
    "plan": "Integration again after the next infusion.",
    "patient_summary": "",
}
NOTE_TWO = {
    "experience": "“Warm, like sun through a window.” Some dizziness at first, then ease.",
    "themes": "Self-compassion; making room for rest.",
    "insights": "The critical voice is old, and not hers.",
    "emotional_state": "Brighter; laughed twice. Reports better mornings this week.",
    "goals": "Keep the evening journaling; ask for help at work once this week.",
    "practices": "Journaling (kept up 5 of 7 days); add the body-scan recording before bed.",
    "risk_reviewed": True,
    "risk_note": "Denies thoughts of self-harm.",
    "plan": "Continue the series; review the journal together next time.",
    "patient_summary": "We talked about the warmth you felt in the session and about giving yourself "
    "room to rest. Keep up the evening journaling, and try the body-scan recording before bed. "
    "Next time we'll look at your journal together.",
}

CONSENT_BODY = """This is sample consent wording for the demo. A clinic replaces it with its own reviewed text in
Django admin (Patients → Consent documents) and publishes it.

What the treatment is: {what}

Possible effects: feeling detached or dreamlike during and shortly after treatment, raised blood
pressure and heart rate, nausea, dizziness and drowsiness. Rarely: confusion, agitation or
breathing problems, which the staff monitoring you are trained to treat.

Before each session: no food for the hours the clinic tells you, no alcohol, benzodiazepines or
cannabis for 24 hours, and someone to take you home. Do not drive until the next day.

You may ask questions at any time and may stop treatment at any time."""

CONSENTS = {
    "iv": (
        "Consent to IV ketamine infusion",
        "ketamine given into a vein over about 40 minutes, with monitoring.",
    ),
    "intranasal": (
        "Consent to intranasal esketamine (Spravato)",
        "esketamine nasal spray used in the clinic, with at least two hours of monitoring.",
    ),
    "im": ("Consent to IM ketamine", "ketamine given as an injection into a muscle, with monitoring."),
}
HEALTHY_HISTORY = dict.fromkeys((key for key, _ in CONDITIONS), "no")
PATIENT_SECTIONS = {
    "medical_history": {**HEALTHY_HISTORY, "details": ""},
    "psychiatric_history": {
        "rows": [
            {
                "kind": "antidepressant",
                "name": "sertraline",
                "dose": "150 mg",
                "duration_weeks": 12,
                "outcome": "partial",
                "adequate": True,
            },
            {
                "kind": "antidepressant",
                "name": "bupropion",
                "dose": "300 mg",
                "duration_weeks": 8,
                "outcome": "none",
                "adequate": True,
            },
            {
                "kind": "psychotherapy",
                "name": "CBT",
                "dose": "",
                "duration_weeks": 16,
                "outcome": "partial",
                "adequate": None,
            },
        ]
    },
    "medications": {
        "no_medications": False,
        "rows": [{"name": "Escitalopram", "dose": "20 mg", "frequency": "daily", "drug_class": "none"}],
    },
    "allergies": {"ketamine_hypersensitivity": "no", "details": "Penicillin (rash)"},
    "substance_use": {
        "alcohol_drinks_per_week": 2,
        "cannabis": "none",
        "ketamine_nonmedical": "never",
        "substance_use_disorder": "no",
        "other": "",
    },
    "pregnancy": {"status": "not_applicable", "breastfeeding": "no"},
    "goals": {"goals": "Get through a week without dreading it; go back to work full time."},
}
STAFF_SECTIONS = {
    "referral": {
        "source": "psychiatrist",
        "referring_clinician": "Dr. Sam Example",
        "referring_contact": "(555) 010-3000",
        "reason": "Treatment-resistant depression",
    },
    "diagnoses": {
        "rows": [
            {"code": "F33.2", "description": "Major depressive disorder, recurrent, severe", "primary": True}
        ]
    },
    "measurements": {
        "measured_on": "2026-10-01",
        "height_cm": 172.0,
        "weight_kg": 74.0,
        "bp_systolic": 126,
        "bp_diastolic": 80,
        "heart_rate": 72,
        "spo2": 98,
        "resp_rate": 14,
    },
}
# family name -> (patient sections entered, staff sections entered, verified, decision, consent signed)
SCREENING_STAGES = {
    "Avery": ("all", "all", True, ("approved", ""), True),
    "Chen": (
        "all",
        "all",
        True,
        ("approved_with_conditions", "Repeat BP at 40 minutes; hold if above 160/100."),
        True,
    ),
    "Bell": ("all", "none", False, None, False),
    "Okafor": (["medical_history", "psychiatric_history", "medications"], "none", False, None, False),
    "Lindqvist": ("all", "all", True, ("needs_information", ""), False),
}

PATIENTS = [
    # given, family, preferred, born, sex, pronouns, phone, email, status
    (
        "Jordan",
        "Avery",
        "Jo",
        date(1986, 3, 14),
        "female",
        "she/her",
        "(555) 010-1001",
        PORTAL_PATIENT_EMAIL,
        "active",
    ),
    (
        "Marcus",
        "Bell",
        "",
        date(1979, 11, 2),
        "male",
        "he/him",
        "(555) 010-1002",
        "marcus.bell@example.com",
        "screening",
    ),
    (
        "Riley",
        "Chen",
        "",
        date(1994, 6, 30),
        "intersex",
        "they/them",
        "(555) 010-1003",
        "riley.chen@example.com",
        "active",
    ),
    ("Elena", "Duarte", "Lena", date(1968, 1, 21), "female", "she/her", "(555) 010-1004", "", "inquiry"),
    (
        "Samuel",
        "Okafor",
        "Sam",
        date(2001, 9, 9),
        "male",
        "he/him",
        "(555) 010-1005",
        "sam.okafor@example.com",
        "screening",
    ),
    (
        "Grace",
        "Lindqvist",
        "",
        date(1957, 4, 17),
        "female",
        "she/her",
        "(555) 010-1006",
        "grace.l@example.com",
        "on_hold",
    ),
    ("Tomas", "Reyes", "", date(1990, 12, 5), "male", "", "(555) 010-1007", "", "inquiry"),
    (
        "Hannah",
        "Weiss",
        "",
        date(1975, 8, 28),
        "female",
        "she/her",
        "(555) 010-1008",
        "hannah.weiss@example.com",
        "discharged",
    ),
]


# Weekly totals per instrument; the last number is this week's. {week: {item: value}} sets answers.
DEMO_COURSES = {
    ("Jordan", "Avery"): [
        ("PHQ-9", [19, 15, 11, 8, 6, 4], {}),
        ("GAD-7", [15, 13, 10, 8, 6], {}),
    ],
    ("Riley", "Chen"): [
        ("PHQ-9", [22, 20, 16, 13, 10], {}),
        ("PCL-5", [52, 47, 41, 36, 30], {}),
    ],
    ("Grace", "Lindqvist"): [("PHQ-9", [17, 16, 18], {})],
    ("Samuel", "Okafor"): [("PHQ-9", [15], {0: {"9": 1}})],  # an open safety alert to work through
    ("Marcus", "Bell"): [("PHQ-9", [18], {}), ("GAD-7", [12], {})],
}


def answers_totalling(definition, total):
    """Item answers that add up to `total`, filled from the first item on (demo data only)."""
    answers, left = {}, total
    for item in definition["items"]:
        if item.get("scored", True) is False:
            continue
        options = item["options"]
        values = [
            option["value"]
            for option in (definition["option_sets"][options] if isinstance(options, str) else options)
        ]
        value = min(max(values), left)
        answers[item["id"]] = value
        left -= value
    for item in definition["items"]:
        if item.get("ask_if") and total > item["ask_if"].get("total_above", 0):
            answers[item["id"]] = 1
    return answers


class Command(BaseCommand):
    help = "Load demo users (one per role, one portal patient) and fake patients."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load nothing if the database has users other than the demo ones (make run uses this).",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and User.objects.exclude(email__endswith="@clinic.example").exists():
            self.stdout.write("The database has users of its own: demo data not loaded.")
            return
        with transaction.atomic():
            self._clinic()
            self._staff()
            self._patients()
            self._measures()
            self._screening()
            self._schedule()
            self._sessions()
            # The demo back-dates its scores with update(), which the outcome summaries never see.
            refresh_outcome_courses()
        self.print_logins()

    def _clinic(self):
        current = ClinicSettings.load()
        if current.name == "Clinic":
            current.name = "Riverside Ketamine Clinic (demo)"
            current.phone = "(555) 010-0000"
            current.email = "frontdesk@clinic.example"
            current.address = "100 Example Street, Springfield"
            current.save()

    def _staff(self):
        for email, first, last, credential, role in STAFF:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={"first_name": first, "last_name": last, "credential": credential},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = role == roles.ADMINISTRATOR
                user.save()
            user.groups.add(Group.objects.get(name=role))
            # As an administrator making the account vouches for its address: without a verified
            # one allauth refuses the MFA enrolment that REQUIRE_STAFF_MFA sends staff to.
            vouch_for_email(user)

    def _patients(self):
        for given, family, preferred, born, sex, pronouns, phone, email, status in PATIENTS:
            patient, _ = Patient.objects.get_or_create(
                legal_given_name=given,
                legal_family_name=family,
                date_of_birth=born,
                defaults={
                    "preferred_name": preferred,
                    "sex_at_birth": sex,
                    "pronouns": pronouns,
                    "phone": phone,
                    "email": email,
                    "status": status,
                    "treatment_route": ROUTES.get(family, ""),
                    "indications": INDICATIONS.get(family, []),
                    "address_line1": f"{len(family) * 17} Demo Avenue",
                    "city": "Springfield",
                    "region": "IL",
                    "postal_code": "62701",
                    "emergency_contact_name": "Pat Example",
                    "emergency_contact_relationship": "Partner",
                    "emergency_contact_phone": "(555) 010-2000",
                    "escort_name": "Pat Example" if status == "active" else "",
                    "escort_phone": "(555) 010-2000" if status == "active" else "",
                },
            )
            if email == PORTAL_PATIENT_EMAIL and patient.user is None:
                user = User.objects.create_user(
                    email=email, password=DEMO_PASSWORD, first_name=preferred or given, last_name=family
                )
                patient.user = user
                patient.save()
                vouch_for_email(user)  # what accepting the invitation link does

    def _measures(self):
        """A course of treatment in scores: weekly totals, oldest first, ending this week."""
        nurse = User.objects.get(email="nurse@clinic.example")
        today = timezone.localdate()
        for (given, family), courses in DEMO_COURSES.items():
            patient = Patient.objects.get(legal_given_name=given, legal_family_name=family)
            if AssessmentResponse.objects.filter(patient=patient).exists():
                continue
            for code, totals, item_overrides in courses:
                version = current_version_for(code)
                for week, total in enumerate(totals):
                    raw = answers_totalling(version.definition, total) | item_overrides.get(week, {})
                    response = submit_response(
                        patient=patient,
                        version=version,
                        raw=raw,
                        entered_by=nurse,
                        mode=AssessmentResponse.Mode.CLINIC if week == 0 else AssessmentResponse.Mode.PORTAL,
                        is_baseline=week == 0,
                    )
                    when = timezone.make_aware(
                        datetime.combine(today - timedelta(weeks=len(totals) - 1 - week), time(10, 30))
                    )
                    AssessmentResponse.objects.filter(pk=response.pk).update(completed_at=when)
                    RiskAlert.objects.filter(response=response).update(created_at=when)
        jordan = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)
        if not jordan.assignments.exists():
            assign(
                jordan,
                current_version_for("PHQ-9"),
                due_date=today + timedelta(days=2),
                purpose="Before your next infusion",
                by=nurse,
            )

    def _screening(self):

        for route, (title, what) in CONSENTS.items():
            ConsentDocument.objects.get_or_create(
                route=route,
                version=1,
                defaults={
                    "title": title,
                    "body": CONSENT_BODY.format(what=what),
                    "published_at": timezone.now(),
                },
            )
        nurse = User.objects.get(email="nurse@clinic.example")
        prescriber = User.objects.get(email="prescriber@clinic.example")
        for family, (patient_part, staff_part, verified, decision, consent) in SCREENING_STAGES.items():
            patient = Patient.objects.get(legal_family_name=family)
            if ScreeningDecision.objects.filter(patient=patient).exists() or hasattr(patient, "intake"):
                continue
            keys = list(PATIENT_SECTIONS) if patient_part == "all" else patient_part
            entered_by = patient.user or nurse
            for key in keys:
                save_section(patient, key, PATIENT_SECTIONS[key], entered_by)
            if staff_part == "all":
                for key, data in STAFF_SECTIONS.items():
                    save_section(patient, key, data, nurse)
            if verified:
                for section in patient.intake.sections.all():
                    verify_section(section, nurse)
            if decision:
                status = patient.status
                outcome, conditions = decision
                record_decision(
                    patient,
                    outcome=outcome,
                    note="Reviewed intake, history and baseline scores."
                    if outcome != "needs_information"
                    else "Need the cardiology letter before deciding.",
                    conditions=conditions,
                    override_reason="",
                    prescriber=prescriber,
                )
                Patient.objects.filter(pk=patient.pk).update(status=status)  # keep the demo's statuses
            if consent:
                sign_consent(
                    patient,
                    ConsentDocument.current_for(patient.treatment_route),
                    typed_name=patient.full_name,
                    confirmed=True,
                    user=patient.user or nurse,
                    ip_address="127.0.0.1",
                    on_clinic_tablet=patient.user is None,
                )

    def _schedule(self):
        """Rooms, hours, appointment types and a week of bookings around today."""

        # The fasting rule is data on the type (4 h food, clear fluids until 2 h): the portal, the
        # reminders and the chart's checklist all say it from there.
        prep = "Bring someone to drive you home; do not drive until tomorrow.\nNo alcohol, benzodiazepines or cannabis for 24 hours before."
        types = {}
        for name, kind, minutes, instructions in [
            ("Consultation", "consultation", 60, "Bring a list of your medicines."),
            ("IV infusion", "iv", 120, prep),
            ("IM injection", "im", 90, prep),
            (
                "Intranasal esketamine",
                "intranasal",
                150,
                prep + "\nNo nasal decongestant or steroid spray in the hour before.",
            ),
            ("Integration session", "integration", 60, ""),
            ("Follow-up", "follow_up", 30, ""),
        ]:
            fasting = (
                {"fasting_food_hours": 4, "clear_fluids_until_minutes": 120}
                if instructions == prep or kind == "intranasal"
                else {}
            )
            types[kind] = AppointmentType.objects.get_or_create(
                name=name,
                defaults={"kind": kind, "duration_minutes": minutes, "instructions": instructions, **fasting},
            )[0]
        site = Site.objects.get_or_create(name="Riverside")[0]
        rooms = {
            name: Room.objects.get_or_create(
                name=name, defaults={"is_chair": name.startswith("Chair"), "site": site}
            )[0]
            for name in ("Chair 1", "Chair 2", "Chair 3", "Consult room")
        }
        for weekday in range(5):
            ClinicHours.objects.get_or_create(
                weekday=weekday, defaults={"opens": time(8), "closes": time(18)}
            )
        ClinicHours.objects.get_or_create(weekday=5, defaults={"opens": time(9), "closes": time(13)})
        staff = {email.split("@")[0]: User.objects.get(email=email) for email, *_ in STAFF}
        for key, (starts, ends) in {"nurse": (8, 18), "prescriber": (8, 17), "therapist": (9, 17)}.items():
            for weekday in range(5):
                WorkingHours.objects.get_or_create(
                    staff=staff[key], weekday=weekday, defaults={"starts": time(starts), "ends": time(ends)}
                )
        if Appointment.objects.exists():
            return
        jordan = Patient.objects.get(legal_family_name="Avery")
        plan = TreatmentPlan.objects.create(
            patient=jordan,
            appointment_type=types["iv"],
            protocol="IV ketamine 0.5 mg/kg over 40 min",
            mg_per_kg=Decimal("0.5"),
            infusion_minutes=40,
            induction_sessions=6,
            induction_weeks=3,
            maintenance="every 3–4 weeks, guided by PHQ-9",
            prescribed_by=staff["prescriber"],
        )
        today = timezone.localdate()
        this_monday = today - timedelta(days=today.weekday())
        # (patient, type, weekday offset from Monday, hour, room, clinician, plan session)
        pattern = [
            ("Avery", "iv", 0, 9, "Chair 1", "nurse", 1),
            ("Avery", "iv", 2, 9, "Chair 1", "nurse", 2),
            ("Avery", "iv", 4, 9, "Chair 1", "nurse", 3),
            ("Chen", "intranasal", 1, 10, "Chair 2", "nurse", None),
            ("Chen", "intranasal", 3, 10, "Chair 2", "nurse", None),
            ("Avery", "integration", 1, 14, "Consult room", "therapist", None),
            ("Bell", "consultation", 2, 13, "Consult room", "prescriber", None),
            ("Okafor", "consultation", 3, 15, "Consult room", "prescriber", None),
            ("Chen", "follow_up", 4, 11, "Consult room", "prescriber", None),
        ]
        # This week and next, so the calendar is full whatever day make run starts on.
        week = [
            (
                family,
                kind,
                offset + 7 * weeks,
                hour,
                room_name,
                clinician,
                number + 3 * weeks if number else None,
            )
            for weeks in (0, 1)
            for family, kind, offset, hour, room_name, clinician, number in pattern
            if weeks == 0 or family in ("Avery", "Chen")
        ]
        monday = this_monday
        for family, kind, offset, hour, room_name, clinician, number in week:
            patient = Patient.objects.get(legal_family_name=family)
            start = timezone.make_aware(datetime.combine(monday + timedelta(days=offset), time(hour)))
            if start > timezone.now():
                book(
                    patient=patient,
                    appointment_type=types[kind],
                    start=start,
                    room=rooms[room_name],
                    clinician=staff[clinician],
                    by=staff["frontdesk"],
                    plan=plan if number else None,
                    series_number=number,
                )
            else:  # earlier this week: already happened
                Appointment.objects.create(
                    patient=patient,
                    appointment_type=types[kind],
                    start=start,
                    end=start + timedelta(minutes=types[kind].duration_minutes),
                    room=rooms[room_name],
                    clinician=staff[clinician],
                    status=Appointment.Status.COMPLETED,
                    created_by=staff["frontdesk"],
                    plan=plan if number else None,
                    series_number=number,
                )

    def _sessions(self):
        """Signed treatment sessions with full charts, charted through the same services as the screens,
        and the ledger vials they drew on."""

        if TreatmentSession.objects.exists():
            return
        nurse = User.objects.get(email="nurse@clinic.example")
        prescriber = User.objects.get(email="prescriber@clinic.example")
        today = timezone.localdate()

        def morning(days_ago):
            return timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(8, 0)))

        vial = stock_vial(nurse, lot="KET-DEMO-01")
        stock_vial(nurse, lot="KET-DEMO-02")
        avery = Patient.objects.get(legal_family_name="Avery")
        diluted = {"final_volume_ml": Decimal("100")}  # 0.9 % sodium chloride to 100 mL, the usual bag
        sessions = (
            (16, {}),
            (14, {"adverse_event": True}),
            (11, {"bp_alert": True, **diluted}),
            (9, diluted),
        )
        for days_ago, extra in sessions:
            charted_session(
                avery,
                nurse,
                prescriber,
                route="iv",
                start=morning(days_ago),
                vial=vial,
                password=DEMO_PASSWORD,
                **extra,
            )
        chen = Patient.objects.get(legal_family_name="Chen")
        for days_ago in (15, 10):
            charted_session(
                chen, nurse, prescriber, route="intranasal", start=morning(days_ago), password=DEMO_PASSWORD
            )
        self._follow_ups()
        self._integration_notes()

    def _follow_ups(self):
        """Charting the sessions above made their follow-up questionnaires. Where a demo score falls
        inside a follow-up's window it is that follow-up's answer; the others passed unanswered."""
        for follow_up in QuestionnaireAssignment.objects.filter(
            rule__isnull=False, status=QuestionnaireAssignment.Status.PENDING, expires_at__lte=timezone.now()
        ).select_related("version"):
            answer = AssessmentResponse.objects.filter(
                patient=follow_up.patient_id,
                version__instrument=follow_up.version.instrument_id,
                assignment__isnull=True,
                completed_at__gte=follow_up.available_at,
                completed_at__lt=follow_up.expires_at,
            ).first()
            if answer:
                AssessmentResponse.objects.filter(pk=answer.pk).update(assignment=follow_up)
                QuestionnaireAssignment.objects.filter(pk=follow_up.pk).update(
                    status=QuestionnaireAssignment.Status.COMPLETED
                )
        followups.expire_unanswered()
        followups.supersede_open()

    def _integration_notes(self):
        """The therapist's notes after Jordan Avery's infusions: two signed (the latest with a summary
        shared to the portal) and a draft left unsigned for more than a day."""

        if IntegrationNote.objects.exists():
            return
        therapist = User.objects.get(email="therapist@clinic.example")
        avery = Patient.objects.get(legal_family_name="Avery")
        template = NoteTemplate.objects.filter(name="After a ketamine session").first()
        first, second, third, *_ = avery.treatment_sessions.order_by("started_at")
        for session, text, share in ((first, NOTE_ONE, False), (second, NOTE_TWO, True)):
            written = session.discharged_at + timedelta(days=1, hours=3)
            note = notes.start_note(
                avery, by=therapist, template=template, treatment_session=session, now=written
            )
            notes.save_draft(note, by=therapist, now=written, **text)
            notes.sign(note, by=therapist, password=DEMO_PASSWORD, share_summary=share, now=written)
        draft = notes.start_note(
            avery, by=therapist, template=template, treatment_session=third, now=third.discharged_at
        )
        notes.save_draft(
            draft,
            by=therapist,
            now=third.discharged_at + timedelta(days=1),
            experience="Felt “held” by the music; a long stretch of quiet near the end.",
        )

    def print_logins(self):
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for email, *_, role in STAFF:
            self.stdout.write(f"  {role:<14} {email}")
        self.stdout.write(f"  {'Patient':<14} {PORTAL_PATIENT_EMAIL}  (portal)")
