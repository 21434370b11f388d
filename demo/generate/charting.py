"""Charted treatment sessions: when they were, their appointments, the chart itself, the ledger
vials they drew on, vital signs, sedation and dissociation scores and esketamine devices."""

from demo.generate.sql import Step, run


def sessions_plan(builder, cursor):
    """When each treated patient's sessions were: a course that ended before today (discharged, on
    hold) or runs up to this week (active), twice a week in induction, then every 1–4 weeks."""
    with Step(builder.out, "session plan (scratch)") as step:
        run(
            cursor,
            """
            ALTER TABLE gen_p ADD COLUMN n_sess int, ADD COLUMN last_day date;
            UPDATE gen_p SET
                n_sess = CASE WHEN long_history THEN 40 ELSE 1 + floor(9.5 * pg_temp.gen_rand('sessions' || g) ^ 2)::int END,
                last_day = CASE WHEN status = 'active' THEN current_date - 1 - floor(pg_temp.gen_rand('last' || g) * 20)::int
                                ELSE current_date - 30 - floor(pg_temp.gen_rand('last' || g) * 900)::int END
            WHERE status IN ('active', 'on_hold', 'discharged');
            """,
        )
        step.rows = run(
            cursor,
            """
            CREATE TEMP TABLE gen_s AS
            SELECT p.g, p.patient_id, k, p.n_sess, p.route, p.nurse, p.prescriber, p.plan_id, p.weight,
                   -- days before the last session: 4 days apart in induction (the first 6), then 14
                   p.last_day - ((p.n_sess - k) * 14 - greatest(0, least(p.n_sess, 6) - k) * 10) AS raw_day,
                   pg_temp.gen_pick(%(chairs)s::bigint[], p.site, %(sites)s, p.g / %(sites)s + k) AS room,
                   8 + ((p.g * 3 + k) %% 8) AS hour
            FROM gen_p p CROSS JOIN LATERAL generate_series(1, p.n_sess) k
            WHERE p.n_sess IS NOT NULL
            """,
            builder.params(),
        )
        run(
            cursor,
            """
            ALTER TABLE gen_s ADD COLUMN start timestamptz;
            UPDATE gen_s SET start = ((day + make_time(hour, CASE WHEN k %% 2 = 0 THEN 30 ELSE 0 END, 0))
                                      AT TIME ZONE %(tz)s)
            FROM (SELECT g AS gg, k AS kk,
                         raw_day + CASE extract(isodow FROM raw_day) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END
                             - CASE WHEN raw_day + CASE extract(isodow FROM raw_day) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END
                                         >= current_date THEN 3 ELSE 0 END AS day
                  FROM gen_s) d
            WHERE d.gg = gen_s.g AND d.kk = gen_s.k;
            ALTER TABLE gen_s ADD PRIMARY KEY (g, k);
            """,
            builder.params(),
        )


