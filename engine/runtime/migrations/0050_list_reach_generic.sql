-- Bouwstroom store, version 50: the project list's filtered reach with generic plans (issue 17
-- item 5; docs/performance.md "National scale", "The list filtered by municipality planned once").
--
-- bs_project_list_reach (0043) runs one statement per filter shape, but its filtered shapes kept
-- custom plans: the reach's branches filter with "p_gemeente IS NULL OR bs_fold(x.gemeente) =
-- bs_fold(p_gemeente)", which a generic plan (p_gemeente a parameter) cannot answer from
-- projects_gemeente_fold, so PostgreSQL planned the reach again at every request of a province
-- user's list of one municipality (about 1.8 ms of planning against 0.3 ms for the unfiltered
-- shape). The reach is now split in two, each kept in ONE place:
--   bs_project_reach(user)            the projects some row of the policy could grant anything
--                                     (the six branches of 0032/0043, unchanged), with the columns
--                                     the list filters on (gemeente, provincie);
--   bs_project_access_of(user, ids)   the policy's CASE (0015, moved here unchanged from
--                                     bs_project_access_reach) over the given projects.
-- bs_project_access_reach(user, gemeente, provincie) is the CASE over the reach's ids, filtered
-- with "IS NULL OR" as before (one statement for every caller). bs_project_list_reach collects
-- the ids with one statement per filter shape in which the filter is a plain condition on the
-- reach's columns; PostgreSQL pushes that condition into every branch of the UNION ALL (a qual on
-- a set operation's output is pushed into its arms), where it is "bs_fold(x.gemeente) =
-- bs_fold($2)", answered from projects_gemeente_fold (projects_provincie_fold) in the generic plan
-- too; then the CASE over those ids in one statement whose generic plan looks them up in
-- projects_pkey. A filter now also applies to the membership branch (0032 left it unfiltered: a
-- row outside the filter was harmless, the list filters again): the rows of the list are the same.
-- bs_project_list_reach runs with plan_cache_mode = force_generic_plan (see there).
-- tests/integration/test_access_reach.py compares bs_project_access_reach with bs_project_access
-- user by user, and bs_project_list_reach with bs_project_access_reach and with bs_project_access
-- in the filter, per filter shape, also under plan_cache_mode = force_generic_plan.

-- The projects p_user can reach (NULL or a disabled user: the openbaar ones; see 0032 for the
-- rows of the policy behind each branch, 0043 for the narrowed woonregio and province branches):
-- the project, its gemeente and provincie (as stored; callers compare them folded, bs_fold). A
-- superset of the projects with any access or the stream flag for p_user; rows without access
-- may be in it. A project reached by several branches is in it as often (UNION ALL: the callers
-- take DISTINCT ids, so that only the id is hashed and an unused column is not even read).
CREATE FUNCTION bs_project_reach(p_user uuid)
RETURNS TABLE (project_id uuid, gemeente text, provincie text)
LANGUAGE sql STABLE AS $$
    WITH me AS (SELECT id FROM users WHERE id = p_user AND disabled_at IS NULL),
    mine AS (SELECT om.organisation_id, om.role, o.kind, o.region, o.provincie
               FROM organisation_members om JOIN me ON me.id = om.user_id
               JOIN organisations o ON o.id = om.organisation_id)
    SELECT x.id, x.gemeente, x.provincie FROM project_members pm JOIN me ON me.id = pm.user_id
      JOIN projects x ON x.id = pm.project_id
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie FROM projects x
     WHERE x.owner_organisation_id IN (SELECT organisation_id FROM mine)
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie FROM projects x WHERE x.owner_organisation_id IN (
        SELECT o.id FROM organisations o JOIN mine m ON m.region = o.region
         WHERE m.kind = 'gemeente' AND m.role <> 'extern')
       AND x.confidentiality IN ('extern_woonregio','extern_mede_overheden','openbaar')
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie FROM projects x WHERE x.provincie IN (
        SELECT m.provincie FROM mine m WHERE m.kind = 'provincie' AND m.role <> 'extern')
       AND x.confidentiality IN ('extern_mede_overheden','openbaar')
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie FROM projects x
     WHERE x.confidentiality IN ('extern_mede_overheden','openbaar')
       AND EXISTS (SELECT 1 FROM mine m WHERE m.kind = 'rijk' AND m.role <> 'extern')
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie FROM projects x WHERE x.confidentiality = 'openbaar'
$$;

