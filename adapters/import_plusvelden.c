/*
 * Plusvelden in the project imports. See import_plusvelden.h.
 */
#include "import_plusvelden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

const bs_stmt BS_IMPORT_PV_DEFS = {
    "import_pv_defs",
    "WITH d AS (SELECT * FROM plusveld_definitions WHERE retired_at IS NULL), "
    "o AS (SELECT DISTINCT organisation_id AS id FROM d), "
    "g AS (SELECT substr(x.import_key, 10) AS name, x.id FROM organisations x JOIN o ON o.id = x.id "
    "  WHERE x.import_key LIKE 'gemeente:%') "
    "SELECT json_build_object("
    "'orgs', COALESCE((SELECT json_object_agg(s.org, s.defs) FROM (SELECT d.organisation_id AS org, "
    "  json_agg(json_build_object('id', d.id, 'key', d.key, 'type', d.type, 'version', d.version, "
    "  'min', d.min_value, 'max', d.max_value, 'categories', d.categories, 'pattern', d.pattern)) AS defs "
    "  FROM d WHERE d.applies_to = 'project' GROUP BY d.organisation_id) s), '{}'), "
    "'block_orgs', COALESCE((SELECT json_object_agg(s.org, s.defs) FROM (SELECT d.organisation_id AS org, "
    "  json_agg(json_build_object('id', d.id, 'key', d.key, 'type', d.type, 'version', d.version, "
    "  'min', d.min_value, 'max', d.max_value, 'categories', d.categories, 'pattern', d.pattern)) AS defs "
    "  FROM d WHERE d.applies_to = 'block' GROUP BY d.organisation_id) s), '{}'), "
    "'gemeenten', COALESCE((SELECT json_object_agg(g.name, g.id) FROM g), '{}'), "
    "'projects', COALESCE((SELECT json_object_agg(p.source || chr(31) || p.source_key, p.owner_organisation_id) "
    "  FROM projects p WHERE p.owner_organisation_id IN (SELECT id FROM o) OR p.gemeente IN (SELECT name FROM g)), "
    "  '{}'))",
    0};

/* The definitions of member ("orgs" or "block_orgs") of defs for the project's owner. */
static const json_t *owner_definitions(const json_t *defs, const char *member, const char *source,
                                       const char *source_key, const char *gemeente) {
    if (!defs || !source || !source_key) return NULL;
    char *pk = bs_asprintf("%s%c%s", source, '\x1f', source_key);
    const json_t *org = json_object_get(json_object_get(defs, "projects"), pk);
    free(pk);
    if (!org && gemeente) org = json_object_get(json_object_get(defs, "gemeenten"), gemeente);
    return json_is_string(org) ? json_object_get(json_object_get(defs, member), json_string_value(org)) : NULL;
}

const json_t *bs_import_pv_definitions(const json_t *defs, const char *source, const char *source_key,
                                       const char *gemeente) {
    return owner_definitions(defs, "orgs", source, source_key, gemeente);
}

const json_t *bs_import_pv_block_definitions(const json_t *defs, const char *source, const char *source_key,
                                             const char *gemeente) {
    return owner_definitions(defs, "block_orgs", source, source_key, gemeente);
}

json_t *bs_import_pv_check(const json_t *defs, const char *key, json_t *v, bs_pv_cache *cache, bs_err *err) {
    char field[80];
    snprintf(field, sizeof field, "plusvelden.%.60s", key);
    const json_t *d = NULL;
    for (size_t i = 0; i < json_array_size(defs); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(defs, i), "key")), key) == 0)
            d = json_array_get(defs, i);
    if (!d) {
        bs_err_problem(err, BS_EINVAL, "unknown_field", "Unknown plusveld", field,
                       "the owning organisation has no active plusveld %.60s for this (project or block)", key);
        return NULL;
    }
    const char *cats[BS_PV_MAX_CATEGORIES];
    bs_pv_def def;
    bs_pv_def_from_json(d, &def, cats);
    const char *src = json_string_value(json_object_get(d, "pattern"));
    if (src) {
        def.pattern = bs_pv_cache_get(cache, json_string_value(json_object_get(d, "id")),
                                      (long)json_integer_value(json_object_get(d, "version")), src, field, err);
        if (!def.pattern) return NULL;
    }
    if (bs_pv_check_value(&def, v, err) != 0) return NULL;
    json_t *o = json_object();
    json_object_set(o, "definition_id", json_object_get(d, "id"));
    json_object_set(o, "version", json_object_get(d, "version"));
    json_object_set(o, "value", v);
    return o;
}

/* Appends the checked values (versioned as the API does: known_from $1, the importer as
 * author from bouwstroom.actor, audited; $2 the source when the staging rows lack it) where they differ from the current value. A
 * definition changed, retired or of another owner since the check aborts the import. */
