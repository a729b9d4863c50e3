-- Bouwstroom store, version 61: the reach's province branch by a partial index, and the reach's
-- addresses collected without DISTINCT (issue 17 item 5; docs/performance.md "National scale",
-- "(2026-12-07, branch prov2)").
--
-- The province branch of bs_project_reach (0050/0058: the projects of the provinces of the user's
-- non-extern province roles at extern_mede_overheden or openbaar) found its rows by
-- projects_provincie and then filtered them on confidentiality, column 41 of a 46-column row: for
-- the province of Utrecht at 100,000 projects 3,496 heap rows, each deformed up to column 41, for
-- 2,093 kept. The index below holds exactly the branch's rows (its predicate is the branch's
-- condition, so the planner drops the filter), and the branch reads only the rows it returns, each
-- as far as column 6 (id, gemeente, provincie; the address is not a column). No index-only scan:
-- the branch returns each row's address (ctid), which only the heap has.
--
-- DISTINCT over the addresses (0058) is left out: the policy reads the rows WHERE p.ctid = ANY
-- (addresses), a condition a row meets once whether its address is in the array once or more (a
-- project reached by two branches, a member of its owner organisation's project, …), so the rows
-- are the same; the hash of 2,093 addresses per list is saved. The addresses are still read and
-- used under one snapshot (0058).
--   bs_project_access_reach, bs_project_list_rows   same signatures and rows; no DISTINCT.
-- tests/integration/test_access_reach.py compares them with bs_project_access per user and filter
-- shape (users reached through several branches among them).

CREATE INDEX projects_provincie_wide ON projects (provincie)
    WHERE confidentiality IN ('extern_mede_overheden','openbaar');

-- The policy's rows for the projects p_user can reach (signature and rows as 0032/0043/0050/0058),
-- restricted to p_gemeente / p_provincie (NULL: any; compared folded, bs_fold): the addresses of
-- the reach's rows (a project reached twice is one row of projects: ctid = ANY), then the policy
-- over them (inlined; a column a caller does not use is not read).
CREATE OR REPLACE FUNCTION bs_project_access_reach(p_user uuid, p_gemeente text DEFAULT NULL, p_provincie text DEFAULT NULL)
RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.project_id, a.access, a.stream
      FROM (SELECT ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                          WHERE (p_gemeente IS NULL OR bs_fold(c.gemeente) = bs_fold(p_gemeente))
                            AND (p_provincie IS NULL OR bs_fold(c.provincie) = bs_fold(p_provincie))) AS tids) r
     CROSS JOIN LATERAL bs_project_policy_at(p_user, r.tids) a
$$;

-- bs_project_access_reach(p_user, p_gemeente, p_provincie)'s rows with the project's list columns,
-- for GET /api/v1/projects (0057/0058): the addresses by one statement per filter shape (0050's
-- statements; an address may come more than once, see above), then bs_project_policy_at over them;
-- both statements under the calling query's snapshot (STABLE). ROWS 100 and plan_cache_mode =
-- force_generic_plan as 0050/0057.
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
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c);
    ELSIF p_provincie IS NULL THEN
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente));
    ELSIF p_gemeente IS NULL THEN
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.provincie) = bs_fold(p_provincie));
    ELSE
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente)
                          AND bs_fold(c.provincie) = bs_fold(p_provincie));
    END IF;
    RETURN QUERY SELECT * FROM bs_project_policy_at(p_user, v_tids);
END
$$;
