-- Bouwstroom store, version 45: the forecast sweep's wake-up out of the API's writing transactions
-- (issue 17 item 1, docs/performance.md; engine/runtime/forecast_sweep.h "bs_sweep_waker").
--
-- A transaction that sent NOTIFY takes PostgreSQL's database-wide lock of the notification queue
-- before its commit record and holds it through the WAL flush, so concurrent writers' commits
-- queue on it. The trigger of 0038 now sends its NOTIFY unless the transaction says its writer wakes
-- the sweeps itself after the COMMIT: the transaction-local setting bouwstroom.sweep_wake = 'after'
-- (set by the API server's step and block writes, which then start their own sweep directly and send
-- one debounced NOTIFY in a transaction of its own). Every other writer (imports, the CLI, psql, ...)
-- sets nothing and still wakes the sweep from its own transaction, as before.
CREATE OR REPLACE FUNCTION bs_forecast_sweep_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('bouwstroom.sweep_wake', true) IS DISTINCT FROM 'after' THEN
        PERFORM pg_notify('bs_forecast_sweep', '');
    END IF;
    RETURN NULL;
END $$;
