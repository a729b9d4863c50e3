-- Bouwstroom store, version 36: dashboards and the public rule (issue 18 item 4;
-- docs/homes-and-goals.md "Dashboards and the public rule", docs/security.md §3b).
--
-- 1. A data version for the dashboard cache (api/routes_dashboard.c). Every statement that
--    changes a table feeding the dashboards (projects, their steps, blocks and stored
--    forecasts, stored schemas, and the access inputs: organisations, their members, project
--    members, disabled users; of milestone_dates only a changed planned finish, P50 or P80)
--    marks its transaction in dashboard_pending (one row per
--    transaction: ON CONFLICT DO NOTHING); that row's deferred trigger raises
--    dashboard_version.version once, at commit. The row lock on dashboard_version is so held
--    only between that trigger and the commit, not for the transaction (concurrent writers do
--    not queue behind each other's work), and a reader sees the new version in exactly the
--    snapshots that see the change: a dashboard computed in one statement together with the
--    version (bs_dashboard below) is never cached under a version whose changes it lacks.
-- 2. bs_dashboard(user, public, view, group_by, schemas): the aggregates as one JSON document,
--    computed here, with the k = 5 rule for projects the caller sees only as aggregates.

CREATE TABLE dashboard_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version bigint NOT NULL
);
INSERT INTO dashboard_version VALUES (true, 1);

CREATE TABLE dashboard_pending (xact xid8 PRIMARY KEY);

-- Statement-level, on every feeding table: one insert (or a conflict) per statement (also a
-- row trigger: it returns NULL either way).
CREATE FUNCTION bs_dashboard_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_pending VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- Deferred to the commit: once per writing transaction.
CREATE FUNCTION bs_dashboard_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dashboard_version SET version = version + 1;
    DELETE FROM dashboard_pending WHERE xact = NEW.xact;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER dashboard_pending_bump AFTER INSERT ON dashboard_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bs_dashboard_bump();

CREATE TRIGGER projects_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER project_steps_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_steps
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER project_blocks_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
-- milestone_dates: the notifier upserts a project's whole plan at every re-plan (daily for every
-- live project, notifier/worker.c), mostly unchanged; only a changed date the dashboards read
-- (planned finish, P50, P80) marks the transaction (a row trigger whose WHEN is false costs no call).
CREATE TRIGGER milestone_dates_dashboard AFTER INSERT OR DELETE OR TRUNCATE ON milestone_dates
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER milestone_dates_dashboard_update AFTER UPDATE ON milestone_dates FOR EACH ROW
    WHEN ((OLD.planned_finish, OLD.p50, OLD.p80) IS DISTINCT FROM (NEW.planned_finish, NEW.p50, NEW.p80))
    EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER process_schemas_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON process_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER organisations_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER organisation_members_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organisation_members
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER project_members_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_members
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();
CREATE TRIGGER users_dashboard AFTER INSERT OR DELETE OR UPDATE OF disabled_at ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bs_dashboard_touch();

-- The projects a dashboard counts and whether each is hidden from the caller (access
-- 'aggregate' without the stream flag: management and raad below their level, docs/security.md
-- §3 row 12). p_public: the openbaar projects only, none hidden, whoever asks (the public
-- dashboard); else the projects with any access for p_user (bs_project_access_reach, 0032).
CREATE FUNCTION bs_dashboard_scope(p_user uuid, p_public boolean)
RETURNS TABLE (project_id uuid, hidden boolean) LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    IF p_public THEN
        RETURN QUERY SELECT p.id, false FROM projects p WHERE p.confidentiality = 'openbaar';
    ELSE
        RETURN QUERY SELECT a.project_id, (a.access = 'aggregate' AND NOT a.stream)
          FROM bs_project_access_reach(p_user) a WHERE a.access IS NOT NULL OR a.stream;
    END IF;
END $$;

