"""The registry part of a generated clinic: patients, portal logins, intake, screening decisions,
consents and treatment plans."""

from demo.generate.people import FAMILY, GIVEN
from demo.generate.sql import Step, run


def patients(builder, cursor):
    with Step(builder.out, "patients") as step:
        cursor.execute("SELECT coalesce(max(id), 0) FROM patients_patient")
        before = cursor.fetchone()[0]
        # A second run appends: its e-mail addresses and vial numbers carry this run's offset.
        builder.offset = before
        # The plan of each patient: status, route, clinicians, care start and score course.
        run(
            cursor,
            """
            CREATE TEMP TABLE gen_p AS
            SELECT g,
                   CASE WHEN u < 0.08 THEN 'inquiry' WHEN u < 0.17 THEN 'screening'
                        WHEN u < 0.62 THEN 'active' WHEN u < 0.72 THEN 'on_hold'
                        ELSE 'discharged' END AS status,
                   CASE WHEN r < 0.6 THEN 'iv' WHEN r < 0.85 THEN 'intranasal' ELSE 'im' END AS route,
                   pg_temp.gen_rand('ptsd' || g) < 0.22 AS ptsd,
                   -- the patient's site (g mod sites), and its therapist, prescriber and nurse there
                   g %% %(sites)s AS site,
                   pg_temp.gen_pick(%(therapists)s::bigint[], g %% %(sites)s, %(sites)s, g / %(sites)s) AS therapist,
                   pg_temp.gen_pick(%(prescribers)s::bigint[], g %% %(sites)s, %(sites)s, g / %(sites)s) AS prescriber,
                   pg_temp.gen_pick(%(nurses)s::bigint[], g %% %(sites)s, %(sites)s, g / %(sites)s / 7) AS nurse,
                   10 + floor(pg_temp.gen_rand('phq' || g) * 15)::int AS phq0,
                   8 + floor(pg_temp.gen_rand('gad' || g) * 13)::int AS gad0,
                   35 + floor(pg_temp.gen_rand('pcl' || g) * 35)::int AS pcl0,
                   pg_temp.gen_rand('improves' || g) AS improves,
                   g %% 1000 = 500 OR g = 1 AS long_history,
                   round((55 + pg_temp.gen_rand('kg' || g) * 55)::numeric, 1) AS weight,
                   pg_temp.gen_rand('portal' || g) < 0.55 AS has_portal,
                   g %% %(gc)s AS given_i,
                   (g / %(gc)s) %% %(fc)s AS family_i
            FROM (SELECT g, pg_temp.gen_rand('status' || g) AS u, pg_temp.gen_rand('route' || g) AS r
                  FROM generate_series(1, %(n)s) g) s
            """,
            builder.params(gc=len(GIVEN), fc=len(FAMILY)),
        )
        run(cursor, "ALTER TABLE gen_p ADD PRIMARY KEY (g)")
        step.rows = run(
            cursor,
            """
            INSERT INTO patients_patient (
                external_id, legal_given_name, legal_family_name, preferred_name, date_of_birth,
                sex_at_birth, gender_identity, pronouns, phone, phone_digits, search_name, email,
                address_line1, address_line2, city, region, postal_code, emergency_contact_name,
                emergency_contact_relationship, emergency_contact_phone, escort_name, escort_phone,
                status, treatment_route, indications, created_at, updated_at)
            SELECT gen_random_uuid(), gn, fn, '', dob, sex, '',
                   CASE sex WHEN 'female' THEN 'she/her' WHEN 'male' THEN 'he/him' ELSE '' END,
                   phone, regexp_replace(phone, '\\D', '', 'g'), lower(gn) || ' ' || lower(fn),
                   lower(gn) || '.' || lower(fn) || '.' || (g + %(offset)s) || '@example.test',
                   (10 + g %% 900) || ' Example Street', '', 'Springfield', 'IL', '62701',
                   'Pat Example', 'Partner', '(217) 555-0100',
                   CASE WHEN status IN ('active', 'on_hold', 'discharged') THEN 'Pat Example' ELSE '' END,
                   CASE WHEN status IN ('active', 'on_hold', 'discharged') THEN '(217) 555-0100' ELSE '' END,
                   status, CASE WHEN status = 'inquiry' THEN '' ELSE route END,
                   CASE WHEN ptsd THEN '["depression", "ptsd"]'::jsonb ELSE '["depression"]'::jsonb END,
                   now() - interval '3 years' - interval '30 days', now()
            FROM (
                SELECT p.*, (%(given)s::text[])[1 + given_i] AS gn, (%(family)s::text[])[1 + family_i] AS fn,
                       date '1950-01-01' + (g * 7919 %% 18000) AS dob,
                       CASE g %% 11 WHEN 0 THEN 'intersex' WHEN 1 THEN 'unknown'
                            ELSE CASE WHEN g %% 2 = 0 THEN 'female' ELSE 'male' END END AS sex,
                       '(' || (200 + g %% 700) || ') 555-01' || lpad((g %% 100)::text, 2, '0') AS phone
                FROM gen_p p) x
            ORDER BY g
            """,
            builder.params(given=GIVEN, family=FAMILY, offset=before),
        )
        run(cursor, "ALTER TABLE gen_p ADD COLUMN patient_id bigint")
        run(
            cursor,
            """
            UPDATE gen_p SET patient_id = x.id
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM patients_patient
                  WHERE id > %(before)s) x
            WHERE x.g = gen_p.g
            """,
            {"before": before},
        )
        run(cursor, "CREATE INDEX ON gen_p (patient_id)")


