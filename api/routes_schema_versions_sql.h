/*
 * Bouwstroom API: the named statements of api/routes_schema_versions.c (process schema
 * versions, issue 19 item 1; migration 0030). Included by that file only.
 *
 * Visibility of a stored version: national (organisation_id NULL), or of an organisation the
 * caller belongs to or administers, or any for an administrator of the installation. The
 * shipped schema of processes/ is version 1 of its key and is not stored (migration 0030):
 * the statements take its name and version as parameters where it belongs in the answer.
 */
#ifndef BS_ROUTES_SCHEMA_VERSIONS_SQL_H
#define BS_ROUTES_SCHEMA_VERSIONS_SQL_H

#include "store.h"

/* Stores the next version of a key. $1 key, $2 name, $3 the schema document (JSON; its
 * "version" is replaced by the assigned one), $4 organisation id or NULL (national), $5 the
 * caller is an administrator of the installation, $6 organisations the caller is beheerder of
 * (uuid[] literal), $7 the shipped version of the key (0: not shipped). The key belongs to the
 * organisation of its first stored version (NULL: national; a shipped key is national): an
 * organisation adds versions of national keys and of its own only.
 * Returns one row: the organisation exists, the caller may deploy for it, the key is not
 * another organisation's, the stored version as JSON and its document (NULL when refused). */
static const bs_stmt SQL_SCHEMA_VERSION_INSERT = {
    "schema_version_insert",
    "WITH org AS (SELECT 1 WHERE $4::uuid IS NULL OR EXISTS (SELECT 1 FROM organisations WHERE id = $4::uuid)), "
    "mine AS (SELECT 1 WHERE $5::boolean OR ($4::uuid IS NOT NULL AND $4::uuid = ANY ($6::uuid[]))), "
    "owner AS (SELECT organisation_id FROM process_schemas WHERE key = $1 ORDER BY version LIMIT 1), "
    "free AS (SELECT 1 WHERE $7::int > 0 OR NOT EXISTS (SELECT 1 FROM owner WHERE organisation_id IS NOT NULL "
    "  AND organisation_id IS DISTINCT FROM $4::uuid)), "
    "nv AS (SELECT GREATEST(COALESCE((SELECT max(version) FROM process_schemas WHERE key = $1), 0), $7::int) + 1 AS v), "
    "ins AS (INSERT INTO process_schemas (key, version, name, definition, organisation_id) "
    "  SELECT $1, nv.v, $2, jsonb_set($3::jsonb, '{version}', to_jsonb(nv.v)), $4::uuid FROM nv "
    "  WHERE EXISTS (SELECT 1 FROM org) AND EXISTS (SELECT 1 FROM mine) AND EXISTS (SELECT 1 FROM free) "
    "  RETURNING key, version, name, organisation_id, loaded_at, definition) "
    "SELECT EXISTS (SELECT 1 FROM org), EXISTS (SELECT 1 FROM mine), EXISTS (SELECT 1 FROM free), "
    "  (SELECT row_to_json(x) FROM (SELECT key, version, name, organisation_id, loaded_at AS created_at, "
    "  false AS shipped, false AS in_use FROM ins) x), (SELECT definition::text FROM ins)",
    7};

/* One page of a key's versions, oldest first. $1 key, $2 limit, $3 offset, $4 the caller is an
 * administrator of the installation, $5 the caller's organisations (uuid[] literal), $6 the
 * shipped schema's name (NULL: the key is not shipped), $7 its version. Returns the count
 * (NULL when the key has no visible version) and the page as a JSON array of {key, version,
 * name, organisation_id, created_at, shipped, in_use}. */
static const bs_stmt SQL_SCHEMA_VERSION_LIST = {
    "schema_version_list",
    "WITH v AS (SELECT $7::int AS version, $6::text AS name, NULL::uuid AS organisation_id, "
    "  NULL::timestamptz AS created_at, true AS shipped WHERE $6::text IS NOT NULL "
    "  UNION ALL SELECT version, name, organisation_id, loaded_at, false FROM process_schemas WHERE key = $1 "
    "  AND (organisation_id IS NULL OR $4::boolean OR organisation_id = ANY ($5::uuid[]))) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM v) THEN (SELECT count(*) FROM v) END, "
    "  COALESCE((SELECT json_agg(x ORDER BY x.version) FROM (SELECT $1 AS key, version, name, organisation_id, "
    "  created_at, shipped, EXISTS (SELECT 1 FROM projects p WHERE p.process_schema_key = $1 "
    "  AND p.process_schema_version = v.version) AS in_use "
    "  FROM v ORDER BY version LIMIT $2::bigint OFFSET $3::bigint) x), '[]')",
    7};

