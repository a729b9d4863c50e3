/*
 * Bouwstroom API: the SQL of the plusvelden routes (routes_plusvelden.c; migration 0033;
 * docs/homes-and-goals.md "Plusvelden").
 *
 * Named statements (bs_stmt, store.h). A definition's body travels as one jsonb parameter
 * whose members the handler has validated and completed (every column given).
 */
#ifndef BS_ROUTES_PLUSVELDEN_SQL_H
#define BS_ROUTES_PLUSVELDEN_SQL_H

#include "store.h"

/* A definition as the API shows it (d: a plusveld_definitions row). */
#define PV_DEF_JSON(d)                                                                                                 \
    "json_build_object('id', " d ".id, 'organisation_id', " d ".organisation_id, 'applies_to', " d ".applies_to, "     \
    "'key', " d ".key, 'label', json_build_object('nl', " d ".label_nl, 'en', " d ".label_en), 'type', " d ".type, "   \
    "'required', " d ".required, 'required_from_step', " d ".required_from_step, 'min', " d ".min_value, "             \
    "'max', " d ".max_value, 'categories', " d ".categories, 'pattern', " d ".pattern, 'public', " d ".public, "       \
    "'version', " d ".version, 'created_at', " d ".created_at, 'updated_at', " d ".updated_at, "                       \
    "'retired_at', " d ".retired_at, 'retired', " d ".retired_at IS NOT NULL)"

/* One page of an organisation's definitions: count and page as JSON, by kind and key. $1 organisation id,
 * $2 retired filter ('false': the active ones, what a form shows; 'true': the retired ones; 'all'), $3 applies_to
 * ('project', 'block') or NULL (both), $4 limit, $5 offset. */
static const bs_stmt SQL_PV_DEF_LIST = {
    "pv_def_list",
    "WITH f AS (SELECT * FROM plusveld_definitions d WHERE d.organisation_id = $1::uuid "
    "  AND ($2 = 'all' OR (d.retired_at IS NOT NULL) = ($2 = 'true')) "
    "  AND ($3::text IS NULL OR d.applies_to = $3)) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(" PV_DEF_JSON(
        "p") " ORDER BY p.applies_to, p.key) FROM (SELECT * FROM f ORDER BY applies_to, key "
             "LIMIT $4::bigint OFFSET $5::bigint) p), '[]')",
    5};

/* Columns of a definition from the validated body j (every member present; null = none). */
#define PV_DEF_FROM_J                                                                                                  \
    "j->>'label_nl', j->>'label_en', (j->>'required')::boolean, j->>'required_from_step', "                            \
    "(j->>'min')::numeric, (j->>'max')::numeric, "                                                                     \
    "CASE WHEN jsonb_typeof(j->'categories') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(j->'categories')) " \
    "END, j->>'pattern', (j->>'public')::boolean"

/* Adds a definition to organisation $1 from the validated body $2 (jsonb). Returns it as JSON. */
static const bs_stmt SQL_PV_DEF_INSERT = {
    "pv_def_insert",
    "WITH ins AS (INSERT INTO plusveld_definitions (organisation_id, applies_to, key, type, label_nl, label_en, "
    "  required, required_from_step, min_value, max_value, categories, pattern, public) "
    "SELECT $1::uuid, j->>'applies_to', j->>'key', j->>'type', " PV_DEF_FROM_J " FROM (SELECT $2::jsonb AS j) s "
    "RETURNING *) SELECT " PV_DEF_JSON("ins") " FROM ins",
    2};

/* Definition $2 (key) of organisation $1 as JSON, retired or not; no row when there is none. */
static const bs_stmt SQL_PV_DEF_GET = {
    "pv_def_get",
    "SELECT " PV_DEF_JSON("d") " FROM plusveld_definitions d WHERE d.organisation_id = $1::uuid AND d.key = $2", 2};

/* Replaces the changeable columns of definition $1 from the validated body $3 (jsonb) when it is still at version
 * $2 and not retired; the version goes up (the pattern cache's key). Returns it as JSON, no row when it changed
 * meanwhile. */
static const bs_stmt SQL_PV_DEF_UPDATE = {
    "pv_def_update",
    "WITH upd AS (UPDATE plusveld_definitions d SET (label_nl, label_en, required, required_from_step, min_value, "
    "  max_value, categories, pattern, public) = (SELECT " PV_DEF_FROM_J "), version = d.version + 1, "
    "  updated_at = now() FROM (SELECT $3::jsonb AS j) s "
    "WHERE d.id = $1::uuid AND d.version = $2::integer AND d.retired_at IS NULL RETURNING d.*) "
    "SELECT " PV_DEF_JSON("upd") " FROM upd",
    3};

/* Retires definition $2 (key) of organisation $1 when values exist (kept, retired_at set once), else deletes it.
 * Returns (outcome, JSON): 'deleted' (JSON NULL), 'retired' (the definition); no row when there is none. */
static const bs_stmt SQL_PV_DEF_RETIRE = {
    "pv_def_retire",
    "WITH d AS (SELECT * FROM plusveld_definitions WHERE organisation_id = $1::uuid AND key = $2 FOR UPDATE), "
    "v AS (SELECT EXISTS (SELECT 1 FROM plusveld_values x WHERE x.definition_id = (SELECT id FROM d)) AS has), "
    "del AS (DELETE FROM plusveld_definitions WHERE id = (SELECT id FROM d) AND NOT (SELECT has FROM v) "
    "  RETURNING id), "
    "ret AS (UPDATE plusveld_definitions x SET retired_at = now(), updated_at = now(), version = x.version + 1 "
    "  WHERE x.id = (SELECT id FROM d) AND (SELECT has FROM v) AND x.retired_at IS NULL RETURNING x.*) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM del) THEN 'deleted' ELSE 'retired' END, "
    "  CASE WHEN NOT EXISTS (SELECT 1 FROM del) THEN COALESCE((SELECT " PV_DEF_JSON(
        "ret") " FROM ret), "
               "  (SELECT " PV_DEF_JSON("d") " FROM d)) END FROM d",
    2};

