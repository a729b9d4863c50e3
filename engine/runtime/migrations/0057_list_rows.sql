-- Bouwstroom store, version 57: the project list's rows in one look-up (issue 17 item 5;
-- docs/performance.md "National scale", "(2026-12-07, branch prov)").
--
-- GET /api/v1/projects joined bs_project_list_reach (0043/0050: project, access, stream) with
-- projects for the list's columns, so every listed project was looked up twice in projects_pkey:
-- once by bs_project_access_of for the policy's CASE and once more by the list (for a province
-- user's whole-province list at 100,000 projects 2,093 projects, about 8,400 buffer hits and 3 ms
-- of the second). Now the policy's look-up returns the list's columns too:
--   bs_project_policy_of(user, ids)   the policy's CASE (0015, moved here unchanged from
--                                     bs_project_access_of, 0050) with the project's list columns;
--   bs_project_access_of(user, ids)   its project, access and stream (same signature and rows);
--   bs_project_access_reach           0050's, over bs_project_policy_of (inlined; an unused
--                                     column is not read);
--   bs_project_list_rows(user, gemeente, provincie)
--                                     bs_project_list_reach's rows (the ids per filter shape of
--                                     0050, moved here unchanged) with the list's columns; the
--                                     list reads projects no more;
--   bs_project_list_reach             the project, access and stream of bs_project_list_rows.
-- No rule changes; tests/integration/test_access_reach.py compares bs_project_access_of with
-- bs_project_access and bs_project_list_reach with bs_project_access_reach per user and filter
-- shape, and the list over HTTP with the full policy.

-- The access policy (0015, docs/security.md §3) for p_user (NULL: anonymous) on the projects
-- p_ids (NULL or ids of no project: no rows): per project its access ('lead', 'write', 'read',
-- 'public', 'aggregate' or NULL) and the stream flag (an extern project member), the same row as
-- bs_project_access, and the project's columns the project list shows (GET /api/v1/projects).
-- The CASE and joins are 0015's (as copied by 0032, moved by 0050 and here); keep them equal
-- (test_access_reach.py compares them). Inlined by PostgreSQL when p_ids is a plain value.
CREATE FUNCTION bs_project_policy_of(p_user uuid, p_ids uuid[])
RETURNS TABLE (project_id uuid, access text, stream boolean, name text, gemeente text, provincie text,
               planstatus text, plantype text, homes_remaining integer, progress_date date,
               expected_by date, planned_completion date, confidentiality text, knelpunt boolean,
               updated_at timestamptz)
LANGUAGE sql STABLE AS $$
    WITH me AS (SELECT id FROM users WHERE id = p_user AND disabled_at IS NULL),
    mine AS (SELECT om.organisation_id, om.role, o.kind, o.region, o.provincie
               FROM organisation_members om JOIN me ON me.id = om.user_id
               JOIN organisations o ON o.id = om.organisation_id)
    SELECT p.id,
      CASE
        WHEN pm.role = 'projectleider' THEN 'lead'
        WHEN pm.role = 'medewerker' THEN 'write'
        WHEN p.confidentiality = 'prive' THEN NULL
        WHEN own.role IN ('beheerder','projectleider') THEN 'lead'
        WHEN own.role = 'medewerker' THEN 'write'
        WHEN own.role = 'management' AND bs_confidentiality_rank(p.confidentiality) >= 2 THEN 'read'
        WHEN own.role = 'raad' AND bs_confidentiality_rank(p.confidentiality) >= 3 THEN 'read'
        WHEN bs_confidentiality_rank(p.confidentiality) >= 4 AND EXISTS (
               SELECT 1 FROM mine m JOIN organisations po ON po.id = p.owner_organisation_id
               WHERE m.kind = 'gemeente' AND m.role <> 'extern' AND m.region IS NOT NULL
                 AND m.region = po.region AND m.organisation_id <> po.id) THEN 'read'
        WHEN bs_confidentiality_rank(p.confidentiality) >= 5 AND EXISTS (
               SELECT 1 FROM mine m WHERE m.role <> 'extern'
                 AND (m.kind = 'rijk' OR (m.kind = 'provincie' AND m.provincie = p.provincie))) THEN 'read'
        WHEN p.confidentiality = 'openbaar' THEN 'public'
        WHEN own.role IN ('management','raad') THEN 'aggregate'
        ELSE NULL
      END,
      COALESCE(pm.role = 'extern', false),
      p.name, p.gemeente, p.provincie, p.planstatus, p.plantype, p.homes_remaining, p.progress_date,
      p.expected_by, p.planned_completion, p.confidentiality, p.knelpunt, p.updated_at
    FROM projects p
    LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = (SELECT id FROM me)
    LEFT JOIN mine own ON own.organisation_id = p.owner_organisation_id
    WHERE p.id = ANY (p_ids)
