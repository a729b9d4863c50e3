-- Bouwstroom store, version 64: the province user's whole-province list with the province
-- branch's rows evaluated where they are read (issue 17 item 5; docs/performance.md "National
-- scale", "(2026-12-07, branch prov4)").
--
-- bs_project_list_rows (0057/0058/0061) collected the addresses of every reached row (the province
-- branch of bs_project_reach: 2,093 rows of the province of Utrecht at 100,000 projects, read from
-- the heap by projects_provincie_wide) into an array, then bs_project_policy_at fetched every row
-- again by its address for the CASE and the list's columns: two heap visits per row and an array
-- of addresses in between. Now the unfiltered and the province-filtered shape collect, in one
-- statement (bs_project_reach_parts), the other five branches' addresses as before and the
-- provinces of the province branch (the user's non-extern province roles; with a provincie filter
-- those equal to it, folded); then bs_project_policy_at reads those provinces' rows itself, by
-- projects_provincie_wide, and the other addresses' rows except those (a row the province part
-- reads already: each project once, as ctid = ANY did). A user without a province role (a gemeente
-- user) has no provinces there: the addresses' rows only, as before. The municipality shapes run
-- 0061's statements unchanged, and bs_project_reach (the gate's twin bs_project_access_reach, the
-- feeds, the aggregate report) is unchanged.
-- The province part's policy (bs_project_policy_at(user, addresses, provinces), a copy of 0058's
-- CASE, which stays for every other caller) reads the user's memberships once (a materialized CTE,
-- hashed) instead of an index probe (or, in a member-less database, a re-scanned sequential scan)
-- per row. The rows are the same: tests/integration/test_access_reach.py compares them with
-- bs_project_access per user and filter shape, custom and generic plans.

-- bs_project_reach(p_user)'s rows (0058, unchanged: the gate's twin and every other caller keep
-- it) in two parts, for the list: the rows of its five branches but the province branch, with their
-- addresses, as there (a project reached by several branches is in it as often), and for the
-- province branch one row per province of the user's non-extern province roles, with only that
-- provincie (project_id, gemeente and row_tid NULL) — the branch's projects are that province's at
-- extern_mede_overheden or openbaar, which bs_project_policy_at reads itself. A filter on provincie
-- applies to both parts. The five branches are copied from bs_project_reach (0050/0058, see there
-- for the rows each stands for); test_access_reach.py compares the list's rows built from here and
-- bs_project_access_reach's built from there with bs_project_access, user by user.
CREATE FUNCTION bs_project_reach_parts(p_user uuid)
RETURNS TABLE (project_id uuid, gemeente text, provincie text, row_tid tid)
LANGUAGE sql STABLE AS $$
    WITH me AS (SELECT id FROM users WHERE id = p_user AND disabled_at IS NULL),
    mine AS (SELECT om.organisation_id, om.role, o.kind, o.region, o.provincie
               FROM organisation_members om JOIN me ON me.id = om.user_id
               JOIN organisations o ON o.id = om.organisation_id)
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM project_members pm JOIN me ON me.id = pm.user_id
      JOIN projects x ON x.id = pm.project_id
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM projects x
     WHERE x.owner_organisation_id IN (SELECT organisation_id FROM mine)
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM projects x WHERE x.owner_organisation_id IN (
        SELECT o.id FROM organisations o JOIN mine m ON m.region = o.region
         WHERE m.kind = 'gemeente' AND m.role <> 'extern')
       AND x.confidentiality IN ('extern_woonregio','extern_mede_overheden','openbaar')
    UNION ALL
    SELECT NULL::uuid, NULL::text, m.provincie, NULL::tid FROM mine m
     WHERE m.kind = 'provincie' AND m.role <> 'extern' AND m.provincie IS NOT NULL
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM projects x
     WHERE x.confidentiality IN ('extern_mede_overheden','openbaar')
       AND EXISTS (SELECT 1 FROM mine m WHERE m.kind = 'rijk' AND m.role <> 'extern')
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM projects x WHERE x.confidentiality = 'openbaar'
$$;

