-- Bouwstroom store, version 37: plusveld conditions of policy goals and blocks spread over
-- years (issue 18; docs/homes-and-goals.md "Beleidsdoelen", docs/blocks.md "Spread over years").
--
-- 1. project_blocks.spread: NULL (the block is delivered with its milestone) or a JSON array of
--    {"year": Y, "percent": P}: the block's homes are delivered in those years by those shares,
--    whatever the forecast (a plan the municipality states). P integers 1..100 summing to exactly
--    100, years distinct, 1900..2200, at most 100 entries (bs_block_spread_ok; the API checks the
--    same and names the member). The homes per year: bs_block_spread_homes (largest remainder).
ALTER TABLE project_blocks ADD COLUMN spread jsonb;

-- Whether s is a valid spread (see above). NULL is valid (no spread).
CREATE FUNCTION bs_block_spread_ok(s jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT s IS NULL OR (jsonb_typeof(s) = 'array' AND jsonb_array_length(s) BETWEEN 1 AND 100
      AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(s) e
                       WHERE jsonb_typeof(e) <> 'object' OR jsonb_typeof(e->'year') <> 'number'
                          OR jsonb_typeof(e->'percent') <> 'number'
                          OR (e->>'year')::numeric NOT BETWEEN 1900 AND 2200 OR (e->>'year')::numeric % 1 <> 0
                          OR (e->>'percent')::numeric NOT BETWEEN 1 AND 100 OR (e->>'percent')::numeric % 1 <> 0)
      AND (SELECT sum((e->>'percent')::numeric) FROM jsonb_array_elements(s) e) = 100
      AND (SELECT count(DISTINCT (e->>'year')::numeric) FROM jsonb_array_elements(s) e) = jsonb_array_length(s))
$$;
ALTER TABLE project_blocks ADD CONSTRAINT project_blocks_spread CHECK (bs_block_spread_ok(spread));

-- The homes of a block per year of its spread: p_homes (net homes; negative for demolition or a
-- correction) split by the percents with the largest-remainder (Hamilton) method, so the years
-- sum to p_homes exactly: each year first gets floor(|h| · P / 100); the homes left over (fewer
-- than the number of years) go one each to the years with the largest remainder |h| · P mod 100,
-- the earlier year first on a tie; the sign of p_homes is applied last. E.g. 10 homes at
-- 33/33/34 % -> 3, 3, 4; 7 homes at 50/50 -> 4, 3. Years with 0 homes are left out.
CREATE FUNCTION bs_block_spread_homes(p_homes integer, p_spread jsonb)
RETURNS TABLE (year integer, homes integer) LANGUAGE sql IMMUTABLE AS $$
    WITH e AS (SELECT (x->>'year')::integer AS y, (x->>'percent')::integer AS pct FROM jsonb_array_elements(p_spread) x),
    f AS (SELECT e.y, (abs(p_homes) * e.pct) / 100 AS base, (abs(p_homes) * e.pct) % 100 AS rem FROM e),
    r AS (SELECT f.y, f.base, row_number() OVER (ORDER BY f.rem DESC, f.y) AS rank,
                 abs(p_homes) - sum(f.base) OVER () AS left_over FROM f)
    SELECT r.y, (sign(p_homes) * (r.base + CASE WHEN r.rank <= r.left_over THEN 1 ELSE 0 END))::integer
      FROM r WHERE r.base + CASE WHEN r.rank <= r.left_over THEN 1 ELSE 0 END > 0 ORDER BY r.y
$$;

-- 2. Plusveld conditions of a goal (policy_goals.conditions->'plusvelden'): an object key ->
--    condition over the goal organisation's plusvelden. A condition is a value (equals; a
--    multi_category value matches when it holds it), an array of values (one of them), or for a
--    number {"min": a, "max": b} (both inclusive, either may be absent). The API validates the
--    keys against the organisation's active definitions and the values with the plusveld
--    validator (api/routes_goals.c).