-- The contributions of each project to each cell of a view: (cell key, project, hidden,
-- v1, v2, v3). Views and their measures (docs/homes-and-goals.md):
--   homes by planstatus | plantype | phase: v1 = the project's net homes (sum of its blocks'
--     net_homes; 0 without blocks); phase = the phase (process schema) of the first step in
--     schema order that is open or started, 'afgerond' when none is, NULL when the schema is
--     unknown; p_schemas: {key: definition} of the shipped schemas (not stored in
--     process_schemas, 0030), a stored definition of the project's (key, version) first;
--   homes by home_type | tenure: v1 = the net homes of the project's blocks of that kind;
--   homes by year: v1 = net homes by the year of the planned finish of the block's milestone
--     (milestone_dates.planned_finish, else projects.planned_completion for laatste_oplevering;
--     NULL: unknown), v2 / v3 = the same homes by the year of the stored P50 / P80 finish of the
--     milestone (milestone_dates.p50/p80, the notifier's last forecast; homes without one count
--     in neither);
--   report by planstatus | gemeente | provincie | confidentiality: v1 = the project's
--     homes_remaining (GET /api/v1/reports/aggregate, under the same rule);
--   knelpunten by step: v1 = 1 for each step of a knelpunt project (projects.knelpunt, 0022)
--     with a finish-no-later-than deadline that its stored planned finish misses (or that has
--     no stored planned finish); a knelpunt project with no such step counts under NULL;
--   lead_times by step: v1 = the realised duration of a done step in calendar days
--     (actual_finish − actual_start; steps with estimated dates left out), v2 = 1 for a started
--     step without finish (right-censored: counted, not in the quantiles).
CREATE FUNCTION bs_dashboard_cells(p_user uuid, p_public boolean, p_view text, p_by text, p_schemas jsonb)
RETURNS TABLE (cell text, project_id uuid, hidden boolean, v1 numeric, v2 numeric, v3 numeric)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    IF p_view = 'homes' AND p_by IN ('planstatus', 'plantype', 'phase') THEN
        RETURN QUERY
        WITH b AS (SELECT s.project_id, s.hidden, p.planstatus, p.plantype, p.process_schema_key AS k,
                          p.process_schema_version AS v
                     FROM bs_dashboard_scope(p_user, p_public) s JOIN projects p ON p.id = s.project_id),
        h AS (SELECT x.project_id, sum(x.net_homes) AS n FROM project_blocks x
               WHERE x.project_id IN (SELECT b.project_id FROM b) GROUP BY x.project_id),
        defs AS (SELECT DISTINCT b.k, b.v FROM b WHERE p_by = 'phase'),
        -- per schema: step key -> ordinal, ordinal -> phase (one row; no project x step product)
        om AS (SELECT defs.k, defs.v, jsonb_object_agg(st.value->>'key', st.ord) AS ord_of,
                      jsonb_object_agg(st.ord::text, st.value->>'phase') AS phase_of
                 FROM defs LEFT JOIN process_schemas ps ON ps.key = defs.k AND ps.version = defs.v,
                      jsonb_array_elements(COALESCE(ps.definition, p_schemas->defs.k)->'steps')
                        WITH ORDINALITY st(value, ord)
                GROUP BY defs.k, defs.v),
        -- the first step in schema order that is neither done nor skipped (no row: open): the done
        -- steps' ordinals numbered 1, 2, … per project; the first whose ordinal is not its number
        -- marks a gap at that number, else the step after the last
        done AS (SELECT x.project_id, (om.ord_of->>x.step_key)::int AS ord,
                        row_number() OVER (PARTITION BY x.project_id ORDER BY (om.ord_of->>x.step_key)::int) AS rn
                   FROM project_steps x JOIN b ON b.project_id = x.project_id JOIN om ON om.k = b.k AND om.v = b.v
                  WHERE x.status IN ('done', 'skipped') AND om.ord_of ? x.step_key),
        todo AS (SELECT d.project_id, COALESCE(min(d.rn) FILTER (WHERE d.ord <> d.rn), count(*) + 1) AS ord
                   FROM done d GROUP BY d.project_id),
        cur AS (SELECT b.project_id, om.phase_of->>COALESCE(todo.ord, 1)::text AS phase
                  FROM b JOIN om ON om.k = b.k AND om.v = b.v LEFT JOIN todo ON todo.project_id = b.project_id)
        SELECT CASE p_by WHEN 'planstatus' THEN b.planstatus WHEN 'plantype' THEN b.plantype
                    ELSE CASE WHEN cur.project_id IS NULL THEN NULL ELSE COALESCE(cur.phase, 'afgerond') END END,
               b.project_id, b.hidden, COALESCE(h.n, 0)::numeric, NULL::numeric, NULL::numeric
          FROM b LEFT JOIN h ON h.project_id = b.project_id LEFT JOIN cur ON cur.project_id = b.project_id;
    ELSIF p_view = 'homes' AND p_by IN ('home_type', 'tenure') THEN
        RETURN QUERY
        SELECT CASE p_by WHEN 'home_type' THEN b.home_type ELSE b.tenure END, s.project_id, s.hidden,
               sum(b.net_homes)::numeric, NULL::numeric, NULL::numeric
          FROM bs_dashboard_scope(p_user, p_public) s JOIN project_blocks b ON b.project_id = s.project_id
         GROUP BY 1, 2, 3;
    ELSIF p_view = 'homes' AND p_by = 'year' THEN
        RETURN QUERY
        WITH bl AS (SELECT s.project_id, s.hidden, b.net_homes,
                           COALESCE(md.planned_finish, CASE WHEN b.milestone = 'laatste_oplevering'
                                                            THEN p.planned_completion END) AS planned,
                           md.p50, md.p80
                      FROM bs_dashboard_scope(p_user, p_public) s
                      JOIN projects p ON p.id = s.project_id
                      JOIN project_blocks b ON b.project_id = s.project_id
                      LEFT JOIN milestone_dates md ON md.project_id = b.project_id AND md.step_key = b.milestone)
        SELECT extract(year FROM bl.planned)::int::text, bl.project_id, bl.hidden,
               sum(bl.net_homes)::numeric, 0::numeric, 0::numeric FROM bl GROUP BY 1, 2, 3
        UNION ALL
        SELECT extract(year FROM bl.p50)::int::text, bl.project_id, bl.hidden,
               0::numeric, sum(bl.net_homes)::numeric, 0::numeric FROM bl WHERE bl.p50 IS NOT NULL GROUP BY 1, 2, 3
        UNION ALL
        SELECT extract(year FROM bl.p80)::int::text, bl.project_id, bl.hidden,
               0::numeric, 0::numeric, sum(bl.net_homes)::numeric FROM bl WHERE bl.p80 IS NOT NULL GROUP BY 1, 2, 3;
    ELSIF p_view = 'report' AND p_by IN ('planstatus', 'gemeente', 'provincie', 'confidentiality') THEN
        RETURN QUERY
        SELECT CASE p_by WHEN 'planstatus' THEN p.planstatus WHEN 'gemeente' THEN p.gemeente
                         WHEN 'provincie' THEN p.provincie ELSE p.confidentiality END,
               s.project_id, s.hidden, COALESCE(p.homes_remaining, 0)::numeric, NULL::numeric, NULL::numeric
          FROM bs_dashboard_scope(p_user, p_public) s JOIN projects p ON p.id = s.project_id;
    ELSIF p_view = 'knelpunten' AND p_by = 'step' THEN
        RETURN QUERY
        WITH k AS (SELECT s.project_id, s.hidden FROM bs_dashboard_scope(p_user, p_public) s
                     JOIN projects p ON p.id = s.project_id WHERE p.knelpunt),
        ks AS (SELECT x.step_key, k.project_id, k.hidden FROM k
                 JOIN project_steps x ON x.project_id = k.project_id AND x.finish_no_later_than IS NOT NULL
                 LEFT JOIN milestone_dates md ON md.project_id = x.project_id AND md.step_key = x.step_key
                WHERE md.planned_finish IS NULL OR md.planned_finish > x.finish_no_later_than)
        SELECT ks.step_key, ks.project_id, ks.hidden, 1::numeric, NULL::numeric, NULL::numeric FROM ks
        UNION ALL
        SELECT NULL, k.project_id, k.hidden, 1::numeric, NULL::numeric, NULL::numeric FROM k
         WHERE NOT EXISTS (SELECT 1 FROM ks WHERE ks.project_id = k.project_id);
    ELSIF p_view = 'lead_times' AND p_by = 'step' THEN
        RETURN QUERY
        SELECT x.step_key, s.project_id, s.hidden,
               CASE WHEN x.status = 'done' THEN (x.actual_finish - x.actual_start)::numeric END,
               CASE WHEN x.status = 'started' THEN 1::numeric END, NULL::numeric
          FROM bs_dashboard_scope(p_user, p_public) s JOIN project_steps x ON x.project_id = s.project_id
         WHERE (x.status = 'done' AND NOT x.actual_estimated AND x.actual_start IS NOT NULL
                AND x.actual_finish IS NOT NULL AND x.actual_finish >= x.actual_start)
            OR (x.status = 'started' AND x.actual_finish IS NULL);
    ELSE
        RAISE EXCEPTION 'unknown dashboard view % by %', p_view, p_by USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

