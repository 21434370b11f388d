"""Follow-up questionnaires, their e-mails, the answers and the risk alerts, in bulk.

The follow-ups are the ones the shipped rules make (``FollowUpRule``: a PHQ-9 baseline before the
first session, PHQ-9 and GAD-7 24 hours and 7 days after each, PCL-5 monthly for PTSD), so the charts
read as if the sessions had been completed through the screens. A patient's scores fall over the
course (by a patient-specific amount, with noise); the answers come from ``demo.generate.answers``.
"""

from demo.generate.sql import Step, run


def _rule_ids(cursor):
    cursor.execute(
        """
        SELECT r.appointment_kind, r.trigger, r.hours_after, i.code, r.id
        FROM assessments_followuprule r JOIN assessments_instrument i ON i.id = r.instrument_id
        WHERE r.is_active
        """
    )
    return {(kind, trigger, hours, code): pk for kind, trigger, hours, code, pk in cursor.fetchall()}


def generate_questionnaires(builder, cursor, patterns):
    out = builder.out
    with Step(out, "answer patterns (scratch)") as step:
        run(
            cursor,
            """
            CREATE TEMP TABLE gen_pat (version_id bigint, total int, variant int, answers jsonb,
                                       subscales jsonb, domains jsonb, band text, alerts jsonb,
                                       PRIMARY KEY (version_id, total, variant))
            """,
        )
        cursor.executemany(
            "INSERT INTO gen_pat VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            patterns,
        )
        step.rows = len(patterns)

    rules = _rule_ids(cursor)
    versions = builder.refs["versions"]
    # (rule key, instrument code, hours after discharge) for each route's after-each follow-ups.
    run(
        cursor,
        """
        CREATE TEMP TABLE gen_rule (route text, rule_id bigint, code text, version_id bigint, hours int,
                                    trigger text)
        """,
    )
    rows = []
    for (kind, trigger, hours, code), pk in rules.items():
        if kind in ("iv", "im", "intranasal") and code in versions:
            rows.append((kind, pk, code, versions[code], hours, trigger))
    cursor.executemany("INSERT INTO gen_rule VALUES (%s, %s, %s, %s, %s, %s)", rows)

    with Step(out, "questionnaire assignments") as step:
        run(
            cursor,
            """
            CREATE TEMP TABLE gen_q AS
            -- after each session, and monthly PCL-5 for PTSD (every fourth session stands in for 28 days)
            SELECT s.g, s.k, s.patient_id, s.appointment_id, r.rule_id, r.code, r.version_id,
                   s.start + interval '132 minutes' AS created,
                   s.start + interval '132 minutes' + r.hours * interval '1 hour' AS available,
                   s.start + interval '132 minutes' + r.hours * interval '1 hour' + interval '4 days' AS expires,
                   false AS baseline, r.hours
            FROM gen_s s JOIN gen_p p USING (g) JOIN gen_rule r ON r.route = s.route
            WHERE (r.trigger = 'after_each' OR (r.trigger = 'periodic' AND p.ptsd AND s.k %% 4 = 1))
            UNION ALL
            -- the baseline before the first session: open from the booking until the dose
            SELECT s.g, s.k, s.patient_id, s.appointment_id, r.rule_id, r.code, r.version_id,
                   s.start - interval '10 days', s.start - interval '10 days', s.start, true, 0
            FROM gen_s s JOIN gen_rule r ON r.route = s.route
            WHERE s.k = 1 AND r.trigger = 'baseline'
            """,
        )
        run(
            cursor,
            """
            ALTER TABLE gen_q ADD COLUMN status text, ADD COLUMN total int, ADD COLUMN done timestamptz;
            UPDATE gen_q SET status = CASE
                WHEN available > now() THEN 'pending'
                WHEN expires <= now() THEN CASE WHEN baseline OR pg_temp.gen_rand(concat_ws(':', 'answered', g, k, rule_id)) < 0.85 THEN 'completed' ELSE 'expired' END
                ELSE CASE WHEN pg_temp.gen_rand(concat_ws(':', 'answered', g, k, rule_id)) < 0.5 THEN 'completed' ELSE 'pending' END END;
            UPDATE gen_q SET done = available + (least(expires, now()) - available) * (0.05 + pg_temp.gen_rand(concat_ws(':', 'when', g, k, rule_id)) * 0.5)
            WHERE status = 'completed';
            """,
        )
        # A patient's scores fall over the course by a patient-specific fraction, with some noise.
        run(
            cursor,
            """
            UPDATE gen_q q SET total = greatest(0, least(
                    CASE q.code WHEN 'PHQ-9' THEN 27 WHEN 'GAD-7' THEN 21 ELSE 80 END,
                    round(CASE q.code WHEN 'PHQ-9' THEN p.phq0 WHEN 'GAD-7' THEN p.gad0 ELSE p.pcl0 END
                          * (1 - p.improves * 0.75 * q.k::numeric / p.n_sess)
                          - CASE WHEN q.hours >= 168 THEN 1 ELSE 0 END
                          + (pg_temp.gen_rand(concat_ws(':', 'noise', q.g, q.k, q.rule_id)) * 5 - 2.5))::int))
            FROM gen_p p
            WHERE p.g = q.g AND q.status = 'completed'
            """,
        )
        step.rows = run(
            cursor,
            """
            INSERT INTO assessments_questionnaireassignment (external_id, purpose, due_date, status,
                created_at, draft, draft_saved_at, cancelled_at, assigned_by_id, cancelled_by_id,
                patient_id, version_id, appointment_id, available_at, expires_at, is_baseline, rule_id)
            SELECT gen_random_uuid(), left(r.name, 120), (q.available AT TIME ZONE %(tz)s)::date, q.status,
                   q.created, '{}'::jsonb, NULL, NULL, p.nurse, NULL, q.patient_id, q.version_id,
                   q.appointment_id, q.available, q.expires, q.baseline, q.rule_id
            FROM gen_q q JOIN gen_p p USING (g) JOIN assessments_followuprule r ON r.id = q.rule_id
            ORDER BY q.created, q.g
            """,
            builder.params(),
        )
        run(
            cursor,
            """
            ALTER TABLE gen_q ADD COLUMN assignment_id bigint;
            UPDATE gen_q SET assignment_id = a.id FROM assessments_questionnaireassignment a
            WHERE a.rule_id = gen_q.rule_id AND a.appointment_id = gen_q.appointment_id;
            """,
        )

    with Step(out, "questionnaire e-mails") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO assessments_questionnairenotice (due_at, status, attempts, last_error, claimed_at,
                sent_at, message_id, number, assignment_id)
            SELECT due, st, CASE WHEN st = 'sent' THEN 1 ELSE 0 END, '',
                   CASE WHEN st = 'sent' THEN due END, CASE WHEN st = 'sent' THEN due + interval '1 minute' END,
                   CASE WHEN st = 'sent' THEN '<questionnaire.' || assignment_id || '.' || n || '@clinic.example.test>'
                        ELSE '' END,
                   n, assignment_id
            FROM (
                SELECT q.assignment_id, n, q.available + n * interval '1 day' AS due,
                       CASE WHEN q.available + n * interval '1 day' <= now() - interval '5 minutes'
                                 AND (q.done IS NULL OR q.available + n * interval '1 day' < q.done) THEN 'sent'
                            WHEN q.status <> 'pending' THEN 'cancelled'
                            ELSE 'pending' END AS st
                FROM gen_q q CROSS JOIN generate_series(0, 3) n
                WHERE NOT q.baseline AND q.available + n * interval '1 day' < q.expires
                  AND (n = 0 OR q.status <> 'completed'
                       OR q.available + n * interval '1 day' < q.done)
            ) x
            """,
        )

    with Step(out, "questionnaire responses") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO assessments_assessmentresponse (external_id, submission_key, mode, is_baseline,
                answers, total, subscales, domains, band, completed_at, assignment_id, entered_by_id,
                patient_id, version_id)
            SELECT gen_random_uuid(), NULL, CASE WHEN pt.user_id IS NULL THEN 'clinic' ELSE 'portal' END,
                   q.baseline, pat.answers, pat.total, pat.subscales, pat.domains, pat.band, q.done,
                   q.assignment_id, coalesce(pt.user_id, p.nurse), q.patient_id, q.version_id
            FROM gen_q q JOIN gen_p p USING (g) JOIN patients_patient pt ON pt.id = q.patient_id
            JOIN gen_pat pat ON pat.version_id = q.version_id AND pat.total = q.total
                 AND pat.variant = (q.g * 7 + q.k * 3 + q.rule_id) %% 6
            WHERE q.status = 'completed'
            ORDER BY q.done
            """,
        )
        # The PHQ-9 (and every other time the GAD-7) the nurse gives in the chair before a session: no
        # assignment (given in the clinic), on the same course as the patient's follow-ups.
        step.rows += run(
            cursor,
            """
            INSERT INTO assessments_assessmentresponse (external_id, submission_key, mode, is_baseline,
                answers, total, subscales, domains, band, completed_at, assignment_id, entered_by_id,
                patient_id, version_id)
            SELECT gen_random_uuid(), NULL, 'clinic', false, pat.answers, pat.total, pat.subscales,
                   pat.domains, pat.band, s.start + interval '3 minutes', NULL, s.nurse, s.patient_id,
                   pat.version_id
            FROM gen_s s JOIN gen_p p USING (g)
            CROSS JOIN (VALUES (%(phq)s, 27), (%(gad)s, 21)) AS v(version_id, top)
            JOIN gen_pat pat ON pat.version_id = v.version_id AND pat.variant = (s.g + s.k) %% 5
                 AND pat.total = greatest(0, least(v.top, round(
                     CASE WHEN v.version_id = %(phq)s THEN p.phq0 ELSE p.gad0 END
                     * (1 - p.improves * 0.75 * (s.k - 1)::numeric / p.n_sess) + (s.g * 3 + s.k) %% 5 - 2)::int))
            WHERE v.version_id = %(phq)s OR s.k %% 2 = 0
            """,
            builder.params(phq=versions["PHQ-9"], gad=versions["GAD-7"]),
        )
        # Long courses: a weekly PHQ-9 for about two years, the progress report's heaviest case.
        step.rows += run(
            cursor,
            """
            INSERT INTO assessments_assessmentresponse (external_id, submission_key, mode, is_baseline,
                answers, total, subscales, domains, band, completed_at, assignment_id, entered_by_id,
                patient_id, version_id)
            SELECT gen_random_uuid(), NULL, 'clinic', false, pat.answers, pat.total, pat.subscales,
                   pat.domains, pat.band, ((current_date - 7 * w + 3) + time '10:30') AT TIME ZONE %(tz)s,
                   NULL, p.nurse, p.patient_id, %(phq)s
            FROM gen_p p CROSS JOIN generate_series(1, 100) w
            JOIN gen_pat pat ON pat.version_id = %(phq)s AND pat.variant = w %% 5
                 AND pat.total = greatest(2, least(27, p.phq0 - (100 - w) / 10 + (w * 7 %% 5) - 2))
            WHERE p.long_history AND p.n_sess IS NOT NULL
            """,
            builder.params(phq=versions["PHQ-9"]),
        )

    with Step(out, "risk alerts") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO assessments_riskalert (external_id, rule, message, is_risk, created_at,
                acknowledged_at, acknowledgement_note, acknowledged_by_id, patient_id, response_id)
            SELECT DISTINCT ON (r.id, a->>'id') gen_random_uuid(), a->>'id', left(a->>'message', 300), coalesce((a->>'risk')::boolean, false),
                   r.completed_at,
                   CASE WHEN r.completed_at < now() - interval '3 days' THEN r.completed_at + interval '3 hours' END,
                   CASE WHEN r.completed_at < now() - interval '3 days'
                        THEN 'Called the patient: no plan or intent; safety plan reviewed.' ELSE '' END,
                   CASE WHEN r.completed_at < now() - interval '3 days' THEN p.prescriber END,
                   r.patient_id, r.id
            FROM assessments_assessmentresponse r
            JOIN gen_p p ON p.patient_id = r.patient_id
            JOIN gen_pat pat ON pat.version_id = r.version_id AND pat.total = r.total AND pat.answers = r.answers
            CROSS JOIN LATERAL jsonb_array_elements(pat.alerts) a
            WHERE jsonb_array_length(pat.alerts) > 0
            """,
        )
