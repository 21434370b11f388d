"""The other visits (consultations, integration sessions, follow-ups, cancellations, the coming
weeks' bookings), their reminders, and the therapists' integration notes."""

from demo.generate.sql import Step, run

#: Note sections taken from seed_demo's invented notes, so generated notes read like clinical notes.
NOTE_TEXTS = (
    (
        "Calm, a little sad; felt like floating above her own routines.",
        "Distance from daily routines; family memories.",
        "Noticed how much of the day is spent bracing for criticism.",
        "Tired, settled by the end. Slept well the night after.",
        "Notice the bracing; one small thing for themselves each day.",
        "Five minutes of journaling each evening; a walk at lunch.",
        "Integration again after the next session.",
    ),
    (
        "Warm, like sun through a window. Some dizziness at first, then ease.",
        "Self-compassion; making room for rest.",
        "The critical voice is old, and not theirs.",
        "Brighter; reports better mornings this week.",
        "Keep the evening journaling; ask for help at work once this week.",
        "Journaling most days; add the body-scan recording before bed.",
        "Continue the series; review the journal together next time.",
    ),
    (
        "Music felt close and steady; a long quiet stretch near the end.",
        "Grief for a friendship that ended; wanting to reach out.",
        "Avoidance has been protecting against disappointment.",
        "Tearful once, then relieved. Calm at the end of the hour.",
        "Send one message to an old friend this week.",
        "Breathing exercise twice a day; a note of what went well each evening.",
        "Review the week at the next integration session.",
    ),
)
SUMMARY = (
    "We talked about what you noticed in the session and about giving yourself room to rest. Keep up "
    "the evening practice we agreed, and bring your notes next time."
)


