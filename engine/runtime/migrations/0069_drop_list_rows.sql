-- Bouwstroom store, version 69: the project list's superseded functions dropped (issue 17 item 5).
--
-- Since 0068 GET /api/v1/projects reads bs_project_list_page, which states the reach per filter
-- shape itself. bs_project_list_rows (0057/0058/0061/0064) and bs_project_list_reach (0043/0050/
-- 0057, its rows narrowed to the policy's columns) were read only by
-- tests/integration/test_access_reach.py, which now checks bs_project_list_page against
-- bs_project_access_reach and bs_project_access instead. Nothing else calls them (no view, function
-- or route: PostgreSQL refuses the DROP if a view depends on one; a function calling one would fail
-- at its next call, and none does — grep of engine/ and api/).
DROP FUNCTION bs_project_list_reach(uuid, text, text);
DROP FUNCTION bs_project_list_rows(uuid, text, text);