def appointments(builder, cursor):
    with Step(builder.out, "appointments (treatment)") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_appointment (external_id, start, "end", status, series_number,
                cancel_reason, late_cancellation, reschedule_note, created_at, appointment_type_id,
                clinician_id, created_by_id, patient_id, plan_id, room_id)
            SELECT gen_random_uuid(), start,
                   start + CASE route WHEN 'iv' THEN interval '120 minutes' WHEN 'im' THEN interval '90 minutes'
                                      ELSE interval '150 minutes' END,
                   'completed', CASE WHEN k <= 6 THEN k END, '', false, '', start - interval '10 days',
                   CASE route WHEN 'iv' THEN %(type_iv)s WHEN 'im' THEN %(type_im)s ELSE %(type_intranasal)s END,
                   nurse, (%(frontdesk)s::bigint[])[1 + (g %% array_length(%(frontdesk)s::bigint[], 1))],
                   patient_id, CASE WHEN k <= 6 THEN plan_id END, room
            FROM gen_s ORDER BY start, g, k
            """,
            builder.params(),
        )
        run(
            cursor,
            """
            ALTER TABLE gen_s ADD COLUMN appointment_id bigint;
            UPDATE gen_s SET appointment_id = a.id FROM treatment_sessions_appointment a
            WHERE a.patient_id = gen_s.patient_id AND a.start = gen_s.start
              AND a.appointment_type_id IN (%(type_iv)s, %(type_im)s, %(type_intranasal)s);
            """,
            builder.params(),
        )


def treatment_sessions(builder, cursor):
    with Step(builder.out, "treatment sessions") as step:
        # The most recent sessions are still awaiting a signature, as on a real Monday morning.
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_treatmentsession (external_id, route, status, started_at,
                checklist, checklist_note, checklist_at, weight_kg, weight_measured_on, mood_pre,
                ordered_mg_per_kg, ordered_minutes, ordered_dose_mg, ordered_concentration,
                ordered_volume_ml, ordered_rate_ml_per_h, ordered_devices, limit_override_reason,
                ordered_at, lot_number, administered_volume_ml, dose_started_at, aldrete,
                vitals_near_baseline, alert_and_oriented, escort_present, escort_name,
                instructions_given, discharge_note, discharged_at, rems, nurse_signed_at,
                prescriber_signed_at, administered_by_id, appointment_id, checklist_by_id,
                discharged_by_id, ledger_entry_id, nurse_signed_by_id, ordered_by_id, patient_id,
                prescriber_signed_by_id, started_by_id, vial_id, devices_stopped_reason,
                ordered_rate_resolution)
            SELECT gen_random_uuid(), s.route,
                   CASE WHEN s.start > now() - interval '2 days' AND s.g %% 3 = 0 THEN 'discharged' ELSE 'signed' END,
                   s.start,
                   CASE s.route WHEN 'iv' THEN %(checklist_iv)s::jsonb WHEN 'im' THEN %(checklist_im)s::jsonb
                                ELSE %(checklist_intranasal)s::jsonb END,
                   '', s.start + interval '2 minutes',
                   CASE WHEN s.route <> 'intranasal' THEN s.weight END,
                   CASE WHEN s.route <> 'intranasal' THEN (s.start AT TIME ZONE %(tz)s)::date END,
                   2 + (s.g + s.k) %% 5,
                   CASE s.route WHEN 'iv' THEN 0.5 WHEN 'im' THEN 0.75 END,
                   CASE s.route WHEN 'iv' THEN 40 END,
                   CASE s.route WHEN 'iv' THEN round(s.weight * 0.5, 1) WHEN 'im' THEN round(s.weight * 0.75, 1)
                                ELSE 56 + 28 * ((s.g + s.k) %% 3 / 2) END,
                   CASE WHEN s.route <> 'intranasal' THEN 50 END,
                   CASE s.route WHEN 'iv' THEN round(s.weight * 0.5 / 50, 2) WHEN 'im' THEN round(s.weight * 0.75 / 50, 2) END,
                   CASE s.route WHEN 'iv' THEN round(s.weight * 0.5 / 50 * 1.5, 1) END,
                   CASE s.route WHEN 'intranasal' THEN 2 + (s.g + s.k) %% 3 / 2 END,
                   '', s.start + interval '8 minutes',
                   CASE WHEN s.route = 'intranasal' THEN 'ESK26K041' ELSE '' END,
                   CASE s.route WHEN 'iv' THEN round(s.weight * 0.5 / 50, 2) WHEN 'im' THEN round(s.weight * 0.75 / 50, 2) END,
                   s.start + interval '12 minutes',
                   '{"spo2": 2, "activity": 2, "circulation": 2, "respiration": 2, "consciousness": 2}'::jsonb,
                   true, true, true, 'Pat Example', true,
                   'Walked to the car with the escort; written instructions given.',
                   s.start + interval '132 minutes',
                   CASE WHEN s.route = 'intranasal' THEN %(rems)s::jsonb ELSE '{}'::jsonb END,
                   s.start + interval '137 minutes',
                   CASE WHEN s.start > now() - interval '2 days' AND s.g %% 3 = 0 THEN NULL
                        ELSE s.start + interval '147 minutes' END,
                   s.nurse, s.appointment_id, s.nurse, s.nurse, NULL, s.nurse, s.prescriber, s.patient_id,
                   CASE WHEN s.start > now() - interval '2 days' AND s.g %% 3 = 0 THEN NULL ELSE s.prescriber END,
                   s.nurse, NULL, '', CASE s.route WHEN 'iv' THEN 0.1 END
            FROM gen_s s ORDER BY s.start, s.g
            """,
            builder.params(),
        )
        run(
            cursor,
            """
            ALTER TABLE gen_s ADD COLUMN session_id bigint;
            UPDATE gen_s SET session_id = t.id FROM treatment_sessions_treatmentsession t
            WHERE t.appointment_id = gen_s.appointment_id;
            CREATE INDEX ON gen_s (session_id);
            """,
        )
        # A session with a signature still missing keeps the nurse's signature only.
        run(
            cursor,
            """
            UPDATE treatment_sessions_treatmentsession SET nurse_signed_at = NULL, nurse_signed_by_id = NULL
            WHERE status = 'discharged' AND id IN (SELECT session_id FROM gen_s) AND id %% 2 = 0
            """,
        )