def other_appointments(builder, cursor):
    """A consultation before treatment, integration sessions with the therapist after about half the
    sessions, some follow-ups, cancellations and no-shows, and the coming weeks' bookings."""
    with Step(builder.out, "appointments (other visits)") as step:
        step.rows = run(
            cursor,
            """
            CREATE TEMP TABLE gen_o AS
            -- consultation with the prescriber before the first session (or recently, for screening)
            SELECT p.g, p.patient_id, %(type_consultation)s AS type_id, 60 AS minutes, p.prescriber AS clinician,
                   coalesce((SELECT min(start) FROM gen_s s WHERE s.g = p.g) - interval '14 days',
                            now() - interval '1 day' * (3 + p.g %% 40)) AS start, 'completed' AS status,
                   pg_temp.gen_pick(%(consult)s::bigint[], p.site, %(sites)s, p.g / %(sites)s) AS room
            FROM gen_p p WHERE p.status <> 'inquiry'
            UNION ALL
            -- integration session two days after two of every three treatment sessions
            SELECT s.g, s.patient_id, %(type_integration)s, 60, p.therapist, s.start + interval '2 days' + interval '3 hours',
                   'completed', pg_temp.gen_pick(%(consult)s::bigint[], p.site, %(sites)s, s.g / %(sites)s + s.k)
            FROM gen_s s JOIN gen_p p USING (g) WHERE (s.g + s.k) %% 3 <> 2 AND s.start < now() - interval '3 days'
            UNION ALL
            -- follow-up with the prescriber after the induction
            SELECT s.g, s.patient_id, %(type_follow_up)s, 30, p.prescriber, s.start + interval '5 days' + interval '1 hour',
                   'completed', pg_temp.gen_pick(%(consult)s::bigint[], p.site, %(sites)s, s.g / %(sites)s)
            FROM gen_s s JOIN gen_p p USING (g) WHERE s.k IN (6, 20) AND s.start < now() - interval '6 days'
            UNION ALL
            -- cancelled and missed treatment visits
            SELECT s.g, s.patient_id,
                   CASE s.route WHEN 'iv' THEN %(type_iv)s WHEN 'im' THEN %(type_im)s ELSE %(type_intranasal)s END,
                   CASE s.route WHEN 'iv' THEN 120 WHEN 'im' THEN 90 ELSE 150 END, s.nurse,
                   s.start - interval '1 day', CASE WHEN s.g %% 3 = 0 THEN 'no_show' ELSE 'cancelled' END, s.room
            FROM gen_s s WHERE (s.g + s.k) %% 4 = 0 AND s.k > 1
            """,
            builder.params(),
        )
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_appointment (external_id, start, "end", status, series_number,
                cancel_reason, late_cancellation, reschedule_note, created_at, appointment_type_id,
                clinician_id, created_by_id, patient_id, plan_id, room_id)
            SELECT gen_random_uuid(), start, start + minutes * interval '1 minute', status, NULL,
                   CASE WHEN status = 'cancelled' THEN 'Patient unwell' ELSE '' END,
                   status = 'cancelled' AND g %% 4 = 0, '',
                   least(start - interval '7 days', now()), type_id, clinician,
                   (%(frontdesk)s::bigint[])[1 + (g %% array_length(%(frontdesk)s::bigint[], 1))],
                   patient_id, NULL, room
            FROM gen_o ORDER BY start, g
            """,
            builder.params(),
        )
        step.rows += open_bookings(builder, cursor)


def open_bookings(builder, cursor):
    """Today's and the next three weeks' bookings, as many as the clinic can hold: the database
    refuses two open appointments of one room, clinician or patient at once, so each booking takes
    a free slot of the grid of the patient's site (chairs with nurses, three treatment slots a day;
    consulting rooms with therapists, hourly integration sessions). Treatment and integration go to
    different patients."""
    return run(
        cursor,
        """
        WITH days AS (
            SELECT d, row_number() OVER (ORDER BY d) - 1 AS i
            FROM generate_series(current_date, current_date + 30, interval '1 day') d
            WHERE extract(isodow FROM d) < 6
            LIMIT 16
        ),
        -- Slots per site: as many as its rooms or its clinicians, whichever is fewer (the pools are
        -- interleaved by site, see pg_temp.gen_pick).
        treat AS (
            SELECT p.*, row_number() OVER (PARTITION BY p.site ORDER BY p.g) - 1 AS i,
                   greatest(1, least(array_length(%(chairs)s::bigint[], 1) / %(sites)s,
                                     (array_length(%(nurses)s::bigint[], 1) - 1 - p.site) / %(sites)s + 1)) AS per_slot
            FROM gen_p p WHERE p.status = 'active' AND p.g %% 2 = 0
        ),
        talk AS (
            SELECT p.*, row_number() OVER (PARTITION BY p.site ORDER BY p.g) - 1 AS i,
                   greatest(1, least(array_length(%(consult)s::bigint[], 1) / %(sites)s,
                                     (array_length(%(therapists)s::bigint[], 1) - 1 - p.site) / %(sites)s + 1)) AS per_slot
            FROM gen_p p WHERE p.status = 'active' AND p.g %% 2 = 1
        ),
        wanted AS (
            SELECT t.g, t.patient_id,
                   CASE t.route WHEN 'iv' THEN %(type_iv)s WHEN 'im' THEN %(type_im)s ELSE %(type_intranasal)s END AS type_id,
                   CASE t.route WHEN 'iv' THEN 120 WHEN 'im' THEN 90 ELSE 150 END AS minutes,
                   pg_temp.gen_pick(%(nurses)s::bigint[], t.site, %(sites)s, t.i %% t.per_slot) AS clinician,
                   pg_temp.gen_pick(%(chairs)s::bigint[], t.site, %(sites)s, t.i %% t.per_slot) AS room,
                   (t.i / t.per_slot) / 3 AS day_i, 8 + 3 * ((t.i / t.per_slot) %% 3) AS hour
            FROM treat t
            UNION ALL
            SELECT t.g, t.patient_id, %(type_integration)s, 60,
                   pg_temp.gen_pick(%(therapists)s::bigint[], t.site, %(sites)s, t.i %% t.per_slot),
                   pg_temp.gen_pick(%(consult)s::bigint[], t.site, %(sites)s, t.i %% t.per_slot),
                   (t.i / t.per_slot) / 8, 9 + (t.i / t.per_slot) %% 8
            FROM talk t
        )
        INSERT INTO treatment_sessions_appointment (external_id, start, "end", status, series_number,
            cancel_reason, late_cancellation, reschedule_note, created_at, appointment_type_id,
            clinician_id, created_by_id, patient_id, plan_id, room_id)
        SELECT gen_random_uuid(), s.start, s.start + w.minutes * interval '1 minute',
               CASE WHEN days.i < 2 THEN 'confirmed' ELSE 'scheduled' END, NULL, '', false, '',
               least(s.start - interval '7 days', now()), w.type_id, w.clinician,
               (%(frontdesk)s::bigint[])[1 + (w.g %% array_length(%(frontdesk)s::bigint[], 1))],
               w.patient_id, NULL, w.room
        FROM wanted w JOIN days ON days.i = w.day_i
        CROSS JOIN LATERAL (SELECT (days.d::date + make_time(w.hour::int, 0, 0)) AT TIME ZONE %(tz)s AS start) s
        WHERE NOT EXISTS (
            SELECT 1 FROM treatment_sessions_appointment a
            WHERE a.status IN ('scheduled', 'confirmed', 'checked_in', 'in_treatment')
              AND (a.clinician_id = w.clinician OR a.room_id = w.room OR a.patient_id = w.patient_id)
              AND a.start < s.start + w.minutes * interval '1 minute' AND a."end" > s.start
        )
        ORDER BY s.start, w.g
        """,
        builder.params(),
    )


def reminders(builder, cursor):
    """An e-mail 72 hours and an SMS 24 hours before each visit: sent for past visits, waiting for
    coming ones (a few already due for the dispatcher), cancelled with the visit."""
    with Step(builder.out, "reminders") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_reminder (due_at, status, attempts, last_error, claimed_at,
                sent_at, message_id, channel, hours_before, appointment_id)
            SELECT due, st, CASE WHEN st = 'sent' THEN 1 ELSE 0 END, '',
                   CASE WHEN st = 'sent' THEN due END, CASE WHEN st = 'sent' THEN due + interval '1 minute' END,
                   CASE WHEN st = 'sent' THEN '<reminder.' || a.id || '.' || h || '@clinic.example.test>' ELSE '' END,
                   ch, h, a.id
            FROM (
                SELECT a.id, a.status AS ast, v.h, v.ch, a.start - v.h * interval '1 hour' AS due
                FROM treatment_sessions_appointment a
                JOIN gen_p p ON p.patient_id = a.patient_id
                CROSS JOIN (VALUES (72, 'email'), (24, 'sms')) AS v(h, ch)
            ) a
            CROSS JOIN LATERAL (
                SELECT CASE WHEN a.ast = 'cancelled' AND a.due > now() - interval '3 days' THEN 'cancelled'
                            WHEN a.due <= now() - interval '5 minutes' THEN 'sent'
                            ELSE 'pending' END AS st
            ) s
            """,
        )