$$;

-- The access policy for p_user on the projects p_ids: project, access, stream (0050's rows;
-- bs_project_policy_of without the list's columns).
CREATE OR REPLACE FUNCTION bs_project_access_of(p_user uuid, p_ids uuid[])
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE AS $$
    SELECT o.project_id, o.access, o.stream FROM bs_project_policy_of(p_user, p_ids) o
$$;

-- bs_project_access_reach (0050, same signature and rows) with bs_project_policy_of called
-- directly: PostgreSQL inlines a set-returning SQL function only while its arguments are plain
-- values; a function nested in an inlined one (bs_project_policy_of in bs_project_access_of) is
-- inlined after the one-row FROM item r was flattened, when r.ids has become the ARRAY sub-select,
-- and would stay a function scan (checked with EXPLAIN). Inlined as before; the list's columns
-- that a caller does not use are not read.
CREATE OR REPLACE FUNCTION bs_project_access_reach(p_user uuid, p_gemeente text DEFAULT NULL, p_provincie text DEFAULT NULL)
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.project_id, a.access, a.stream
      FROM (SELECT ARRAY(SELECT DISTINCT c.project_id FROM bs_project_reach(p_user) c
                          WHERE (p_gemeente IS NULL OR bs_fold(c.gemeente) = bs_fold(p_gemeente))
                            AND (p_provincie IS NULL OR bs_fold(c.provincie) = bs_fold(p_provincie))) AS ids) r
     CROSS JOIN LATERAL bs_project_policy_of(p_user, r.ids) a
$$;

-- bs_project_access_reach(p_user, p_gemeente, p_provincie)'s rows (every row with any access or the
-- stream flag, each bs_project_access's row; NULL filter: any; compared folded, bs_fold) with the
-- project's list columns, for GET /api/v1/projects. The ids by one statement per filter shape
-- (0050's, unchanged: the filter a plain condition, indexable in every branch of the reach), then
-- bs_project_policy_of over them: each project looked up once. ROWS 100 and plan_cache_mode =
-- force_generic_plan as 0050's bs_project_list_reach (the list's plan around a function scan;
-- these statements planned once per connection).
CREATE FUNCTION bs_project_list_rows(p_user uuid, p_gemeente text, p_provincie text)
RETURNS TABLE (project_id uuid, access text, stream boolean, name text, gemeente text, provincie text,
               planstatus text, plantype text, homes_remaining integer, progress_date date,
               expected_by date, planned_completion date, confidentiality text, knelpunt boolean,
               updated_at timestamptz)
LANGUAGE plpgsql STABLE ROWS 100 SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_ids uuid[];
BEGIN
    IF p_gemeente IS NULL AND p_provincie IS NULL THEN
        v_ids := ARRAY(SELECT DISTINCT c.project_id FROM bs_project_reach(p_user) c);
    ELSIF p_provincie IS NULL THEN
        v_ids := ARRAY(SELECT DISTINCT c.project_id FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente));
    ELSIF p_gemeente IS NULL THEN
        v_ids := ARRAY(SELECT DISTINCT c.project_id FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.provincie) = bs_fold(p_provincie));
    ELSE
        v_ids := ARRAY(SELECT DISTINCT c.project_id FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente)
                          AND bs_fold(c.provincie) = bs_fold(p_provincie));
    END IF;
    RETURN QUERY SELECT * FROM bs_project_policy_of(p_user, v_ids);
END
$$;

-- bs_project_access_reach(p_user, p_gemeente, p_provincie)'s rows from bs_project_list_rows
-- (signature and rows as 0043/0050; kept for callers and tests that want only the policy).
CREATE OR REPLACE FUNCTION bs_project_list_reach(p_user uuid, p_gemeente text, p_provincie text)
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE ROWS 100 AS $$
    SELECT r.project_id, r.access, r.stream FROM bs_project_list_rows(p_user, p_gemeente, p_provincie) r
$$;