def ledger(builder, cursor):
    """Stock vials of 10 mL at 50 mg/mL, six weight-based doses each (at most 1.65 mL: 0.75 mg/kg IM at 110 kg), in the order given: every
    administration entry's balance is the vial's volume less what was drawn before it."""
    with Step(builder.out, "vials and ledger entries") as step:
        run(
            cursor,
            """
            CREATE TEMP TABLE gen_l AS
            SELECT session_id, patient_id, nurse, start, vol,
                   (rn - 1) / 6 AS vial_no,
                   10 - sum(vol) OVER (PARTITION BY (rn - 1) / 6 ORDER BY rn) AS balance
            FROM (SELECT s.session_id, s.patient_id, s.nurse, s.start,
                         t.administered_volume_ml AS vol,
                         row_number() OVER (ORDER BY s.start, s.session_id) AS rn
                  FROM gen_s s JOIN treatment_sessions_treatmentsession t ON t.id = s.session_id
                  WHERE s.route IN ('iv', 'im')) x
            """,
        )
        run(
            cursor,
            """
            CREATE TEMP TABLE gen_v AS
            SELECT vial_no, min(start) - interval '1 day' AS received, max(start) AS last_use,
                   min(nurse) AS nurse, min(balance) AS balance
            FROM gen_l GROUP BY vial_no
            """,
        )
        run(cursor, "ALTER TABLE gen_v ADD COLUMN vial_id bigint")
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_vial (external_id, drug, form, lot, expiry,
                concentration_mg_per_ml, volume_ml, supplier, invoice_number, received_at, balance_ml,
                received_by_id)
            SELECT gen_random_uuid(), 'Ketamine hydrochloride', 'Injection solution, multi-dose vial',
                   'GEN-' || to_char(received, 'YYMM') || '-' || lpad(vial_no::text, 5, '0'),
                   (received + interval '1 year')::date, 50, 10, 'Example Pharma (fake)',
                   'INV-GEN-' || %(offset)s || '-' || vial_no, received, balance, nurse
            FROM gen_v ORDER BY vial_no
            """,
            {"offset": builder.offset},
        )
        run(
            cursor,
            """
            UPDATE gen_v SET vial_id = v.id FROM treatment_sessions_vial v
            WHERE v.invoice_number = 'INV-GEN-' || %(offset)s || '-' || gen_v.vial_no AND v.lot LIKE 'GEN-%%'
            """,
            {"offset": builder.offset},
        )
        step.rows += run(
            cursor,
            """
            INSERT INTO treatment_sessions_ledgerentry (kind, change_ml, balance_after_ml, reason,
                created_at, recorded_by_id, vial_id)
            SELECT 'receipt', 10, 10, '', received, nurse, vial_id FROM gen_v ORDER BY received
            """,
        )
        # An opened multi-dose vial is discarded at its beyond-use date, 28 days after first use (USP
        # <797>): what is left is wasted, witnessed by a second nurse. Without this every vial ever
        # received would still be "on hand".
        step.rows += run(
            cursor,
            """
            WITH two AS (SELECT min(nurse) AS first, max(nurse) AS second FROM gen_s)
            INSERT INTO treatment_sessions_ledgerentry (kind, change_ml, balance_after_ml, reason,
                created_at, recorded_by_id, witness_id, vial_id)
            SELECT 'waste', -v.balance, 0, 'Beyond-use date: 28 days after first use', w.at, v.nurse,
                   CASE WHEN v.nurse = two.first THEN two.second ELSE two.first END, v.vial_id
            FROM gen_v v, two,
                 LATERAL (SELECT greatest(v.received + interval '29 days', v.last_use + interval '1 hour') AS at) w
            WHERE v.balance > 0 AND w.at < now() AND two.first <> two.second
            ORDER BY v.received
            """,
        )
        run(
            cursor,
            """
            UPDATE treatment_sessions_vial SET balance_ml = 0
            WHERE id IN (SELECT vial_id FROM treatment_sessions_ledgerentry e
                         WHERE e.kind = 'waste' AND e.vial_id IN (SELECT vial_id FROM gen_v))
            """,
        )
        run(cursor, "ALTER TABLE gen_l ADD COLUMN entry_id bigint")
        step.rows += run(
            cursor,
            """
            INSERT INTO treatment_sessions_ledgerentry (kind, change_ml, balance_after_ml, reason,
                created_at, patient_id, recorded_by_id, vial_id)
            SELECT 'administration', -l.vol, l.balance, '', l.start + interval '12 minutes', l.patient_id,
                   l.nurse, v.vial_id
            FROM gen_l l JOIN gen_v v USING (vial_no) ORDER BY l.start, l.session_id
            """,
        )
        run(
            cursor,
            """
            UPDATE gen_l SET entry_id = e.id FROM treatment_sessions_ledgerentry e, gen_v v
            WHERE v.vial_no = gen_l.vial_no AND e.vial_id = v.vial_id AND e.kind = 'administration'
              AND e.patient_id = gen_l.patient_id AND e.created_at = gen_l.start + interval '12 minutes';
            UPDATE treatment_sessions_treatmentsession t
            SET ledger_entry_id = l.entry_id, vial_id = v.vial_id, lot_number = v_lot.lot
            FROM gen_l l JOIN gen_v v USING (vial_no) JOIN treatment_sessions_vial v_lot ON v_lot.id = v.vial_id
            WHERE t.id = l.session_id;
            """,
        )


def vitals(builder, cursor):
    """Pre-dose vitals at 5 minutes, then from the dose every 10 minutes (IV, IM) or 15 (esketamine)
    to 120: blood pressure rises a little at 20–40 minutes, as it does with ketamine."""
    with Step(builder.out, "vital-sign readings") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_vitalsignreading (taken_at, recorded_at, sbp, dbp, hr, spo2,
                rr, temp_c, pre_dose, flags, recorded_by_id, session_id)
            SELECT at, at, base_sbp + bump, base_dbp + bump / 2, 68 + (g + k) %% 14 + bump / 2,
                   96 + (g + m) %% 4, 12 + (g + m) %% 5,
                   CASE WHEN m = -7 THEN 36.6 + ((g + k) %% 5) / 10.0 END,
                   m = -7, '[]'::jsonb, nurse, session_id
            FROM (
                SELECT s.g, s.k, s.nurse, s.session_id, m,
                       s.start + interval '12 minutes' + m * interval '1 minute' AS at,
                       112 + (s.g * 7 + s.k) %% 22 AS base_sbp, 70 + (s.g * 3 + s.k) %% 12 AS base_dbp,
                       CASE WHEN m BETWEEN 15 AND 45 THEN 8 + (s.g + m) %% 7 ELSE (s.g + m) %% 4 END AS bump
                FROM gen_s s
                CROSS JOIN LATERAL (
                    SELECT -7 AS m
                    UNION ALL
                    SELECT generate_series(10, 120, CASE WHEN s.route = 'intranasal' THEN 15 ELSE 10 END)
                ) t
            ) r
            """,
        )


