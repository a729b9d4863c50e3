-- Bouwstroom store, version 42: a project's forecast stamp written once per transaction by the
-- step and link triggers (issue 17 item 4, docs/performance.md "Import of the real plans").
--
-- bs_forecast_stamp_rows (0034) gave every project named by a statement's step or link rows a new
-- stamp, also when this transaction had already written the project's stamp row (an import
-- inserts a project, whose trigger stamps it, then its steps: 4,348 upserts more per import of
-- the real plans, ≈ 95 ms of CPU measured in one backend). A stamp is a marker: the forecast sweep
-- recomputes a project whose stamp differs from the one its forecast was computed for, and it
-- sees only committed stamps. A stamp row this transaction wrote (xmin = its top-level xid) is
-- already new to every reader, so a second new value in the same transaction changes nothing any
-- reader can tell apart; a row written in a subtransaction is stamped again as before. The
-- DELETE branch is unchanged. Both branches keep 0039's early return for a statement that wrote
-- no row (the empty side of an upsert).
CREATE OR REPLACE FUNCTION bs_forecast_stamp_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT d.project_id, nextval('project_forecast_stamp_seq')
          FROM (SELECT DISTINCT project_id FROM old_rows) d JOIN projects p ON p.id = d.project_id
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    ELSE
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT d.project_id, nextval('project_forecast_stamp_seq') FROM (SELECT DISTINCT project_id FROM new_rows) d
         WHERE NOT EXISTS (SELECT 1 FROM project_forecast_stamps s
                            WHERE s.project_id = d.project_id AND s.xmin = pg_current_xact_id()::xid)
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    END IF;
    RETURN NULL;
END $$;
