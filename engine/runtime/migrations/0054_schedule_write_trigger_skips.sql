-- Bouwstroom store, version 54: two more statement triggers of a step write skipped by WHEN
-- (issue 17 item 1; docs/performance.md "The fifth pass"). 0048 left four trigger functions that a
-- step write (SQL_SCHEDULE_WRITE, api/routes_schedule_sql.h) enters for nothing; two are done here,
-- as 0048 did the others: the statement says what it knows in a transaction-local setting equal to
-- its own statement_timestamp(), and the trigger's WHEN, which PostgreSQL checks without entering
-- PL/pgSQL, skips for that one statement only (every other writer is unchanged).
--   * projects_audit_upd: the statement writes the audit row of its projects update itself (0040);
--     bs_audit_statement skipped it after a PL/pgSQL call, on the one-shot mark
--     bouwstroom.audited = 'projects'. Now the statement sets bouwstroom.audited_project. (The
--     one-shot branch of bs_audit_statement stays, for a server of the previous version.)
--   * projects_adapter_upd, project_steps_adapter_ins, project_steps_adapter_upd: bs_adapter_emit
--     returned at once when adapter_subscriptions is empty (three calls per write). Now the
--     statement sets bouwstroom.no_adapters when it finds no subscription (in its snapshot; a
--     subscription committed while the statement runs is seen by the writes after it, as a
--     subscription committed just after the write would be). projects_adapter_ins is left as it
--     was (a step write inserts no project).
-- Trigger names are kept (PostgreSQL fires a table's triggers in name order).
-- tests/integration/test_step_write_marks.py: with a subscription every step write emits its
-- adapter event, without one none, and a direct update after the write still does;
-- test_step_write_audit.py: the project's audit row once per write.

DROP TRIGGER projects_audit_upd ON projects;
CREATE TRIGGER projects_audit_upd AFTER UPDATE ON projects
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.audited_project', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_audit_statement();

DROP TRIGGER projects_adapter_upd ON projects;
CREATE TRIGGER projects_adapter_upd AFTER UPDATE ON projects
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.no_adapters', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_adapter_emit();

DROP TRIGGER project_steps_adapter_ins ON project_steps;
CREATE TRIGGER project_steps_adapter_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.no_adapters', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_adapter_emit();

DROP TRIGGER project_steps_adapter_upd ON project_steps;
CREATE TRIGGER project_steps_adapter_upd AFTER UPDATE ON project_steps
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    WHEN (current_setting('bouwstroom.no_adapters', true) IS DISTINCT FROM statement_timestamp()::text)
    EXECUTE FUNCTION bs_adapter_emit();
