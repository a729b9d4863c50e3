-- The project list's reach planned once per connection (issue 17, item 5; docs/performance.md
-- "National scale").
--
-- GET /api/v1/projects joined bs_project_access_reach (0032), a LANGUAGE sql function that
-- PostgreSQL inlines: the policy's CASE, its EXISTS subplans and the six branches of the reach were
-- planned again with the list at every request (6-25 ms of planning at 100,000 projects against
-- 3-5 ms of execution). bs_project_list_reach returns the same rows through PL/pgSQL, whose
-- statements are prepared once per session and whose generic plans PostgreSQL keeps (PostgreSQL
-- docs §43.11.2 "Plan Caching"); the list around it is planned with a function scan only.
--
-- One statement per filter shape, each with the absent filters as the constant NULL, so the
-- inlined reach's "p_gemeente IS NULL OR ..." folds away when planned and the generic plan of the
-- unfiltered list has no dead branches. The rows are bs_project_access_reach's (the CASE stays in
-- one place, 0032); tests/integration/test_access_reach.py compares the list with
-- bs_project_access user by user.
--
-- ROWS 100: the planner's estimate for the list's join (a PL/pgSQL function is otherwise estimated
-- at 1000 rows, which makes a hash join over every project attractive at 4,348 projects).
CREATE FUNCTION bs_project_list_reach(p_user uuid, p_gemeente text, p_provincie text)
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE plpgsql STABLE ROWS 100 AS $$
BEGIN
    IF p_gemeente IS NULL AND p_provincie IS NULL THEN
        RETURN QUERY SELECT r.project_id, r.access, r.stream FROM bs_project_access_reach(p_user, NULL, NULL) r;
    ELSIF p_provincie IS NULL THEN
        RETURN QUERY SELECT r.project_id, r.access, r.stream FROM bs_project_access_reach(p_user, p_gemeente, NULL) r;
    ELSIF p_gemeente IS NULL THEN
        RETURN QUERY SELECT r.project_id, r.access, r.stream FROM bs_project_access_reach(p_user, NULL, p_provincie) r;
    ELSE
        RETURN QUERY SELECT r.project_id, r.access, r.stream
                       FROM bs_project_access_reach(p_user, p_gemeente, p_provincie) r;
    END IF;
END
$$;

-- The reach itself, narrowed (the same function as 0032 with two conditions more): the woonregio
-- branch (row 9) collects only projects at extern_woonregio or above and the province branch
-- (row 10) only those at extern_mede_overheden or above — the ranks at which those rows grant
-- anything (bs_confidentiality_rank >= 4 and >= 5 in the CASE). A project below them that such a
-- branch used to collect gets its access from another row or none: a membership (rows 1-3: the
-- membership branch), its own organisation (rows 5-8, 12: the owner branch), openbaar (row 11:
-- the openbaar branch). So every row with any access or the stream flag is still there; only rows
-- with no access, which 0032 allows to be missing, are no longer collected. For a province user
-- at 100,000 projects that is 2,093 projects looked up instead of 3,496 (docs/performance.md
-- "National scale"). test_access_reach.py compares it with bs_project_access user by user.
CREATE OR REPLACE FUNCTION bs_project_access_reach(p_user uuid, p_gemeente text DEFAULT NULL, p_provincie text DEFAULT NULL)
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
             AND x.confidentiality IN ('extern_woonregio','extern_mede_overheden','openbaar')
             AND (p_gemeente IS NULL OR bs_fold(x.gemeente) = bs_fold(p_gemeente))
             AND (p_provincie IS NULL OR bs_fold(x.provincie) = bs_fold(p_provincie))
        UNION
        SELECT x.id FROM projects x WHERE x.provincie IN (
            SELECT m.provincie FROM mine m WHERE m.kind = 'provincie' AND m.role <> 'extern')
             AND x.confidentiality IN ('extern_mede_overheden','openbaar')
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
