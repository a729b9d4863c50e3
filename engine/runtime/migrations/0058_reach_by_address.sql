-- Bouwstroom store, version 58: the policy's projects found by their row address (issue 17
-- item 5; docs/performance.md "National scale", "(2026-12-07, branch prov)").
--
-- The reach (0050) collected the ids of the projects a user can reach from the rows of its
-- branches, and the policy (bs_project_policy_of, 0057) looked each id up again in projects_pkey:
-- for a province user's whole-province list at 100,000 projects 2,093 B-tree descents, about
-- 7,700 buffer hits and half of the policy statement's time. The branches have the rows at hand:
-- the reach now also returns each row's address (ctid), and the policy fetches the rows by it (a
-- TID scan: one heap fetch per project, no index). Safe because the addresses are collected and
-- used under ONE snapshot: bs_project_access_reach and bs_project_access_of are one statement
-- each (inlined into their caller's), and bs_project_list_rows is a STABLE function, whose
-- statements run with the snapshot of the calling query (PostgreSQL docs §38.7 "Function
-- Volatility Categories"). A row version visible to a snapshot keeps its address while that
-- snapshot lives: an UPDATE writes a new version elsewhere and leaves the old one in place, and
-- neither VACUUM nor page pruning removes a version that a running snapshot can still see; a
-- fetch by address checks visibility like any scan. The addresses never leave the statement.
-- The DISTINCT over the reach's branches is on the address: one visible version per project per
-- snapshot, so the same projects as the DISTINCT over ids.
--   bs_project_reach(user)              0050's branches, unchanged, with each row's ctid (row_tid);
--   bs_project_policy_at(user, tids)    the policy's CASE with the list's columns (0057's
--                                       bs_project_policy_of, its conditions reordered, see there)
--                                       over the rows at the given addresses;
--   bs_project_access_of(user, ids)     same signature and rows (ids to addresses, then the above);
--   bs_project_access_reach, bs_project_list_rows
--                                       same signatures and rows, by address.
-- tests/integration/test_access_reach.py compares them with bs_project_access per user and filter
-- shape, and also under a snapshot taken before every reached project was updated (new addresses).

DROP FUNCTION bs_project_policy_of(uuid, uuid[]);
DROP FUNCTION bs_project_reach(uuid);

-- The projects p_user can reach (NULL or a disabled user: the openbaar ones): 0050's six branches,
-- rows and comments unchanged, with each row's address (ctid: valid only under the snapshot of the
-- statement that read it; see above).
CREATE FUNCTION bs_project_reach(p_user uuid)
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
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM projects x WHERE x.provincie IN (
        SELECT m.provincie FROM mine m WHERE m.kind = 'provincie' AND m.role <> 'extern')
       AND x.confidentiality IN ('extern_mede_overheden','openbaar')
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM projects x
     WHERE x.confidentiality IN ('extern_mede_overheden','openbaar')
       AND EXISTS (SELECT 1 FROM mine m WHERE m.kind = 'rijk' AND m.role <> 'extern')
    UNION ALL
    SELECT x.id, x.gemeente, x.provincie, x.ctid FROM projects x WHERE x.confidentiality = 'openbaar'
$$;

-- The access policy (0015, docs/security.md §3) for p_user (NULL: anonymous) on the projects whose
-- rows are at p_tids (addresses read under the caller's snapshot; NULL or none: no rows): per
-- project its access ('lead', 'write', 'read', 'public', 'aggregate' or NULL) and the stream flag
-- (an extern project member), the same row as bs_project_access, and the project's columns the
-- project list shows. The CASE and joins are 0015's (as copied by 0032, moved by 0050, 0057 and
-- here), its conditions written so that a row does not pay for what the user cannot have (the
-- rows are the same; test_access_reach.py compares them with bs_project_access for every user):
-- an absent role of the owner organisation is false rather than NULL, so that AND stops before
-- bs_confidentiality_rank (PostgreSQL evaluates the rest of an AND after a NULL, not after a
-- false); the woonregio branch is guarded by "the user has a non-extern role in a gemeente with a
-- region" (implied by its EXISTS; one InitPlan per statement instead of a subplan per row); the
-- rijk/province branch is "a non-extern role in the rijk, or p.provincie one of the provinces of
-- the user's non-extern province roles" (the same EXISTS split in two, each an InitPlan), before
-- the rank. Inlined by PostgreSQL when p_tids is a plain value.
CREATE FUNCTION bs_project_policy_at(p_user uuid, p_tids tid[])
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
    FROM projects p
    LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = (SELECT id FROM me)
    LEFT JOIN mine own ON own.organisation_id = p.owner_organisation_id
    WHERE p.ctid = ANY (p_tids)
$$;

-- The access policy for p_user on the projects p_ids: project, access, stream (0050's rows). The
-- array of addresses is a column of a one-row FROM item so that bs_project_policy_at is inlined.
CREATE OR REPLACE FUNCTION bs_project_access_of(p_user uuid, p_ids uuid[])
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.project_id, a.access, a.stream
      FROM (SELECT ARRAY(SELECT x.ctid FROM projects x WHERE x.id = ANY (p_ids)) AS tids) r
     CROSS JOIN LATERAL bs_project_policy_at(p_user, r.tids) a
$$;

-- The policy's rows for the projects p_user can reach (signature and rows as 0032/0043/0050),
-- restricted to p_gemeente / p_provincie (NULL: any; compared folded, bs_fold): the addresses of
-- the reach's rows, then the policy over them (inlined; a column a caller does not use is not read).
CREATE OR REPLACE FUNCTION bs_project_access_reach(p_user uuid, p_gemeente text DEFAULT NULL, p_provincie text DEFAULT NULL)
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.project_id, a.access, a.stream
      FROM (SELECT ARRAY(SELECT DISTINCT c.row_tid FROM bs_project_reach(p_user) c
                          WHERE (p_gemeente IS NULL OR bs_fold(c.gemeente) = bs_fold(p_gemeente))
                            AND (p_provincie IS NULL OR bs_fold(c.provincie) = bs_fold(p_provincie))) AS tids) r
     CROSS JOIN LATERAL bs_project_policy_at(p_user, r.tids) a
$$;

-- bs_project_access_reach(p_user, p_gemeente, p_provincie)'s rows with the project's list columns,
-- for GET /api/v1/projects (0057), now by address: the addresses by one statement per filter shape
-- (0050's statements), then bs_project_policy_at over them; both statements under the calling
-- query's snapshot (STABLE). ROWS 100 and plan_cache_mode = force_generic_plan as 0050/0057.
CREATE OR REPLACE FUNCTION bs_project_list_rows(p_user uuid, p_gemeente text, p_provincie text)
RETURNS TABLE (project_id uuid, access text, stream boolean, name text, gemeente text, provincie text,
               planstatus text, plantype text, homes_remaining integer, progress_date date,
               expected_by date, planned_completion date, confidentiality text, knelpunt boolean,
               updated_at timestamptz)
LANGUAGE plpgsql STABLE ROWS 100 SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_tids tid[];
BEGIN
    IF p_gemeente IS NULL AND p_provincie IS NULL THEN
        v_tids := ARRAY(SELECT DISTINCT c.row_tid FROM bs_project_reach(p_user) c);
    ELSIF p_provincie IS NULL THEN
        v_tids := ARRAY(SELECT DISTINCT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente));
    ELSIF p_gemeente IS NULL THEN
        v_tids := ARRAY(SELECT DISTINCT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.provincie) = bs_fold(p_provincie));
    ELSE
        v_tids := ARRAY(SELECT DISTINCT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente)
                          AND bs_fold(c.provincie) = bs_fold(p_provincie));
    END IF;
    RETURN QUERY SELECT * FROM bs_project_policy_at(p_user, v_tids);
END
$$;
