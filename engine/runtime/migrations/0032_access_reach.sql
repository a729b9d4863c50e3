-- The access policy evaluated only where a user can reach (issue 17, item 5; docs/security.md §3,
-- docs/performance.md "National scale").
--
-- bs_project_access(user) evaluates the policy of 0015 for every project of the installation:
-- a list or feed that joins it costs time in proportion to the installation, not to the user.
-- bs_project_access stays as it is (0015: the gate and every other caller). bs_project_access_reach
-- has the same CASE and the same joins, evaluated only for the projects that some rule could
-- grant any access or the stream flag, found through indexes, collected into an array first (an
-- IN over the union would be estimated at the size of its largest branch — every hard plan, for
-- a role in the rijk that the user does not have — and joined by scanning every project; an
-- array is looked up in projects_pkey). The CASE is a copy: a flag in one shared function would
-- leave an OR beside the set, which PostgreSQL does not turn into a join. The reach:
--   rows 1-3   the user's project memberships            (project_members_user)
--   rows 5-8   projects of an organisation the user has a role in     (projects_owner)
--   row 9      projects of a gemeente of the same region as one of the user's gemeenten
--   row 10     projects of the user's provinces' provincie (projects_provincie); for a role in
--              the rijk every project at extern_mede_overheden or above
--   row 11     openbaar projects (projects_openbaar, below)
-- Every row of bs_project_access_reach is the same row of bs_project_access; every row of
-- bs_project_access with any access (aggregate included: row 12 is the owning municipality's)
-- or with the stream flag is in bs_project_access_reach (tests/integration/test_access_reach.py
-- checks both over a larger installation). Rows without any access may be missing.

CREATE INDEX projects_openbaar ON projects (id) WHERE confidentiality = 'openbaar';

-- The same rows as bs_project_access, only for the projects the user can reach: every row with any
-- access (aggregate included) or the stream flag (lists, feeds, the aggregate report). The CASE
-- and joins are 0015's, unchanged; keep the two equal (test_access_reach.py compares them).
-- p_gemeente / p_provincie (NULL: any): the list's filters of the same name (compared folded,
-- bs_fold), applied while collecting the reach, so that a province user's list of one
-- municipality looks up that municipality's projects, not the whole province's; the project
-- memberships are not filtered (a row outside the filter is harmless: the caller filters
-- again).
CREATE FUNCTION bs_project_access_reach(p_user uuid, p_gemeente text DEFAULT NULL, p_provincie text DEFAULT NULL)
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
    WHERE p.id = ANY (ARRAY(
        SELECT x.project_id FROM project_members x JOIN me ON me.id = x.user_id
        UNION
        SELECT x.id FROM projects x WHERE x.owner_organisation_id IN (SELECT organisation_id FROM mine)
             AND (p_gemeente IS NULL OR bs_fold(x.gemeente) = bs_fold(p_gemeente))
             AND (p_provincie IS NULL OR bs_fold(x.provincie) = bs_fold(p_provincie))
        UNION
        SELECT x.id FROM projects x WHERE x.owner_organisation_id IN (
            SELECT o.id FROM organisations o JOIN mine m ON m.region = o.region
             WHERE m.kind = 'gemeente' AND m.role <> 'extern')
             AND (p_gemeente IS NULL OR bs_fold(x.gemeente) = bs_fold(p_gemeente))
             AND (p_provincie IS NULL OR bs_fold(x.provincie) = bs_fold(p_provincie))
        UNION
        SELECT x.id FROM projects x WHERE x.provincie IN (
            SELECT m.provincie FROM mine m WHERE m.kind = 'provincie' AND m.role <> 'extern')
             AND (p_gemeente IS NULL OR bs_fold(x.gemeente) = bs_fold(p_gemeente))
             AND (p_provincie IS NULL OR bs_fold(x.provincie) = bs_fold(p_provincie))
        UNION
        SELECT x.id FROM projects x WHERE x.confidentiality IN ('extern_mede_overheden','openbaar')
           AND EXISTS (SELECT 1 FROM mine m WHERE m.kind = 'rijk' AND m.role <> 'extern')
             AND (p_gemeente IS NULL OR bs_fold(x.gemeente) = bs_fold(p_gemeente))
             AND (p_provincie IS NULL OR bs_fold(x.provincie) = bs_fold(p_provincie))
        UNION
        SELECT x.id FROM projects x WHERE x.confidentiality = 'openbaar'
             AND (p_gemeente IS NULL OR bs_fold(x.gemeente) = bs_fold(p_gemeente))
             AND (p_provincie IS NULL OR bs_fold(x.provincie) = bs_fold(p_provincie))))
$$;