-- The access policy (0015, docs/security.md §3) for p_user (NULL: anonymous) on the projects
-- p_ids (NULL or ids of no project: no rows): per project its access ('lead', 'write', 'read',
-- 'public', 'aggregate' or NULL) and the stream flag (an extern project member), the same row as
-- bs_project_access. The CASE and joins are 0015's (as copied into bs_project_access_reach by
-- 0032); keep the two equal (test_access_reach.py compares them). Inlined by PostgreSQL when
-- p_ids is a plain value (a parameter, a column of an earlier FROM item).
CREATE FUNCTION bs_project_access_of(p_user uuid, p_ids uuid[])
RETURNS TABLE (project_id uuid, access text, stream boolean)
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
      COALESCE(pm.role = 'extern', false)
    FROM projects p
    LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = (SELECT id FROM me)
    LEFT JOIN mine own ON own.organisation_id = p.owner_organisation_id
    WHERE p.id = ANY (p_ids)
$$;

-- The policy's rows for the projects p_user can reach (signature and rows as 0032/0043: every row
-- with any access or the stream flag, each the same row as bs_project_access's), restricted to
-- the projects in p_gemeente / p_provincie (NULL: any; compared folded, bs_fold), memberships
-- included. The ids are collected into an array first (an IN over the union would be estimated
-- at its largest branch and joined by scanning every project, 0032) and looked up in
-- projects_pkey; the array is a column of a one-row FROM item so that bs_project_access_of is
-- inlined (PostgreSQL does not inline a set-returning function whose argument is a sub-select).
-- The CASE is not evaluated on the union's rows directly (which would save the look-up): the
-- planner would cost it for the union's estimated rows (every hard plan, for the state's branch),
-- about 580,000 at 100,000 projects, and compile the callers' statements with JIT (4-5 s a call;
-- docs/performance.md).
CREATE OR REPLACE FUNCTION bs_project_access_reach(p_user uuid, p_gemeente text DEFAULT NULL, p_provincie text DEFAULT NULL)
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.project_id, a.access, a.stream
      FROM (SELECT ARRAY(SELECT DISTINCT c.project_id FROM bs_project_reach(p_user) c
                          WHERE (p_gemeente IS NULL OR bs_fold(c.gemeente) = bs_fold(p_gemeente))
                            AND (p_provincie IS NULL OR bs_fold(c.provincie) = bs_fold(p_provincie))) AS ids) r
     CROSS JOIN LATERAL bs_project_access_of(p_user, r.ids) a
$$;

-- bs_project_access_reach(p_user, p_gemeente, p_provincie)'s rows for the project list (GET
-- /api/v1/projects), from statements whose generic plans a connection keeps for every filter
-- shape: the ids by one statement per shape (none, gemeente, provincie, both) in which a given
-- filter is a plain condition (indexable in every branch of the reach), then the policy over them
-- (bs_project_access_of) in one statement. ROWS 100: as 0043 (the list's join stays a nested loop
-- on projects_pkey). plan_cache_mode = force_generic_plan while it runs: its statements are
-- planned once per connection, at the first call. Left to the plan cache's cost comparison, a
-- filtered shape kept custom plans for an average or smaller municipality: the generic plan is
-- estimated for a municipality of average size (1/342 of the projects at 100,000) and its arms
-- that cannot apply (the state's, for a user without a role in the rijk: a one-time filter) are
-- costed in full, about 1,600 against 470 for the custom plan of Utrechtse Heuvelrug, although the
-- two run the same index scans; a custom plan costs about 1 ms of planning per call.
CREATE OR REPLACE FUNCTION bs_project_list_reach(p_user uuid, p_gemeente text, p_provincie text)
RETURNS TABLE (project_id uuid, access text, stream boolean)
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
    RETURN QUERY SELECT a.project_id, a.access, a.stream FROM bs_project_access_of(p_user, v_ids) a;
END
$$;
