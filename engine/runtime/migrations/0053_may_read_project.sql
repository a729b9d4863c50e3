-- Bouwstroom store, version 53: the external_update alerts of a step write, and their recipients'
-- access check, as functions of their own (issue 17 item 1; docs/performance.md "The fifth pass").
--
-- SQL_SCHEDULE_WRITE (api/routes_schedule_sql.h) raised the external_update alerts of a change by an
-- external party in a CTE of its own: the recipients' query (roles, followers, users, the alert
-- rules) and, for each recipient, EXISTS (SELECT 1 FROM bs_project_access(u.id) x WHERE
-- x.project_id = <project> AND x.access IN ('read','write','lead')). bs_project_access is a
-- LANGUAGE sql function that PostgreSQL inlines, so the whole access policy (about forty plan
-- nodes: the user's memberships, the owner organisation, the project members, the region and
-- province branches) and the recipients' query (about thirty more) were part of every write's plan,
-- and PostgreSQL starts and ends every node of a plan at every execution, whether a recipient
-- exists or not (almost never). Both are PL/pgSQL functions now, whose plans are made once per
-- session and started only when called: bs_may_read_project (the access check, the same query) and
-- bs_external_update_alerts (the INSERT the CTE made, the same rows), which the statement calls
-- only when it wrote history rows, the author is external and the project has a role or a
-- follower at all. bs_may_read_project is STABLE: it runs in the calling statement's snapshot, as
-- the inlined subquery did. bs_external_update_alerts inserts, so it reads in a snapshot of its
-- own, taken after the statement's earlier parts: the values the statement read itself (the
-- change's history, the project's progress date before the write) are passed to it.
-- tests/integration/test_access_reach.py compares bs_may_read_project with bs_project_access user
-- by user and project by project; test_notifier.py checks the alert of an external change (to the
-- projectleider, not the author, with the author's organisation and the changes) and none for a
-- municipal change, and the payload's project name, gemeente and progress date against the project
-- read before the write.

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

-- The external_update alerts of a step write (SQL_SCHEDULE_WRITE's ext, api/routes_schedule_sql.h),
-- as the write statement inserted them itself until now: one alert per recipient — the project's
-- projectleiders and the owners of the step's stream (p_stream; NULL: every role), its followers —
-- who is not the author, has the kind enabled (the user's rule, else the organisation's, else on),
-- is not disabled and may still read the project (bs_may_read_project); the author's name and
-- organisation from p_author's user, who must belong to an organisation that is not a gemeente
-- (else no alert). The statement calls this only when it wrote history rows, the author is such a
-- user and the project has a role or a follower at all, so that the recipients' query (about
-- thirty plan nodes) is planned and started then and not with every write's plan. Takes the
-- values the statement had: the project, the step's key, name and stream, the reason, the author's
-- e-mail, the mail domain (Message-ID), the due time (Unix seconds), the change's first history id
-- (the alerts' revision), the list of changes (text) and the project's progress date as the
-- statement read it (before the write). Returns the number of alerts inserted (ON CONFLICT DO
-- NOTHING, as before).
CREATE FUNCTION bs_external_update_alerts(p_project uuid, p_step_key text, p_step_name text, p_stream text,
                                          p_reason text, p_author text, p_mail_domain text, p_due bigint,
                                          p_revision bigint, p_changes text, p_progress_date date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH au AS (SELECT a.id, COALESCE(NULLIF(a.name, ''), a.email) AS name, o.name AS org FROM users a
                  JOIN organisations o ON o.id = a.organisation_id
                 WHERE lower(a.email) = lower(p_author) AND o.kind <> 'gemeente')
    INSERT INTO alerts (id, project_id, step_key, kind, revision, user_id, due_at, digest, payload, message_id)
    SELECT g.id, p_project, p_step_key, 'external_update', p_revision, g.user_id, to_timestamp(p_due), g.digest,
           g.payload, 'alert.' || g.id || '@' || p_mail_domain
      FROM (SELECT gen_random_uuid() AS id, u.id AS user_id, u.digest, jsonb_build_object(
                   'project_id', p.id, 'project_name', p.name, 'gemeente', p.gemeente, 'step_key', p_step_key,
                   'step_name', p_step_name, 'stream', p_stream, 'progress_date', p_progress_date,
                   'author', au.name, 'author_organisation', au.org, 'reason', p_reason,
                   'changes', p_changes) AS payload
              FROM (SELECT user_id FROM project_roles WHERE project_id = p_project
                       AND (role = 'projectleider' OR stream = p_stream OR p_stream IS NULL)
                    UNION SELECT user_id FROM follows WHERE project_id = p_project) r
              JOIN users u ON u.id = r.user_id CROSS JOIN au JOIN projects p ON p.id = p_project
              LEFT JOIN alert_rules ur ON ur.user_id = u.id AND ur.kind = 'external_update'
              LEFT JOIN alert_rules orr ON orr.organisation_id = u.organisation_id AND orr.user_id IS NULL
                    AND orr.kind = 'external_update'
             WHERE u.id <> au.id AND COALESCE(ur.enabled, orr.enabled, true) AND u.disabled_at IS NULL
               AND bs_may_read_project(u.id, p_project)) g
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
