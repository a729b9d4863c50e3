-- Bouwstroom store, version 38: a forecast for every project (issue 18 items 3-4; docs/homes-and-goals.md
-- "The forecast sweep", docs/operations.md "The forecast sweep").
--
-- 1. project_milestone_forecasts: per (project, milestone its blocks use) the P50 and P80 finish dates
--    of the project's Monte Carlo forecast (2,000 samples, the delivery samples of the policy goals,
--    engine/runtime/delivery.h), written by the server's background forecast sweep
--    (engine/runtime/forecast_sweep.c) with the marker they were computed for: the project's
--    forecast stamp (project_forecast_stamps, 0034) and its data date. planned: the deterministic
--    plan's finish. failed: the project could not be forecast (unknown schema, a scheduling error);
--    p50/p80/planned are then NULL, and the sweep does not retry until the marker moves. A milestone
--    that is no step of the project's schema (or is skipped in every sample) has a row with NULL dates.
--    Only the sweep writes here; each of its write statements marks the dashboard's transaction
--    itself (dashboard_pending, 0036) and only when a date the dashboards read changed or a row came
--    or went: set-wise, one mark per statement, not one per row.
CREATE TABLE project_milestone_forecasts (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    step_key text NOT NULL,
    planned date,
    p50 date,
    p80 date,
    stamp bigint NOT NULL,
    data_date date NOT NULL,
    samples integer NOT NULL CHECK (samples > 0),
    failed boolean NOT NULL DEFAULT false,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, step_key)
);

-- 2. The sweep's wake-up: NOTIFY bs_forecast_sweep whenever a statement changes a forecast stamp
--    (anything the forecast reads, 0034) or a block (the milestones a project's blocks use).
--    Statement-level, and PostgreSQL folds equal notifications of one transaction into one: an
--    import of 4,348 plans wakes the sweep once per committed batch. The sweep also looks every
--    minute (the day changes the data date; a notification missed while it was not listening).
CREATE FUNCTION bs_forecast_sweep_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bs_forecast_sweep', '');
    RETURN NULL;
END $$;
CREATE TRIGGER project_forecast_stamps_sweep AFTER INSERT OR UPDATE ON project_forecast_stamps
    FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_sweep_notify();
CREATE TRIGGER project_blocks_sweep AFTER INSERT OR UPDATE OR DELETE ON project_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_sweep_notify();

-- 3. The dashboard's homes-by-year view reads the sweep's P50/P80 first: bs_dashboard_cells of 0037
--    with only its 'year' branch changed (see 0036 for the views and measures). v2 / v3 = the homes by
--    the year of the milestone's P50 / P80 finish in project_milestone_forecasts (the sweep, every
--    forecastable project, the same samples as the goals), else in milestone_dates (the notifier's last
--    forecast of a project it plans, 500 samples: used while the sweep is off or has not reached the
--    project yet). A sweep row of an older marker is still used until the sweep replaces it.
CREATE OR REPLACE FUNCTION bs_dashboard_cells(p_user uuid, p_public boolean, p_view text, p_by text, p_schemas jsonb)
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
        -- a spread block (0037): its homes per year of the spread (bs_block_spread_homes) on 1 July
        -- of that year in all three columns, whatever its milestone's dates
        WITH bl AS (SELECT s.project_id, s.hidden, COALESCE(sp.homes, b.net_homes) AS net_homes,
                           CASE WHEN b.spread IS NOT NULL THEN make_date(sp.year, 7, 1)
                                ELSE COALESCE(md.planned_finish, CASE WHEN b.milestone = 'laatste_oplevering'
                                                                      THEN p.planned_completion END) END AS planned,
                           CASE WHEN b.spread IS NOT NULL THEN make_date(sp.year, 7, 1)
                                ELSE COALESCE(mf.p50, md.p50) END AS p50,
                           CASE WHEN b.spread IS NOT NULL THEN make_date(sp.year, 7, 1)
                                ELSE COALESCE(mf.p80, md.p80) END AS p80
                      FROM bs_dashboard_scope(p_user, p_public) s
                      JOIN projects p ON p.id = s.project_id
                      JOIN project_blocks b ON b.project_id = s.project_id
                      LEFT JOIN milestone_dates md ON md.project_id = b.project_id AND md.step_key = b.milestone
                      LEFT JOIN project_milestone_forecasts mf ON mf.project_id = b.project_id
                                                                  AND mf.step_key = b.milestone
                      LEFT JOIN LATERAL bs_block_spread_homes(b.net_homes, b.spread) sp ON b.spread IS NOT NULL
                     WHERE b.spread IS NULL OR sp.year IS NOT NULL)
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