def observations(builder, cursor):
    with Step(builder.out, "sedation and dissociation") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_sedationobservation (taken_at, recorded_at, moaas, cadss_total,
                cadss_depersonalization, cadss_derealization, cadss_amnesia, cadss_items, note,
                recorded_by_id, session_id)
            SELECT at, at, moaas, dep + der + amn, dep, der, amn, '{}'::jsonb,
                   CASE WHEN moaas < 5 THEN 'Eyes closed, responds to name.' ELSE '' END, nurse, session_id
            FROM (
                SELECT s.start + interval '12 minutes' + m * interval '1 minute' AS at, s.nurse, s.session_id,
                       CASE WHEN m = 20 THEN 3 + (s.g + s.k) %% 2 WHEN m = 40 THEN 4 ELSE 5 END AS moaas,
                       CASE WHEN m = 20 THEN 4 + (s.g + s.k) %% 6 WHEN m = 40 THEN 2 + (s.g + s.k) %% 4 ELSE (s.g + s.k) %% 2 END AS dep,
                       CASE WHEN m = 20 THEN 3 + (s.g * 3 + s.k) %% 6 WHEN m = 40 THEN 2 + (s.g + s.k) %% 3 ELSE 0 END AS der,
                       CASE WHEN m = 20 THEN (s.g + s.k) %% 3 ELSE 0 END AS amn
                FROM gen_s s CROSS JOIN (VALUES (20), (40), (90)) AS t(m)
            ) o
            """,
        )


def devices(builder, cursor):
    with Step(builder.out, "esketamine devices") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_esketaminedevice (taken_at, recorded_at, number, lot_number,
                recorded_by_id, session_id)
            SELECT s.start + interval '12 minutes' + (d - 1) * interval '5 minutes',
                   s.start + interval '12 minutes' + (d - 1) * interval '5 minutes',
                   d, 'ESK26K041', s.nurse, s.session_id
            FROM gen_s s JOIN treatment_sessions_treatmentsession t ON t.id = s.session_id
            CROSS JOIN LATERAL generate_series(1, t.ordered_devices) d
            WHERE s.route = 'intranasal'
            """,
        )
