-- Bouwstroom store, version 28: the triggers on project_steps do their work once per statement
-- and per project, not once per row (issue 17).
--
-- 1. The reference of project_steps to projects is checked once per statement instead of once
-- per row. An import inserts 21,000 step rows per batch of
-- 500 plans; the foreign key's row trigger ran a query for each of them (≈ 40 % of the import's
-- time in PostgreSQL). What the foreign key project_steps_project_id_fkey (ON DELETE CASCADE,
-- migration 0001) did is done here by triggers, with the same effects:
--   * a statement that inserts step rows fails with foreign_key_violation (SQLSTATE 23503,
--     the constraint's name, the key in the detail) unless every project it names exists, and
--     locks those projects FOR KEY SHARE as the foreign key's check did: a concurrent DELETE of
--     one waits for this transaction (and then removes its steps), or has removed it already
--     and this statement fails;
--   * a step row's project_id never changes (the check would have to run per UPDATE; nothing
--     moves a step to another project);
--   * deleting projects deletes their steps in the same statement (once per statement, with
--     the statement's transition table), TRUNCATE projects … CASCADE empties project_steps, and
--     changing the id of a project that has steps is refused (the foreign key's NO ACTION).

ALTER TABLE project_steps DROP CONSTRAINT project_steps_project_id_fkey;

CREATE FUNCTION bs_project_steps_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing uuid;
BEGIN
    -- an INSERT … ON CONFLICT DO UPDATE that only updated (the API's step writes) inserted nothing
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    -- lock every named project (FOR KEY SHARE, as the foreign key's check), then look for one
    -- that is not there; ORDER BY: transactions lock in the same order
    PERFORM 1 FROM projects p
      WHERE p.id IN (SELECT DISTINCT n.project_id FROM new_rows n) ORDER BY p.id FOR KEY SHARE OF p;
    SELECT n.project_id INTO missing FROM (SELECT DISTINCT project_id FROM new_rows) n
      WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = n.project_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "project_steps" violates foreign key constraint "project_steps_project_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'project_steps_project_id_fkey',
                  TABLE = 'project_steps', SCHEMA = TG_TABLE_SCHEMA,
                  DETAIL = format('Key (project_id)=(%s) is not present in table "projects".', missing);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER project_steps_project_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_project_steps_check();

CREATE FUNCTION bs_project_steps_keep_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.project_id IS DISTINCT FROM OLD.project_id THEN
        RAISE EXCEPTION 'a process step cannot move to another project'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'project_steps_project_id_fkey',
                  TABLE = 'project_steps', SCHEMA = TG_TABLE_SCHEMA;
    END IF;
    RETURN NEW;
END $$;

-- a column trigger: only an UPDATE that names project_id runs it
CREATE TRIGGER project_steps_keep_project BEFORE UPDATE OF project_id ON project_steps
    FOR EACH ROW EXECUTE FUNCTION bs_project_steps_keep_project();

CREATE FUNCTION bs_projects_delete_steps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE project_steps;
    ELSE
        DELETE FROM project_steps s USING old_rows o WHERE s.project_id = o.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER projects_delete_steps AFTER DELETE ON projects
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_projects_delete_steps();
CREATE TRIGGER projects_truncate_steps AFTER TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION bs_projects_delete_steps();

CREATE FUNCTION bs_projects_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id AND EXISTS (SELECT 1 FROM project_steps s WHERE s.project_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "projects" violates foreign key constraint "project_steps_project_id_fkey" on table "project_steps"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'project_steps_project_id_fkey',
                  TABLE = 'projects', SCHEMA = TG_TABLE_SCHEMA,
                  DETAIL = format('Key (id)=(%s) is still referenced from table "project_steps".', OLD.id);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER projects_keep_id BEFORE UPDATE OF id ON projects
    FOR EACH ROW EXECUTE FUNCTION bs_projects_keep_id();

-- 2. The notifier's change capture (migration 0004) looked up follows, project roles and feed
-- tokens for every row of the statement (3 × 21,000 index probes per import batch); it now does
-- so once per project of the statement. The same projects are marked.
CREATE OR REPLACE FUNCTION bs_mark_projects_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- only projects somebody follows, has a role in or subscribes to can cause alerts or feeds
    INSERT INTO notifier_dirty (project_id)
    SELECT n.project_id FROM (SELECT DISTINCT project_id FROM new_rows) n
    WHERE EXISTS (SELECT 1 FROM follows f WHERE f.project_id = n.project_id)
       OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = n.project_id)
       OR EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = n.project_id AND t.revoked_at IS NULL)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('bs_notifier', '');
    END IF;
    RETURN NULL;
END $$;
