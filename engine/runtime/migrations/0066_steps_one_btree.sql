-- Bouwstroom store, version 66: project_steps keeps one unique B-tree, (project_id, step_key), its
-- replica identity; id stays a column with its default but loses its primary key (issue 17 item
-- 4, docs/performance.md "Import of the real plans", "(2026-12-07, branch imp5)").
--
-- An import inserts 182,616 step rows, and inserting them into the table's two unique B-trees
-- (with a WAL record per tuple each) was the largest part of its PostgreSQL time (37 %, profile of
-- 2026-12-07). No statement finds a step row by id: every reader (the API's routes, the adapters,
-- the exchange, the engine's state query, the CLI, the notifier, the migrations' functions) finds
-- the steps by project_id or by (project_id, step_key) — the upserts' ON CONFLICT target — and
-- the places that use id pair rows by it inside one statement (the audit trigger's old and new
-- transition rows, 0046; the schedule write's old and new step rows) or copy it into the audit
-- log as text (audit_log.entity_id, which nothing resolves back). No foreign key references
-- project_steps(id). So the id index served only to enforce the uniqueness of values that are
-- unique by construction: gen_random_uuid() (the default) or the import's UUIDv7 with a per-import
-- counter (bs_eib_step_ids: the project's millisecond, 42 random bits of the import, the counter).
--
-- The primary key is dropped; the unique constraint of (project_id, step_key) stays as it is and is
-- the table's replica identity (what a primary key gave: the key of a row in logical decoding). A
-- primary key on it would need a second build of the same index (PostgreSQL adds a primary key
-- USING INDEX only for an index no constraint owns yet). The upserts' ON CONFLICT (project_id,
-- step_key) infer the same index as before. id keeps NOT NULL and its default.

ALTER TABLE project_steps DROP CONSTRAINT project_steps_pkey;
ALTER TABLE project_steps ALTER COLUMN id SET NOT NULL;
ALTER TABLE project_steps REPLICA IDENTITY USING INDEX project_steps_project_id_step_key_key;