/* The documents of up to two stored versions of a key the caller sees. $1 key, $2 and $3
 * versions, $4 administrator of the installation, $5 the caller's organisations (uuid[]
 * literal). Returns one row: the document of $2 and of $3 (NULL: none visible). */
static const bs_stmt SQL_SCHEMA_VERSION_GET = {
    "schema_version_get",
    "SELECT (SELECT definition FROM process_schemas WHERE key = $1 AND version = $2::int "
    "  AND (organisation_id IS NULL OR $4::boolean OR organisation_id = ANY ($5::uuid[]))), "
    "  (SELECT definition FROM process_schemas WHERE key = $1 AND version = $3::int "
    "  AND (organisation_id IS NULL OR $4::boolean OR organisation_id = ANY ($5::uuid[])))",
    5};

/* Sets which version of a key new projects of an organisation get (migration 0030,
 * organisation_schema_versions). $1 organisation id, $2 key, $3 version, $4 the caller is an
 * administrator of the installation, $5 organisations the caller is beheerder of (uuid[]
 * literal), $6 the shipped version of the key (0: not shipped). Returns one row: the
 * organisation exists, the caller administers it, the version exists for it (shipped, national
 * or its own), and the setting as JSON (NULL when refused). */
static const bs_stmt SQL_ORG_SCHEMA_VERSION_UPSERT = {
    "org_schema_version_upsert",
    "WITH org AS (SELECT id FROM organisations WHERE id = $1::uuid), "
    "mine AS (SELECT 1 FROM org WHERE $4::boolean OR id = ANY ($5::uuid[])), "
    "ver AS (SELECT 1 WHERE $3::int = $6::int OR EXISTS (SELECT 1 FROM process_schemas WHERE key = $2 "
    "  AND version = $3::int AND (organisation_id IS NULL OR organisation_id = $1::uuid))), "
    "up AS (INSERT INTO organisation_schema_versions (organisation_id, schema_key, version) "
    "  SELECT id, $2, $3::int FROM org WHERE EXISTS (SELECT 1 FROM mine) AND EXISTS (SELECT 1 FROM ver) "
    "  ON CONFLICT (organisation_id, schema_key) DO UPDATE SET version = EXCLUDED.version, updated_at = now() "
    "  RETURNING organisation_id, schema_key AS key, version, updated_at) "
    "SELECT EXISTS (SELECT 1 FROM org), EXISTS (SELECT 1 FROM mine), EXISTS (SELECT 1 FROM ver), "
    "  (SELECT row_to_json(up) FROM up)",
    6};

/* One page of an organisation's schema version settings, by key. $1 organisation id, $2 limit,
 * $3 offset, $4 administrator of the installation, $5 organisations the caller is beheerder of
 * (uuid[] literal). Returns the count (NULL when the organisation does not exist or the caller
 * does not administer it) and the page as a JSON array of {organisation_id, key, version,
 * updated_at}. */
static const bs_stmt SQL_ORG_SCHEMA_VERSION_LIST = {
    "org_schema_version_list",
    "WITH org AS (SELECT id FROM organisations WHERE id = $1::uuid AND ($4::boolean OR id = ANY ($5::uuid[]))) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM org) THEN (SELECT count(*) FROM organisation_schema_versions "
    "  WHERE organisation_id = $1::uuid) END, "
    "  COALESCE((SELECT json_agg(x ORDER BY x.key) FROM (SELECT organisation_id, schema_key AS key, version, "
    "  updated_at FROM organisation_schema_versions WHERE organisation_id = $1::uuid "
    "  ORDER BY schema_key LIMIT $2::bigint OFFSET $3::bigint) x), '[]')",
    5};

#endif
