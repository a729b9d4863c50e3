-- Bouwstroom store, version 55: the statement triggers of an INSERT into project_steps read the
-- statement's projects once (issue 17 item 4, docs/performance.md "Import of the real plans").
--
-- An import's batch inserts ≈ 21,000 step rows of 500 projects in one statement. Three statement
-- triggers each took the DISTINCT project_id of the transition table (a hash over every row):
-- the reference check of 0028 (bs_project_steps_check) twice, the notifier's change capture
-- (bs_mark_projects_dirty, 0004/0028/0039) and the forecast stamp (bs_forecast_stamp_rows,
-- 0034/0042): four passes per batch, ≈ 8 % of an import's CPU in PostgreSQL (profile of
-- 2026-12-07). One trigger function now takes the projects once and does the three things with
-- the same effects:
--   * the reference: every named project present, else foreign_key_violation (SQLSTATE 23503)
--     under the old constraint's name with the key in the detail, as 0028; the projects locked
--     FOR KEY SHARE in id order as 0028, except a row this transaction wrote itself (xmin = its
--     top-level xid): a row it inserted no other transaction can see, a row it updated it holds
--     locked already (FOR NO KEY UPDATE, which conflicts with every DELETE and key update as
--     KEY SHARE does); a row written in a subtransaction is locked as before;
--   * the notifier's dirty mark with its NOTIFY and the forecast stamp (a project whose stamp row
--     this transaction wrote is not stamped again, 0042), both skipped for the statement whose
--     start time bouwstroom.write_marks holds (the schedule write marks its project itself, 0048:
--     these were the two triggers' WHEN condition).
-- The UPDATE triggers and the functions themselves (still used by them and by project_links) are
-- unchanged. The trigger keeps the name project_steps_project_ins (PostgreSQL fires a table's
-- triggers in name order; the dirty mark and the stamp now come at its place, between
-- project_steps_dashboard and the end, where they were).

CREATE FUNCTION bs_project_steps_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
    missing uuid;
BEGIN
    -- the statement's projects, once (an INSERT … ON CONFLICT DO UPDATE that only updated: none)
    ids := ARRAY(SELECT d.project_id FROM (SELECT DISTINCT project_id FROM new_rows) d ORDER BY 1);
    IF cardinality(ids) = 0 THEN
        RETURN NULL;
    END IF;
    -- the reference (0028): lock the named projects as the foreign key's check did (ORDER BY:
    -- transactions lock in the same order), but not a row this transaction wrote
    PERFORM 1 FROM projects p
      WHERE p.id = ANY (ids) AND NOT p.xmin = pg_current_xact_id()::xid ORDER BY p.id FOR KEY SHARE OF p;
    IF (SELECT count(*) FROM projects p WHERE p.id = ANY (ids)) < cardinality(ids) THEN
        SELECT x INTO missing FROM unnest(ids) AS x
          WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = x) LIMIT 1;
        RAISE EXCEPTION 'insert or update on table "project_steps" violates foreign key constraint "project_steps_project_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'project_steps_project_id_fkey',
                  TABLE = 'project_steps', SCHEMA = TG_TABLE_SCHEMA,
                  DETAIL = format('Key (project_id)=(%s) is not present in table "projects".', missing);
    END IF;
    -- the schedule write marks its own project (0048)
    IF current_setting('bouwstroom.write_marks', true) = statement_timestamp()::text THEN
        RETURN NULL;
    END IF;
    -- the notifier's change capture (0004, 0028): only projects somebody follows, has a role in
    -- or subscribes to can cause alerts or feeds
    INSERT INTO notifier_dirty (project_id)
    SELECT x FROM unnest(ids) AS x
    WHERE EXISTS (SELECT 1 FROM follows f WHERE f.project_id = x)
       OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = x)
       OR EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = x AND t.revoked_at IS NULL)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('bs_notifier', '');
    END IF;
    -- the forecast stamp (0034), not again for a stamp row this transaction wrote (0042)
    INSERT INTO project_forecast_stamps (project_id, stamp)
    SELECT x, nextval('project_forecast_stamp_seq') FROM unnest(ids) AS x
     WHERE NOT EXISTS (SELECT 1 FROM project_forecast_stamps s
                        WHERE s.project_id = x AND s.xmin = pg_current_xact_id()::xid)
    ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END $$;

DROP TRIGGER project_steps_dirty_ins ON project_steps;
DROP TRIGGER project_steps_stamp_ins ON project_steps;
DROP TRIGGER project_steps_project_ins ON project_steps;
CREATE TRIGGER project_steps_project_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_project_steps_inserted();
