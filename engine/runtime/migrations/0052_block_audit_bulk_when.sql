-- Bouwstroom store, version 52: the block rows' audit trigger is left out of bulk writes by its
-- WHEN condition (issue 17 item 4, docs/performance.md "Import of the real plans").
--
-- bs_audit_row (migrations 0010, 0014) returns at once when the transaction has set
-- bouwstroom.audit = 'bulk' (an import, which writes one summary row per batch instead: 0024), but
-- the row trigger still queued an event and called the plpgsql function for every row: ≈ 2 µs per
-- block row, and the import of the real plans writes ≈ 10,600 of them. The same test as a WHEN
-- condition keeps those events out of the queue. Every other write is audited as before (the
-- condition is evaluated when the row is written instead of at the end of its statement: only a
-- statement that itself changes bouwstroom.audit between its rows could tell, and none does).
DROP TRIGGER project_blocks_audit ON project_blocks;
CREATE TRIGGER project_blocks_audit AFTER INSERT OR UPDATE OR DELETE ON project_blocks
    FOR EACH ROW WHEN (current_setting('bouwstroom.audit', true) IS DISTINCT FROM 'bulk')
    EXECUTE FUNCTION bs_audit_row();
