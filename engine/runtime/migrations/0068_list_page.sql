-- Bouwstroom store, version 68: the project list's page returned by one function (issue 17 item 5;
-- docs/performance.md "National scale", "(2026-12-08, branch prov5)").
--
-- GET /api/v1/projects joined bs_project_list_rows (0057/0064: every row of the caller's reach in
-- the gemeente/provincie filter, 15 columns, into the PL/pgSQL RETURN QUERY tuplestore), kept the
-- listed ones in a CTE (a second copy of every row) for the count and the page, and sorted the CTE
-- (a third copy) for the page: for the province user's whole-province list at 100,000 projects
-- 2,093 rows copied three times for a page of 50. Now bs_project_list_page does the list's filters,
-- the count, the order and the page inside: the policy's rows go once, narrow (id, access and the
-- order's columns), through count(*) OVER () and a bounded sort, and only the page's rows (at most
-- page_size, their other columns filled by id) leave the function. The rows, the
-- order and the count are the list's of 0064 + api/routes.c (98ebfd5), unchanged:
-- tests/integration/test_access_reach.py (every page over HTTP against bs_project_access) and
-- test_pagination.py (order, count and links at the edges, every sort key both ways) check them.
-- bs_project_list_rows stays (bs_project_list_reach and the tests read it).

-- The list's rows of p_user (NULL: anonymous) from the policy over the reach's addresses p_tids and
-- the provinces p_provs (bs_project_policy_at of 0064 when p_provs has any, else 0058's over the
-- addresses alone, each with its own plan behind a one-time filter), kept when the caller may see
-- the project in detail (access public/read/write/lead, or the stream flag) and in the list's
-- filters: planstatus, plantype, knelpunt (NULL: any), the name LIKE pattern p_like (over
-- bs_fold(name); NULL: any) and p_mine (a member, follower or role holder of the project). Columns
-- in the list's order with the list's access ('stream' for the stream flag alone). The policy's
-- rows are read under OFFSET 0 so that the filters test its columns and do not repeat its CASE.
-- Inlined by PostgreSQL into bs_project_list_page's statements (parameters plain values).
CREATE FUNCTION bs_project_list_kept(p_user uuid, p_tids tid[], p_provs text[], p_planstatus text,
                                     p_plantype text, p_knelpunt boolean, p_like text, p_mine boolean)
RETURNS TABLE (id uuid, name text, gemeente text, provincie text, planstatus text, plantype text,
               homes_remaining integer, progress_date date, expected_by date, planned_completion date,
               confidentiality text, knelpunt boolean, updated_at timestamptz, access text,
               stream_access boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.project_id, a.name, a.gemeente, a.provincie, a.planstatus, a.plantype, a.homes_remaining,
           a.progress_date, a.expected_by, a.planned_completion, a.confidentiality, a.knelpunt,
           a.updated_at,
           CASE WHEN a.access IN ('public','read','write','lead') THEN a.access ELSE 'stream' END,
           a.stream
      FROM (SELECT u.* FROM (SELECT * FROM bs_project_policy_at(p_user, p_tids, p_provs)
                              WHERE cardinality(p_provs) > 0
                             UNION ALL
                             SELECT * FROM bs_project_policy_at(p_user, p_tids)
                              WHERE (cardinality(p_provs) > 0) IS NOT TRUE) u OFFSET 0) a
     WHERE (a.access IN ('public','read','write','lead') OR a.stream)
       AND (p_planstatus IS NULL OR a.planstatus = p_planstatus)
       AND (p_plantype IS NULL OR a.plantype = p_plantype)
       AND (p_knelpunt IS NULL OR a.knelpunt = p_knelpunt)
       AND (p_like IS NULL OR bs_fold(a.name) LIKE p_like)
       AND (NOT p_mine
            OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = a.project_id AND m.user_id = p_user)
            OR EXISTS (SELECT 1 FROM follows fo WHERE fo.project_id = a.project_id AND fo.user_id = p_user)
            OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = a.project_id AND r.user_id = p_user))