-- Whether the current value v (NULL: none) meets condition c (see above). No value never meets.
CREATE FUNCTION bs_pv_cond_match(v jsonb, c jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(v IS NOT NULL AND jsonb_typeof(v) <> 'null' AND CASE jsonb_typeof(c)
        WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(c) e
                                   WHERE e = v OR (jsonb_typeof(v) = 'array' AND v @> jsonb_build_array(e)))
        WHEN 'object' THEN jsonb_typeof(v) = 'number'
             AND (NOT c ? 'min' OR jsonb_typeof(c->'min') = 'null' OR (v::text)::numeric >= (c->>'min')::numeric)
             AND (NOT c ? 'max' OR jsonb_typeof(c->'max') = 'null' OR (v::text)::numeric <= (c->>'max')::numeric)
        ELSE c = v OR (jsonb_typeof(v) = 'array' AND v @> jsonb_build_array(c)) END, false)
$$;

-- Whether a project (p_block NULL: applies_to 'project') or one of its blocks meets the plusveld
-- conditions p_cond (NULL or {}: always) of a goal of organisation p_org, for the keys whose
-- definition applies to that kind: the definition is active and the current value (the latest
-- row, as bs_plusvelden_values) meets the condition. A project that p_org does not own has none
-- of p_org's plusvelden and meets no key. A key that has since been retired, or whose
-- definition is gone, meets nothing (so the goal counts no homes through it rather than count
-- homes it no longer selects; GET of the goal lists such keys under retired_plusvelden); a key
-- with no definition is checked on the project level.
CREATE FUNCTION bs_goal_plusvelden_match(p_org uuid, p_cond jsonb, p_project uuid, p_block uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT p_cond IS NULL OR jsonb_typeof(p_cond) <> 'object' OR NOT EXISTS (
        SELECT 1 FROM jsonb_each(p_cond) c
          LEFT JOIN plusveld_definitions d ON d.organisation_id = p_org AND d.key = c.key
         WHERE CASE WHEN d.id IS NULL THEN p_block IS NULL
                    WHEN d.applies_to <> CASE WHEN p_block IS NULL THEN 'project' ELSE 'block' END THEN false
                    ELSE d.retired_at IS NOT NULL
                      OR NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = p_project AND p.owner_organisation_id = p_org)
                      OR NOT bs_pv_cond_match((SELECT x.value FROM plusveld_values x
                                                WHERE x.definition_id = d.id AND x.project_id = p_project
                                                  AND x.block_id IS NOT DISTINCT FROM p_block
                                                ORDER BY x.id DESC LIMIT 1), c.value) END)
$$;

-- The keys (sorted JSON array) of the plusveld conditions p_cond of a goal of p_org that no
-- longer have an active definition (retired or gone): such a condition meets nothing.
CREATE FUNCTION bs_goal_retired_plusvelden(p_org uuid, p_cond jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT COALESCE(jsonb_agg(c.key ORDER BY c.key), '[]'::jsonb)
      FROM jsonb_each(CASE WHEN jsonb_typeof(p_cond) = 'object' THEN p_cond ELSE '{}'::jsonb END) c
     WHERE NOT EXISTS (SELECT 1 FROM plusveld_definitions d WHERE d.organisation_id = p_org AND d.key = c.key
                          AND d.retired_at IS NULL)
$$;

-- 3. The dashboard's homes-by-year view honours a block's spread: bs_dashboard_cells of 0036 with
--    only its 'year' branch changed (see there for the views and measures).
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
                           CASE WHEN b.spread IS NOT NULL THEN make_date(sp.year, 7, 1) ELSE md.p50 END AS p50,
                           CASE WHEN b.spread IS NOT NULL THEN make_date(sp.year, 7, 1) ELSE md.p80 END AS p80
                      FROM bs_dashboard_scope(p_user, p_public) s
                      JOIN projects p ON p.id = s.project_id
                      JOIN project_blocks b ON b.project_id = s.project_id
                      LEFT JOIN milestone_dates md ON md.project_id = b.project_id AND md.step_key = b.milestone
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
