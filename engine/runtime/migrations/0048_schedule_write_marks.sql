-- Bouwstroom store, version 48: the statement triggers a schedule write fires, once where once is
-- enough and not at all for what the statement already knows (issue 17 item 1,
-- docs/performance.md "Durable writes").
--
-- A step write (SQL_SCHEDULE_WRITE, api/routes_schedule_sql.h) updates its project row, upserts
-- its step rows (an INSERT and an UPDATE side) and, when custom, replaces the links: about fifteen
-- statement triggers, each a PL/pgSQL call with its queries. What they did for that statement:
--   * the forecast stamp (bs_forecast_stamp_projects, bs_forecast_stamp_rows; migrations 0034,
--     0042): one stamp of the one project (the write always moves schedule_version, which the
--     projects trigger stamps for), looked for up to five times;
--   * the notifier's dirty mark (bs_mark_projects_dirty, 0004): the project, when its step rows
--     changed and somebody follows it, has a role in it or subscribes to it;
--   * the dashboard's data-version mark (bs_dashboard_touch, 0044): once per transaction already,
--     but each trigger still entered PL/pgSQL to find that out;
--   * the step rows' audit (bs_audit_statement): written by the statement since 0046.
-- The statement now makes the stamp and the dirty mark itself (with the NOTIFY bs_notifier the
-- trigger sent when it marked) and the dashboard mark, and sets the transaction-local
-- bouwstroom.write_marks to its own statement_timestamp(). The triggers below are the same as
-- before with a WHEN condition, which PostgreSQL checks without entering PL/pgSQL: the stamp and
-- dirty-mark triggers of projects, project_steps and project_links skip while write_marks equals
-- the current statement's start time (that one statement only; every other writer is unchanged),
-- the audit triggers of project_steps skip while bouwstroom.audited_steps does (0046), and the
-- dashboard triggers of projects and project_steps skip once the transaction is marked
-- (bouwstroom.dashboard_marked = 'on', which bs_dashboard_mark sets; it returned at once then).
-- Trigger names are kept (PostgreSQL fires a table's triggers in name order).

DROP TRIGGER projects_stamp_upd ON projects;
CREATE TRIGGER projects_stamp_upd AFTER UPDATE ON projects
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.write_marks', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_forecast_stamp_projects();

DROP TRIGGER project_steps_stamp_ins ON project_steps;
CREATE TRIGGER project_steps_stamp_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.write_marks', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_forecast_stamp_rows();
DROP TRIGGER project_steps_stamp_upd ON project_steps;
CREATE TRIGGER project_steps_stamp_upd AFTER UPDATE ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.write_marks', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_forecast_stamp_rows();

DROP TRIGGER project_links_stamp_ins ON project_links;
CREATE TRIGGER project_links_stamp_ins AFTER INSERT ON project_links
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.write_marks', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_forecast_stamp_rows();
DROP TRIGGER project_links_stamp_del ON project_links;
CREATE TRIGGER project_links_stamp_del AFTER DELETE ON project_links
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.write_marks', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_forecast_stamp_rows();

DROP TRIGGER project_steps_dirty_ins ON project_steps;
CREATE TRIGGER project_steps_dirty_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.write_marks', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_mark_projects_dirty();
DROP TRIGGER project_steps_dirty_upd ON project_steps;
CREATE TRIGGER project_steps_dirty_upd AFTER UPDATE ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.write_marks', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_mark_projects_dirty();

DROP TRIGGER project_steps_audit_ins ON project_steps;
CREATE TRIGGER project_steps_audit_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.audited_steps', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_audit_statement();
DROP TRIGGER project_steps_audit_upd ON project_steps;
CREATE TRIGGER project_steps_audit_upd AFTER UPDATE ON project_steps
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.audited_steps', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_audit_statement();

DROP TRIGGER projects_dashboard ON projects;
CREATE TRIGGER projects_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
    FOR EACH STATEMENT WHEN (current_setting('bouwstroom.dashboard_marked', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION bs_dashboard_touch();
DROP TRIGGER project_steps_dashboard ON project_steps;
CREATE TRIGGER project_steps_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_steps
    FOR EACH STATEMENT WHEN (current_setting('bouwstroom.dashboard_marked', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION bs_dashboard_touch();