$$;

-- The list's row of project p_id (its columns as bs_project_list_kept's) with the given total, access
-- and stream_access, for the page's rows of bs_project_list_page: the page is ordered and cut on
-- narrow rows (the order's columns, id, access), then its at most page_size rows get the rest here
-- (projects_pkey; the same row under the same snapshot as the policy read). Inlined.
CREATE FUNCTION bs_project_list_fill(p_total bigint, p_id uuid, p_access text, p_stream boolean)
RETURNS TABLE (total bigint, id uuid, name text, gemeente text, provincie text, planstatus text,
               plantype text, homes_remaining integer, progress_date date, expected_by date,
               planned_completion date, confidentiality text, knelpunt boolean, updated_at timestamptz,
               access text, stream_access boolean)
LANGUAGE sql STABLE AS $$
    SELECT p_total, p.id, p.name, p.gemeente, p.provincie, p.planstatus, p.plantype, p.homes_remaining,
           p.progress_date, p.expected_by, p.planned_completion, p.confidentiality, p.knelpunt, p.updated_at,
           p_access, p_stream
      FROM projects p WHERE p.id = p_id
$$;

-- GET /api/v1/projects's page for p_user (NULL: anonymous): the projects the caller may see in
-- detail in the filters (p_gemeente, p_provincie: names compared folded, bs_fold; p_planstatus,
-- p_plantype, p_knelpunt: equal; p_q: a part of the name, folded, LIKE's % _ \ taken literally;
-- p_mine: the caller's own projects; each NULL: any), ordered by p_sort (name, gemeente, provincie,
-- planstatus, plantype, homes, planned_completion, progress_date, updated; a leading '-':
-- descending) with its ties as below (api/routes.c's project_sorts until 98ebfd5: homes and the
-- dates NULLS LAST both ways; every order ends in id, so pages never overlap), the rows
-- p_offset + 1 .. p_offset + p_limit (p_limit >= 1) in that order, each with total = the number
-- of all such projects. A page past the end (or an empty list) is one row: total, every other
-- column NULL. Errors: an unknown p_sort raises (22023). The rows are bs_project_list_rows's
-- (0064: the same addresses and provinces per filter shape, the same policy), filtered and
-- counted as api/routes.c did until 98ebfd5; all statements under the calling query's snapshot
-- (STABLE). One statement per order (18, each planned once per connection when first used): an
-- order given as a parameter (CASE per key) cost ≈ 1 ms more per 2,093 rows in the sort.
CREATE FUNCTION bs_project_list_page(p_user uuid, p_gemeente text, p_provincie text, p_planstatus text,
                                     p_plantype text, p_knelpunt boolean, p_q text, p_mine boolean,
                                     p_sort text, p_limit bigint, p_offset bigint)
RETURNS TABLE (total bigint, id uuid, name text, gemeente text, provincie text, planstatus text,
               plantype text, homes_remaining integer, progress_date date, expected_by date,
               planned_completion date, confidentiality text, knelpunt boolean, updated_at timestamptz,
               access text, stream_access boolean)
LANGUAGE plpgsql STABLE ROWS 50 SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    v_tids tid[];
    v_provs text[];
    v_like text;
    v_n bigint;
BEGIN
    -- the reach per filter shape: 0064's bs_project_list_rows, unchanged
    IF p_gemeente IS NULL THEN
        IF p_provincie IS NULL THEN
            SELECT array_agg(c.provincie) FILTER (WHERE c.row_tid IS NULL),
                   array_agg(c.row_tid) FILTER (WHERE c.row_tid IS NOT NULL)
              INTO v_provs, v_tids FROM bs_project_reach_parts(p_user) c;
        ELSE
            SELECT array_agg(c.provincie) FILTER (WHERE c.row_tid IS NULL),
                   array_agg(c.row_tid) FILTER (WHERE c.row_tid IS NOT NULL)
              INTO v_provs, v_tids FROM bs_project_reach_parts(p_user) c
             WHERE bs_fold(c.provincie) = bs_fold(p_provincie);
        END IF;
    ELSIF p_provincie IS NULL THEN
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente));
    ELSE
        v_tids := ARRAY(SELECT c.row_tid FROM bs_project_reach(p_user) c
                        WHERE bs_fold(c.gemeente) = bs_fold(p_gemeente)
                          AND bs_fold(c.provincie) = bs_fold(p_provincie));
    END IF;
    -- a part of the name, LIKE's metacharacters escaped (as api/routes.c did)
    v_like := '%' || replace(replace(replace(bs_fold(p_q), '\', '\\'), '%', '\%'), '_', '\_') || '%';
    -- the page: every kept row counted (the window) and given to a bounded sort on narrow rows
    -- (unused columns of the subquery are not carried), then the page's rows filled
    CASE p_sort
    WHEN 'name' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.name, k.id;
    WHEN '-name' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.name DESC, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.name DESC, k.id;
    WHEN 'gemeente' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.gemeente, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.gemeente, k.name, k.id;
    WHEN '-gemeente' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.gemeente DESC, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.gemeente DESC, k.name, k.id;
    WHEN 'provincie' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.provincie, k.gemeente, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.provincie, k.gemeente, k.name, k.id;
    WHEN '-provincie' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.provincie DESC, k.gemeente, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.provincie DESC, k.gemeente, k.name, k.id;
    WHEN 'planstatus' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.planstatus, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.planstatus, k.name, k.id;
    WHEN '-planstatus' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.planstatus DESC, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.planstatus DESC, k.name, k.id;
    WHEN 'plantype' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.plantype, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.plantype, k.name, k.id;
    WHEN '-plantype' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.plantype DESC, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.plantype DESC, k.name, k.id;
    WHEN 'homes' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.homes_remaining NULLS LAST, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.homes_remaining NULLS LAST, k.name, k.id;
    WHEN '-homes' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.homes_remaining DESC NULLS LAST, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.homes_remaining DESC NULLS LAST, k.name, k.id;
    WHEN 'planned_completion' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.planned_completion NULLS LAST, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.planned_completion NULLS LAST, k.name, k.id;
    WHEN '-planned_completion' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.planned_completion DESC NULLS LAST, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.planned_completion DESC NULLS LAST, k.name, k.id;
    WHEN 'progress_date' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.progress_date NULLS LAST, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.progress_date NULLS LAST, k.name, k.id;
    WHEN '-progress_date' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.progress_date DESC NULLS LAST, k.name, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.progress_date DESC NULLS LAST, k.name, k.id;
    WHEN 'updated' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.updated_at, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.updated_at, k.id;
    WHEN '-updated' THEN
        RETURN QUERY SELECT f.* FROM (SELECT count(*) OVER () AS total, k.* FROM bs_project_list_kept(p_user, v_tids,
            v_provs, p_planstatus, p_plantype, p_knelpunt, v_like, p_mine) k ORDER BY k.updated_at DESC, k.id
            LIMIT p_limit OFFSET p_offset) k, bs_project_list_fill(k.total, k.id, k.access, k.stream_access) f
          ORDER BY k.updated_at DESC, k.id;

    ELSE
        RAISE EXCEPTION 'bs_project_list_page: unknown sort %', p_sort USING ERRCODE = '22023';
    END CASE;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n = 0 THEN
        -- past the end (or nothing listed): the count alone, one row
        IF p_offset > 0 THEN
            SELECT count(*) INTO v_n
              FROM bs_project_list_kept(p_user, v_tids, v_provs, p_planstatus, p_plantype, p_knelpunt,
                                        v_like, p_mine) k;
        END IF;
        RETURN QUERY SELECT v_n, NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
                            NULL::integer, NULL::date, NULL::date, NULL::date, NULL::text, NULL::boolean,
                            NULL::timestamptz, NULL::text, NULL::boolean;
    END IF;
END
$$;