def notes(builder, cursor):
    """The therapist's integration note after two of every three sessions: signed the next day, with
    a summary shared to the portal for about half; the last few days' notes still drafts."""
    with Step(builder.out, "integration notes") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO assessments_integrationnote (external_id, status, experience, themes, insights,
                emotional_state, goals, practices, plan, risk_reviewed, risk_note, patient_summary,
                created_at, saved_at, signed_at, open_alerts_at_signing, summary_shared_at,
                appointment_id, author_id, patient_id, signed_by_id, summary_shared_by_id, template_id,
                treatment_session_id)
            SELECT gen_random_uuid(), CASE WHEN draft THEN 'draft' ELSE 'signed' END,
                   (%(texts)s::text[])[t * 7 + 1], (%(texts)s::text[])[t * 7 + 2], (%(texts)s::text[])[t * 7 + 3],
                   (%(texts)s::text[])[t * 7 + 4], (%(texts)s::text[])[t * 7 + 5], (%(texts)s::text[])[t * 7 + 6],
                   (%(texts)s::text[])[t * 7 + 7], NOT draft,
                   CASE WHEN draft THEN '' ELSE 'Denies thoughts of self-harm. No open alerts.' END,
                   CASE WHEN shared THEN %(summary)s ELSE '' END,
                   written, written, CASE WHEN NOT draft THEN written END, 0,
                   CASE WHEN shared THEN written END, NULL, therapist, patient_id,
                   CASE WHEN NOT draft THEN therapist END, CASE WHEN shared THEN therapist END,
                   %(template)s, session_id
            FROM (
                SELECT s.session_id, s.patient_id, p.therapist, (s.g + s.k) %% 3 AS t,
                       s.start + interval '1 day' + interval '3 hours' AS written,
                       s.start > now() - interval '4 days' AS draft,
                       s.start <= now() - interval '4 days' AND (s.g + s.k) %% 2 = 0 AS shared
                FROM gen_s s JOIN gen_p p USING (g)
                WHERE (s.g + s.k) %% 3 <> 2 AND s.start + interval '1 day' + interval '3 hours' < now()
            ) n ORDER BY written
            """,
            builder.params(texts=[text for note in NOTE_TEXTS for text in note], summary=SUMMARY),
        )
