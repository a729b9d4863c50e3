-- Bouwstroom store, version 62: the refusal of a one-trip step write (issue 17 item 1;
-- docs/performance.md "The seventh pass (2026-12-07, branch w7)").
--
-- A one-trip step write (api/routes_schedule_sql.h SQL_SCHEDULE_WRITE_ONE_TRIP, api/authz.c
-- try_one_trip) runs the gate inside the write statement and must write nothing at all when the gate
-- does not give the row the server assumed, or the project's schedule version or forecast stamp is no
-- longer the one its cached state was read at. "Nothing" includes what the write statement's
-- statement-level triggers do even when no row is written (the dashboards' mark of 0044/0048 is a row
-- of dashboard_marks): so the statement does not merely write no row, it fails, and its transaction
-- (the statement alone, bs__store_write_one) is rolled back. The server then runs the gate and the
-- write as without the one trip.
--   bs_one_trip_unproven()   raises SQLSTATE BS001 'one-trip write not proven'; never returns.
CREATE FUNCTION bs_one_trip_unproven() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'one-trip write not proven' USING ERRCODE = 'BS001';
END $$;
