-- Bouwstroom store, version 72: room on every heap page of projects and project_steps for the next
-- version of a row, so that a step write's updates stay HOT (issue 17 item 1, docs/performance.md
-- "Durable writes …", "(2026-12-08, branch w8)").
--
-- A step write updates one projects row (schedule_version, updated_at, planned_completion,
-- progress_date, knelpunt) and its step rows (status, dates, overrides, updated_at). None of those
-- columns is in an index but knelpunt (projects_knelpunt, partial), so PostgreSQL can make the
-- update a heap-only tuple (HOT): the new row version on the same page, no new index entries. It
-- can only when the page has room for it. An import fills pages to the brim (fillfactor 100), so
-- the first update of every row, and later ones whenever pruning freed too little, went to another
-- page and inserted a new entry into every index of the table: for projects thirteen of them,
-- among them the trigram GIN index of bs_fold(name) and three expression indexes that call the
-- PL/pgSQL bs_fold (0056) once per row; for project_steps its one unique B-tree. In the write
-- benchmark's capture 21 % of the projects updates and 43 % of the step updates were not HOT.
--
-- fillfactor leaves that room on pages filled by inserts (the imports' COPY, new projects); a HOT
-- update prunes the dead versions of its page when free space falls below it. projects: a row is
-- about 1 KB (≈ 8 a page), 80 leaves room for one to two new versions a page; project_steps: a row
-- is about 110 B (≈ 74 a page), 90 leaves room for about seven. Cost: the tables take ≈ 25 % and
-- ≈ 11 % more pages (4,348 plans: 437 → 561 and 2,428 → 2,700 pages). No semantics change: what a
-- reader sees is the same rows.
--
-- Pages already written keep what they hold; they gain room as their rows are updated (a non-HOT
-- update moves the row to a page with room) or all at once by VACUUM FULL of the two tables at a
-- quiet hour (docs/operations.md). The migration does not rewrite them: at national scale that is
-- millions of step rows under an exclusive lock.

ALTER TABLE projects SET (fillfactor = 80);
ALTER TABLE project_steps SET (fillfactor = 90);