def portal_logins(builder, cursor):
    with Step(builder.out, "portal logins (users, addresses)") as step:
        run(
            cursor,
            """
            CREATE TEMP TABLE gen_u AS
            SELECT p.g, p.patient_id, pt.email, pt.legal_given_name AS gn, pt.legal_family_name AS fn
            FROM gen_p p JOIN patients_patient pt ON pt.id = p.patient_id
            WHERE p.has_portal AND p.status <> 'inquiry'
            """,
        )
        step.rows = run(
            cursor,
            """
            INSERT INTO clinic_user (password, is_superuser, first_name, last_name, is_staff, is_active,
                                     date_joined, email, credential)
            SELECT %(pw)s, false, gn, fn, false, true, now() - interval '3 years', email, ''
            FROM gen_u ORDER BY g
            """,
            builder.params(),
        )
        run(
            cursor,
            """
            UPDATE patients_patient pt SET user_id = u.id
            FROM clinic_user u JOIN gen_u gu ON gu.email = u.email
            WHERE pt.id = gu.patient_id
            """,
        )
        step.rows += run(
            cursor,
            """
            INSERT INTO account_emailaddress (email, verified, "primary", user_id)
            SELECT u.email, true, true, u.id FROM clinic_user u JOIN gen_u gu ON gu.email = u.email
            """,
        )
        step.rows += run(
            cursor,
            """
            INSERT INTO patients_portalinvitation (external_id, email, created_at, expires_at, sent_at,
                                                   accepted_at, created_by_id, patient_id)
            SELECT gen_random_uuid(), pt.email, now() - interval '3 years', now() - interval '3 years' + interval '7 days',
                   now() - interval '3 years', now() - interval '3 years' + interval '1 day',
                   (%(frontdesk)s::bigint[])[1], pt.id
            FROM patients_patient pt JOIN gen_u gu ON gu.patient_id = pt.id
            """,
            builder.params(),
        )