static const char PV_IMPORT_SQL[] =
    "INSERT INTO plusveld_values (definition_id, project_id, value, known_from, changed_by) "
    "SELECT d.id, p.id, v.value, $1::date, "
    "  COALESCE(NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb->>'email', 'import') "
    "FROM bs_import_staging x JOIN projects p ON p.source = COALESCE($2, x.source) AND p.source_key = x.source_key "
    "CROSS JOIN LATERAL jsonb_each(x.plusvelden) e "
    "CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(e.value->'value') = 'null' THEN NULL "
    "  ELSE e.value->'value' END AS value) v "
    "LEFT JOIN plusveld_definitions d ON d.id = (e.value->>'definition_id')::uuid "
    "  AND d.version = (e.value->>'version')::integer AND d.retired_at IS NULL "
    "  AND d.organisation_id = p.owner_organisation_id "
    "WHERE x.plusvelden IS NOT NULL AND (d.id IS NOT NULL OR bs_plusveld_stale(e.key)) "
    "AND v.value IS DISTINCT FROM (SELECT y.value FROM plusveld_values y WHERE y.definition_id = d.id "
    "  AND y.project_id = p.id AND y.block_id IS NULL ORDER BY y.id DESC LIMIT 1)";

void bs_import_plan_plusvelden(bs_import_plan *plan, bs_day today, const char *source) {
    char day[11];
    const char *params[2] = {bs_date_format(today, day), source};
    bs_import_plan_stmt(plan, "storing plusvelden failed", false, PV_IMPORT_SQL, 2, params);
}

/* Appends the checked values of the staged blocks (x.blocks -> 'plusvelden': an array parallel
 * to x.blocks -> 'blocks', null or {key: {"definition_id", "version", "value"}} per block) where
 * they differ from the block's current value. The file's j-th block is the project's stored
 * block with the same eleven members, the n-th of equal blocks in the file being the n-th of
 * equal stored blocks (created_at, id): bs_import_plan_blocks keeps equal blocks and stores the
 * file's blocks in its order, so the statement runs after that one. Versioned, audited and
 * guarded against a changed definition as PV_IMPORT_SQL, with applies_to 'block'. $1 known_from,
 * $2 the source when the staging rows lack it. */
static const char PV_BLOCK_IMPORT_SQL[] =
    "WITH fb AS MATERIALIZED (SELECT p.id AS pid, p.owner_organisation_id AS org, a.j AS content, "
    "  x.blocks -> 'plusvelden' -> ((a.n - 1)::integer) AS pv, "
    "  row_number() OVER (PARTITION BY p.id, a.j ORDER BY a.n) AS r "
    "  FROM bs_import_staging x JOIN projects p ON p.source = COALESCE($2::text, x.source) "
    "  AND p.source_key = x.source_key "
    "  CROSS JOIN LATERAL jsonb_array_elements(x.blocks -> 'blocks') WITH ORDINALITY AS a(j, n) "
    "  WHERE jsonb_typeof(x.blocks -> 'plusvelden') = 'array'), "
    "sb AS (SELECT b.id AS bid, b.project_id AS pid, to_jsonb(c) AS content, "
    "  row_number() OVER (PARTITION BY b.project_id, to_jsonb(c) ORDER BY b.created_at, b.id) AS r "
    "  FROM project_blocks b CROSS JOIN LATERAL (SELECT b.homes, b.kind, b.home_type, b.tenure, b.price_class, "
    "  b.target_group, b.milestone, b.period_from, b.period_to, b.correction, b.spread) c "
    "  WHERE b.project_id IN (SELECT pid FROM fb)) "
    "INSERT INTO plusveld_values (definition_id, project_id, block_id, value, known_from, changed_by) "
    "SELECT d.id, fb.pid, sb.bid, v.value, $1::date, "
    "  COALESCE(NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb->>'email', 'import') "
    "FROM fb JOIN sb ON sb.pid = fb.pid AND sb.content = fb.content AND sb.r = fb.r "
    "CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(fb.pv) = 'object' THEN fb.pv ELSE '{}' END) e "
    "CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(e.value->'value') = 'null' THEN NULL "
    "  ELSE e.value->'value' END AS value) v "
    "LEFT JOIN plusveld_definitions d ON d.id = (e.value->>'definition_id')::uuid "
    "  AND d.version = (e.value->>'version')::integer AND d.retired_at IS NULL AND d.applies_to = 'block' "
    "  AND d.organisation_id = fb.org "
    "WHERE (d.id IS NOT NULL OR bs_plusveld_stale(e.key)) "
    "AND v.value IS DISTINCT FROM (SELECT y.value FROM plusveld_values y WHERE y.definition_id = d.id "
    "  AND y.project_id = fb.pid AND y.block_id = sb.bid ORDER BY y.id DESC LIMIT 1)";

void bs_import_plan_block_plusvelden(bs_import_plan *plan, bs_day today, const char *source) {
    char day[11];
    const char *params[2] = {bs_date_format(today, day), source};
    bs_import_plan_stmt(plan, "storing block plusvelden failed", false, PV_BLOCK_IMPORT_SQL, 2, params);
}