-- One dashboard as JSON, with the k = 5 rule (docs/security.md §3b): a cell shows the
-- contributions of hidden projects only when at least 5 distinct hidden projects stand behind
-- it. Counts (homes, knelpunten): the hidden contributions of the smaller cells go to one merged
-- cell (key null, "merged": true); when that merged cell would itself hold 1 to 4 hidden
-- projects, every hidden contribution goes to it (no cell is split by hidden projects); when
-- the caller reaches fewer than 5 hidden projects in the view, no hidden contribution is shown
-- ("confidential_withheld": true). So the hidden part of every view sums to all hidden projects
-- or to none, and no cell, nor a difference of cells or of two views, isolates fewer than 5
-- hidden projects. Lead times: the hidden durations of a step count only when at least 5 hidden
-- projects have one there (quantiles have no total to difference). Visible projects (the
-- caller can read them one by one) always count.
-- Returns {view, group_by, public, data_version, confidential_withheld, cells: [...]}; data_version
-- is dashboard_version.version in the same snapshot, null in the public figures (it counts the
-- changes of every project, so it would tell anyone when confidential ones change).
CREATE FUNCTION bs_dashboard(p_user uuid, p_public boolean, p_view text, p_by text, p_schemas jsonb)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT * FROM bs_dashboard_cells(p_user, p_public, p_view, p_by, p_schemas)),
    hc AS (SELECT c.cell, count(DISTINCT c.project_id) FILTER (WHERE c.hidden) AS nh FROM c GROUP BY c.cell),
    small AS (SELECT count(DISTINCT c.project_id) AS n FROM c JOIN hc ON hc.cell IS NOT DISTINCT FROM c.cell
               WHERE c.hidden AND hc.nh < 5),
    tot AS (SELECT count(DISTINCT c.project_id) FILTER (WHERE c.hidden) AS n FROM c),
    mode AS (SELECT CASE WHEN tot.n < 5 THEN 'none' WHEN small.n = 0 OR small.n >= 5 THEN 'cells' ELSE 'all' END AS m
               FROM tot, small),
    placed AS (SELECT CASE WHEN mv THEN NULL ELSE c.cell END AS cell, mv AS merged,
                      c.project_id, c.hidden, c.v1, c.v2, c.v3
                 FROM c JOIN hc ON hc.cell IS NOT DISTINCT FROM c.cell, mode,
                      LATERAL (SELECT p_view <> 'lead_times' AND c.hidden AND (mode.m = 'all' OR hc.nh < 5) AS mv) x
                WHERE NOT (c.hidden AND mode.m = 'none')
                  AND NOT (p_view = 'lead_times' AND c.hidden AND hc.nh < 5)),
    cells AS (SELECT pl.cell AS key, pl.merged, count(DISTINCT pl.project_id) AS projects,
                     count(DISTINCT pl.project_id) FILTER (WHERE pl.hidden) AS aggregate_only,
                     sum(pl.v1) AS s1, sum(pl.v2) AS s2, sum(pl.v3) AS s3,
                     count(pl.v1) AS n1, count(pl.v2) AS n2,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY pl.v1) AS q50,
                     percentile_cont(0.8) WITHIN GROUP (ORDER BY pl.v1) AS q80
                FROM placed pl
               GROUP BY pl.cell, pl.merged)
    SELECT json_build_object(
        'view', p_view, 'group_by', p_by, 'public', p_public,
        'data_version', CASE WHEN NOT p_public THEN (SELECT version FROM dashboard_version) END,
        'confidential_withheld', (SELECT m = 'none' AND tot.n > 0 FROM mode, tot),
        'cells', COALESCE((SELECT json_agg(
            CASE p_view
              WHEN 'lead_times' THEN json_build_object('key', key, 'projects', projects,
                  'aggregate_only', aggregate_only, 'realised', n1, 'open', n2,
                  'median_calendar_days', q50, 'p80_calendar_days', q80)
              WHEN 'knelpunten' THEN json_build_object('key', key, 'merged', merged, 'projects', projects,
                  'aggregate_only', aggregate_only)
              ELSE CASE WHEN p_by = 'year' THEN json_build_object('key', key, 'merged', merged,
                  'projects', projects, 'aggregate_only', aggregate_only, 'homes_planned', s1,
                  'homes_p50', s2, 'homes_p80', s3)
                ELSE json_build_object('key', key, 'merged', merged, 'projects', projects,
                  'aggregate_only', aggregate_only, 'homes', s1) END
            END ORDER BY merged, key NULLS LAST) FROM cells), '[]'))
$$;
