-- Moving running projects to another version of their process schema (issue 19, item 2;
-- docs/process-schema.md "Migrating projects").
--
-- A migration of a project is one history row (field 'process_schema_version', old and new
-- version) whose snapshot holds the project's state before it: {version, custom_links, steps:
-- [project_steps rows], links: [project_links rows]}. GET …/schedule?known_on= before the
-- migration plans from that snapshot with the old version; the steps the new version lacks
-- live on there (their rows leave project_steps).
ALTER TABLE schedule_history ADD COLUMN snapshot jsonb;

-- A bulk migration: every project of an organisation on one version of a key, moved to
-- another (POST /api/v1/organisations/{id}/migrations). The row is the job: accepted (202)
-- only after it is stored, so a restart does not lose it; a server starting finds the
-- unfinished ones and resumes them after last_project_id (projects are taken in id order).
CREATE TABLE schema_migration_jobs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid REFERENCES organisations(id) ON DELETE CASCADE,  -- NULL: every project of the installation
    schema_key      text NOT NULL,
    from_version    integer NOT NULL CHECK (from_version >= 1),
    to_version      integer NOT NULL CHECK (to_version >= 1),
    mapping         jsonb NOT NULL DEFAULT '{}',
    reason          text NOT NULL,
    requested_by    text NOT NULL,         -- e-mail of the requester (schedule_history.changed_by)
    actor           jsonb NOT NULL,        -- the requester as the audit triggers record it
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done')),
    total           integer,               -- projects on from_version when the job started
    done            integer NOT NULL DEFAULT 0,   -- migrated
    failed          integer NOT NULL DEFAULT 0,   -- refused or not computable
    failures        jsonb NOT NULL DEFAULT '[]',  -- [{project_id, field, reason}], the first 1,000
    last_project_id uuid,                  -- the resume point
    summary         jsonb,                 -- at the end: {migrated, failed, steps_carried, steps_realised, ...}
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX schema_migration_jobs_open ON schema_migration_jobs (created_at) WHERE state <> 'done';
CREATE TRIGGER schema_migration_jobs_audit AFTER INSERT OR DELETE ON schema_migration_jobs
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();