/* The kind of object a value statement is about: $2 block id or NULL (the project). */
#define PV_APPLIES "CASE WHEN $2::uuid IS NULL THEN 'project' ELSE 'block' END"

/* What a write of values needs: (block exists (or no block asked), the active definitions of the project's owner
 * for the kind as a JSON array, the current values (object key -> value), the keys of the project's done steps).
 * $1 project id, $2 block id or NULL. */
static const bs_stmt SQL_PV_LOAD = {
    "pv_load",
    "SELECT $2::uuid IS NULL OR EXISTS (SELECT 1 FROM project_blocks b WHERE b.id = $2::uuid "
    "  AND b.project_id = $1::uuid), "
    "COALESCE((SELECT json_agg(json_build_object('id', d.id, 'key', d.key, 'type', d.type, 'version', d.version, "
    "  'required', d.required, 'required_from_step', d.required_from_step, 'min', d.min_value, 'max', d.max_value, "
    "  'categories', d.categories, 'pattern', d.pattern) ORDER BY d.key) FROM plusveld_definitions d "
    "  JOIN projects p ON p.id = $1::uuid AND p.owner_organisation_id = d.organisation_id "
    "  WHERE d.retired_at IS NULL AND d.applies_to = " PV_APPLIES "), '[]'), "
    "bs_plusvelden_values($1::uuid, $2::uuid, NULL, false), "
    "COALESCE((SELECT json_agg(s.step_key ORDER BY s.step_key) FROM project_steps s WHERE s.project_id = $1::uuid "
    "  AND s.status = 'done'), '[]')",
    2};

/* Appends the changed values: $3 a JSON array of {definition_id, version, value} (value null: cleared), written
 * only when every definition is still active at that version and only where the value differs from the current
 * one. $1 project id, $2 block id or NULL, $4 known_from (date), $5 reason or NULL, $6 changed by (email).
 * Returns (definitions changed meanwhile, values appended). */
static const bs_stmt SQL_PV_WRITE = {
    "pv_write",
    "WITH i AS (SELECT (e->>'definition_id')::uuid AS def, (e->>'version')::integer AS ver, "
    "  CASE WHEN jsonb_typeof(e->'value') = 'null' THEN NULL ELSE e->'value' END AS value "
    "  FROM jsonb_array_elements($3::jsonb) e), "
    "stale AS (SELECT count(*) AS n FROM i LEFT JOIN plusveld_definitions d ON d.id = i.def AND d.version = i.ver "
    "  AND d.retired_at IS NULL WHERE d.id IS NULL), "
    "ins AS (INSERT INTO plusveld_values (definition_id, project_id, block_id, value, known_from, reason, changed_by) "
    "  SELECT i.def, $1::uuid, $2::uuid, i.value, $4::date, $5, $6 FROM i WHERE (SELECT n FROM stale) = 0 "
    "  AND i.value IS DISTINCT FROM (SELECT x.value FROM plusveld_values x WHERE x.definition_id = i.def "
    "    AND x.project_id = $1::uuid AND x.block_id IS NOT DISTINCT FROM $2::uuid ORDER BY x.id DESC LIMIT 1) "
    "  RETURNING 1) "
    "SELECT (SELECT n FROM stale), (SELECT count(*) FROM ins)",
    6};

/* The values of a project ($2 NULL) or block as known on $3 (NULL: now) with the form's definitions (active, of
 * the kind) and, for now, the required check: (block exists, JSON). $1 project id. */
static const bs_stmt SQL_PV_READ = {
    "pv_read",
    "SELECT $2::uuid IS NULL OR EXISTS (SELECT 1 FROM project_blocks b WHERE b.id = $2::uuid "
    "  AND b.project_id = $1::uuid), "
    "json_build_object('project_id', $1::uuid, 'block_id', $2::uuid, 'known_on', $3::date, "
    "  'plusvelden', bs_plusvelden_values($1::uuid, $2::uuid, $3::date, false), "
    "  'missing_required', CASE WHEN $3::date IS NULL THEN bs_plusvelden_missing($1::uuid, $2::uuid) END, "
    "  'definitions', COALESCE((SELECT json_agg(" PV_DEF_JSON(
        "d") " ORDER BY d.key) FROM plusveld_definitions d "
             "    JOIN projects p ON p.id = $1::uuid AND p.owner_organisation_id = d.organisation_id "
             "    WHERE d.retired_at IS NULL AND d.applies_to = " PV_APPLIES "), '[]'))",
    3};

/* One page of the history of a project's plusveld values (its blocks' included), retired fields included, newest
 * first: count and page as JSON. $1 project id, $2 limit, $3 offset. */
static const bs_stmt SQL_PV_HISTORY = {
    "pv_history",
    "SELECT (SELECT count(*) FROM plusveld_values WHERE project_id = $1::uuid), "
    "COALESCE((SELECT json_agg(r ORDER BY r.id DESC) FROM (SELECT x.id, d.key, d.applies_to, "
    "  json_build_object('nl', d.label_nl, 'en', d.label_en) AS label, d.retired_at IS NOT NULL AS retired, "
    "  x.block_id, x.value, x.known_from, x.reason, x.changed_by, x.changed_at FROM plusveld_values x "
    "  JOIN plusveld_definitions d ON d.id = x.definition_id WHERE x.project_id = $1::uuid "
    "  ORDER BY x.id DESC LIMIT $2::bigint OFFSET $3::bigint) r), '[]')",
    3};

#endif
