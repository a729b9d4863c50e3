-- Bouwstroom store, version 53: the external_update recipients' access check of a step write as a
-- function of its own (issue 17 item 1; docs/performance.md "The fifth pass").
--
-- SQL_SCHEDULE_WRITE (api/routes_schedule_sql.h) raises external_update alerts only for recipients
-- who may still read the project: EXISTS (SELECT 1 FROM bs_project_access(u.id) x WHERE
-- x.project_id = <project> AND x.access IN ('read','write','lead')). bs_project_access is a
-- LANGUAGE sql function that PostgreSQL inlines, so the whole access policy (about forty plan nodes:
-- the user's memberships, the owner organisation, the project members, the region and province
-- branches) was part of every write's plan, and PostgreSQL starts and ends every node of a plan at
-- every execution, whether a recipient exists or not (almost never). The check is now this
-- PL/pgSQL function: the write's plan holds one function call, evaluated only for a recipient; the
-- function's own plan is made once per session and kept. The same decision: the same query, and a
-- STABLE function runs in the calling statement's snapshot (no command counter increment), as the
-- inlined subquery did. tests/integration/test_access_reach.py compares it with bs_project_access
-- user by user and project by project; test_notifier.py's external update still reaches the
-- projectleider.

-- True when p_user may read project p_project (access read, write or lead in bs_project_access, the
-- access policy of 0015 and its successors); false otherwise, also for a disabled user or a project
-- that does not exist.
CREATE FUNCTION bs_may_read_project(p_user uuid, p_project uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM bs_project_access(p_user) x
                    WHERE x.project_id = p_project AND x.access IN ('read', 'write', 'lead'));
END;
$$;
