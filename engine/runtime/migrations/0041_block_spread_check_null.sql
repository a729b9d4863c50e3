-- Bouwstroom store, version 41: the block spread check without a function call for a block
-- without a spread (issue 17 item 4, docs/performance.md "Import of the real plans").
--
-- project_blocks_spread (0037) called bs_block_spread_ok(spread) for every row, also when spread
-- is NULL: a SQL function with subqueries is not inlined, so each call runs its own executor
-- (≈ 8 µs of CPU per row on the benchmark machine; the import of the real plans writes ≈ 10,600
-- blocks, none with a spread). The same rule (bs_block_spread_ok is true for NULL), with the NULL
-- case decided before the call.
ALTER TABLE project_blocks DROP CONSTRAINT project_blocks_spread,
    ADD CONSTRAINT project_blocks_spread CHECK (spread IS NULL OR bs_block_spread_ok(spread));