-- The access policy (0015, docs/security.md §3) for p_user (NULL: anonymous) on the projects whose
-- rows are at p_tids (addresses read under the caller's snapshot; NULL or none: none of these) and
-- on the projects of the provinces p_provs at extern_mede_overheden or openbaar (the reach's
-- province branch, read here by projects_provincie_wide), each project once (an address of a row of
-- the second kind is skipped): per project its access ('lead', 'write', 'read', 'public',
-- 'aggregate' or NULL) and the stream flag (an extern project member), the same row as
-- bs_project_access, and the project's columns the project list shows. The CASE is a copy of
-- 0058's bs_project_policy_at(user, addresses) (see there for its order), which stays as it was
-- for every other caller and for a user without provinces, so that their plans do not change; keep
-- the copies equal (test_access_reach.py compares the rows of both with bs_project_access). The
-- user's memberships are read once (a materialized CTE, hashed) instead of looked up per row.
-- Inlined by PostgreSQL when its arguments are plain values.
CREATE FUNCTION bs_project_policy_at(p_user uuid, p_tids tid[], p_provs text[])
RETURNS TABLE (project_id uuid, access text, stream boolean, name text, gemeente text, provincie text,
               planstatus text, plantype text, homes_remaining integer, progress_date date,
               expected_by date, planned_completion date, confidentiality text, knelpunt boolean,
               updated_at timestamptz)
LANGUAGE sql STABLE AS $$
    WITH me AS (SELECT id FROM users WHERE id = p_user AND disabled_at IS NULL),
    mine AS (SELECT om.organisation_id, om.role, o.kind, o.region, o.provincie
               FROM organisation_members om JOIN me ON me.id = om.user_id
               JOIN organisations o ON o.id = om.organisation_id),
    mem AS MATERIALIZED (SELECT pm.project_id, pm.role FROM project_members pm
                          WHERE pm.user_id = (SELECT id FROM me))
    SELECT p.id,
      CASE
        WHEN pm.role = 'projectleider' THEN 'lead'
        WHEN pm.role = 'medewerker' THEN 'write'
        WHEN p.confidentiality = 'prive' THEN NULL
        WHEN own.role IN ('beheerder','projectleider') THEN 'lead'
        WHEN own.role = 'medewerker' THEN 'write'
        WHEN COALESCE(own.role = 'management', false) AND bs_confidentiality_rank(p.confidentiality) >= 2 THEN 'read'
        WHEN COALESCE(own.role = 'raad', false) AND bs_confidentiality_rank(p.confidentiality) >= 3 THEN 'read'
        WHEN (SELECT count(*) > 0 FROM mine m WHERE m.kind = 'gemeente' AND m.role <> 'extern' AND m.region IS NOT NULL)
             AND bs_confidentiality_rank(p.confidentiality) >= 4 AND EXISTS (
               SELECT 1 FROM mine m JOIN organisations po ON po.id = p.owner_organisation_id
               WHERE m.kind = 'gemeente' AND m.role <> 'extern' AND m.region IS NOT NULL
                 AND m.region = po.region AND m.organisation_id <> po.id) THEN 'read'
        WHEN ((SELECT count(*) > 0 FROM mine m WHERE m.role <> 'extern' AND m.kind = 'rijk')
              OR p.provincie = ANY (ARRAY(SELECT m.provincie FROM mine m WHERE m.role <> 'extern' AND m.kind = 'provincie')))
             AND bs_confidentiality_rank(p.confidentiality) >= 5 THEN 'read'
        WHEN p.confidentiality = 'openbaar' THEN 'public'
        WHEN own.role IN ('management','raad') THEN 'aggregate'
        ELSE NULL
      END,
      COALESCE(pm.role = 'extern', false),
      p.name, p.gemeente, p.provincie, p.planstatus, p.plantype, p.homes_remaining, p.progress_date,
      p.expected_by, p.planned_completion, p.confidentiality, p.knelpunt, p.updated_at
    FROM (SELECT x.* FROM projects x WHERE x.ctid = ANY (p_tids)
             AND (x.provincie = ANY (p_provs)
                  AND x.confidentiality IN ('extern_mede_overheden','openbaar')) IS NOT TRUE
          UNION ALL
          SELECT x.* FROM projects x WHERE x.provincie = ANY (p_provs)
             AND x.confidentiality IN ('extern_mede_overheden','openbaar')) p
    LEFT JOIN mem pm ON pm.project_id = p.id
    LEFT JOIN mine own ON own.organisation_id = p.owner_organisation_id
$$;

-- bs_project_access_reach(p_user, p_gemeente, p_provincie)'s rows with the project's list columns,
-- for GET /api/v1/projects (0057/0058/0061). Unfiltered or filtered by provincie only, for a user
-- with a non-extern province role: the provinces of the reach's province branch (in the filter),
-- the other branches' addresses (in the filter), then bs_project_policy_at reading the provinces'
-- rows itself. Otherwise 0061's statements: the reach's addresses per filter shape, then the
-- policy over them. All statements under the calling query's snapshot (STABLE). ROWS 100 and
-- plan_cache_mode = force_generic_plan as 0050/0057.
CREATE OR REPLACE FUNCTION bs_project_list_rows(p_user uuid, p_gemeente text, p_provincie text)
RETURNS TABLE (project_id uuid, access text, stream boolean, name text, gemeente text, provincie text,
               planstatus text, plantype text, homes_remaining integer, progress_date date,
               expected_by date, planned_completion date, confidentiality text, knelpunt boolean,
               updated_at timestamptz)
LANGUAGE plpgsql STABLE ROWS 100 SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_tids tid[];
    v_provs text[];
BEGIN
    -- unfiltered or by provincie: the province branch's provinces and the other branches'
    -- addresses (bs_project_reach_parts, in the filter) in one statement, then the policy reading
    -- those provinces' rows itself (no provinces: the addresses' rows only, a plan of its own)
    IF p_gemeente IS NULL THEN
        IF p_provincie IS NULL THEN
            SELECT array_agg(c.provincie) FILTER (WHERE c.row_tid IS NULL),
                   array_agg(c.row_tid) FILTER (WHERE c.row_tid IS NOT NULL)
              INTO v_provs, v_tids FROM bs_project_reach_parts(p_user) c;
        ELSE
            SELECT array_agg(c.provincie) FILTER (WHERE c.row_tid IS NULL),
                   array_agg(c.row_tid) FILTER (WHERE c.row_tid IS NOT NULL)
              INTO v_provs, v_tids FROM bs_project_reach_parts(p_user) c
             WHERE bs_fold(c.provincie) = bs_fold(p_provincie);
        END IF;
        IF cardinality(v_provs) > 0 THEN
            RETURN QUERY SELECT * FROM bs_project_policy_at(p_user, v_tids, v_provs);
        ELSE
            RETURN QUERY SELECT * FROM bs_project_policy_at(p_user, v_tids);
        END IF;
        RETURN;
    END IF;
    -- by gemeente (0061's statements)
    IF p_provincie IS NULL THEN
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente));
    ELSE
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente)
                          AND bs_fold(c.provincie) = bs_fold(p_provincie));
    END IF;
    RETURN QUERY SELECT * FROM bs_project_policy_at(p_user, v_tids);
END
$$;