def screening(builder, cursor):
    with Step(builder.out, "intake, decisions, consents") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO patients_intake (external_id, created_at, patient_id)
            SELECT gen_random_uuid(), now() - interval '3 years', patient_id FROM gen_p
            WHERE status <> 'inquiry' ORDER BY g
            """,
        )
        step.rows += run(
            cursor,
            """
            INSERT INTO patients_intakesection (key, data, entered_at, verified_at, entered_by_id,
                                                verified_by_id, intake_id)
            SELECT s.key, s.data, now() - interval '3 years',
                   CASE WHEN p.status = 'screening' AND p.g %% 2 = 0 THEN NULL ELSE now() - interval '3 years' END,
                   p.nurse,
                   CASE WHEN p.status = 'screening' AND p.g %% 2 = 0 THEN NULL ELSE p.nurse END,
                   i.id
            FROM gen_p p JOIN patients_intake i ON i.patient_id = p.patient_id
            CROSS JOIN jsonb_each(%(sections)s::jsonb) AS s(key, data)
            """,
            builder.params(),
        )
        step.rows += run(
            cursor,
            """
            INSERT INTO patients_screeningdecision (external_id, outcome, note, conditions,
                override_reason, findings, signer_name, signer_credential, signed_at, patient_id,
                signed_by_id)
            SELECT gen_random_uuid(), 'approved', 'Reviewed intake, history and baseline scores.', '', '',
                   '[]'::jsonb, u.first_name || ' ' || u.last_name, u.credential,
                   now() - interval '3 years', p.patient_id, p.prescriber
            FROM gen_p p JOIN clinic_user u ON u.id = p.prescriber
            WHERE p.status IN ('active', 'on_hold', 'discharged')
            """,
        )
        step.rows += run(
            cursor,
            """
            INSERT INTO patients_consentsignature (external_id, typed_name, signed_at, ip_address,
                on_clinic_tablet, pdf, pdf_sha256, document_id, patient_id, signed_in_as_id)
            SELECT gen_random_uuid(), pt.legal_given_name || ' ' || pt.legal_family_name,
                   now() - interval '3 years', '127.0.0.1', pt.user_id IS NULL, '', '',
                   CASE p.route WHEN 'iv' THEN %(consent_iv)s WHEN 'im' THEN %(consent_im)s
                                ELSE %(consent_intranasal)s END,
                   p.patient_id, coalesce(pt.user_id, p.nurse)
            FROM gen_p p JOIN patients_patient pt ON pt.id = p.patient_id
            WHERE p.status IN ('active', 'on_hold', 'discharged')
            """,
            builder.params(),
        )


def plans(builder, cursor):
    with Step(builder.out, "treatment plans") as step:
        step.rows = run(
            cursor,
            """
            INSERT INTO treatment_sessions_treatmentplan (external_id, protocol, induction_sessions,
                induction_weeks, min_hours_between, max_per_week, maintenance, mg_per_kg,
                infusion_minutes, fixed_dose_mg, created_at, appointment_type_id, patient_id,
                prescribed_by_id)
            SELECT gen_random_uuid(),
                   CASE route WHEN 'iv' THEN 'IV ketamine 0.5 mg/kg over 40 min'
                              WHEN 'im' THEN 'IM ketamine 0.75 mg/kg'
                              ELSE 'Esketamine 56 mg intranasal' END,
                   6, 3, 48, 2, 'every 3–4 weeks, guided by PHQ-9',
                   CASE route WHEN 'iv' THEN 0.5 WHEN 'im' THEN 0.75 END,
                   CASE route WHEN 'iv' THEN 40 END,
                   CASE route WHEN 'intranasal' THEN 56 END,
                   now() - interval '3 years',
                   CASE route WHEN 'iv' THEN %(type_iv)s WHEN 'im' THEN %(type_im)s ELSE %(type_intranasal)s END,
                   patient_id, prescriber
            FROM gen_p WHERE status IN ('active', 'on_hold', 'discharged') ORDER BY g
            """,
            builder.params(),
        )
        run(cursor, "ALTER TABLE gen_p ADD COLUMN plan_id bigint")
        run(
            cursor,
            """
            UPDATE gen_p SET plan_id = tp.id FROM treatment_sessions_treatmentplan tp
            WHERE tp.patient_id = gen_p.patient_id
            """,
        )
