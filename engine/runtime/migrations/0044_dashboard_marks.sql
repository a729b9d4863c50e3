-- Bouwstroom store, version 45: the dashboards' data version without a single hot row (issue 17
-- item 1, docs/performance.md "Durable writes"; the version of migration 0036, docs/homes-and-goals.md
-- "Dashboards and the public rule").
--
-- Before: every writing transaction updated the one row of dashboard_version in a deferred trigger
-- and held that row's lock through its commit, WAL flush included, so concurrent writers committed
-- one after another instead of sharing a flush. Now every writing transaction that changes a table
-- feeding the dashboards appends one row to dashboard_marks (insert only: no row is shared, no lock
-- is held past the statement) and the data version is the sum of the weights of the marks a
-- snapshot sees. A snapshot that sees a transaction's changes sees its mark and one that does not,
-- does not (the mark is written by the transaction itself), so the version changes whenever the
-- set of committed marks visible grows, and a newer snapshot never sees a smaller sum (weights are
-- positive, marks are removed only by the compaction below, which keeps the sum). So the cache's
-- guarantee of 0036 holds unchanged: a document computed together with the version in one snapshot
-- (bs_dashboard) is never cached under a version whose changes it lacks, and after a committed
-- write the next read sees a larger version than any document computed without that write. Not the
-- max of a sequence: ids are allocated out of commit order.
--
-- dashboard_version stays as a view of one row (version: the sum), so bs_dashboard (0036) and every
-- reader of `SELECT version FROM dashboard_version` read the new version unchanged; the numbering
-- continues from the old row's value.
--
-- The compaction (bs_dashboard_compact) replaces the marks its statement sees by one row of their
-- summed weight in one transaction, so every snapshot sees either all the old rows or the new one:
-- the sum is the same in every snapshot. Run by the server (api/routes_dashboard.c: when a version
-- read sees more than 32 marks, and at every pass of the forecast sweep), any number of servers at
-- once: a transaction-level advisory lock lets one compaction work at a time (the others return 0
-- at once), and even two at once would be right (a row deleted by another compaction meanwhile is
-- skipped by DELETE and so not summed twice: only the rows a DELETE removed are summed).

CREATE TABLE dashboard_marks (weight bigint NOT NULL CHECK (weight > 0));
-- no index: readers sum a handful of rows (the compaction keeps the table small), writers append
INSERT INTO dashboard_marks (weight) SELECT version FROM dashboard_version;

DROP TRIGGER dashboard_pending_bump ON dashboard_pending;
DROP FUNCTION bs_dashboard_bump();
-- marks still pending are of transactions that cannot commit any more (this one holds the locks)
DROP TABLE dashboard_pending;
DROP TABLE dashboard_version;
CREATE VIEW dashboard_version AS SELECT COALESCE(sum(weight), 0)::bigint AS version FROM dashboard_marks;

-- Marks the current transaction once (weight 1): the first call of a transaction appends the mark
-- and sets the transaction-local bouwstroom.dashboard_marked; later calls return false at once. A
-- rolled-back subtransaction takes back both together (0039), so a later call marks again. Returns
-- whether it appended a mark. Called by the feeding tables' statement triggers (bs_dashboard_touch)
-- and by the forecast sweep's writes (engine/runtime/forecast_sweep_sql.h).
CREATE FUNCTION bs_dashboard_mark() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('bouwstroom.dashboard_marked', true) = 'on' THEN
        RETURN false;
    END IF;
    INSERT INTO dashboard_marks (weight) VALUES (1);
    PERFORM set_config('bouwstroom.dashboard_marked', 'on', true);
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION bs_dashboard_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bs_dashboard_mark();
    RETURN NULL;
END $$;

-- Replaces the marks this statement sees by one row of their summed weight (same transaction: the
-- sum of every snapshot unchanged). Returns the number of marks merged; 0 when there were fewer than
-- p_min (nothing written: no transaction id, no WAL) or another compaction holds the advisory lock
-- 7262045 (it returns at once, no wait).
CREATE FUNCTION bs_dashboard_compact(p_min integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    total bigint;
BEGIN
    IF (SELECT count(*) FROM dashboard_marks) < GREATEST(p_min, 2) OR NOT pg_try_advisory_xact_lock(7262045) THEN
        RETURN 0;
    END IF;
    WITH d AS (DELETE FROM dashboard_marks RETURNING weight)
    SELECT count(*), sum(weight) INTO n, total FROM d;
    IF n > 0 THEN
        INSERT INTO dashboard_marks (weight) VALUES (total);
    END IF;
    RETURN n;
END $$;
