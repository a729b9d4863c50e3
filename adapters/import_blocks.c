/*
 * Woningblokken in the project imports of the exchange. See import_blocks.h and
 * docs/blocks.md "Exchange".
 */
#include "import_blocks.h"

#include <stdint.h>
#include <string.h>

json_t *bs_import_block_check(bs_block_milestone_fn is_milestone, const void *arg, const json_t *b, bs_err *err) {
    if (bs_block_check(b, true, is_milestone, arg, err) != 0) return NULL;
    static const struct {
        const char *member, *dflt; /* dflt NULL: JSON null */
    } defaults[] = {{"kind", "nieuwbouw"},       {"home_type", "onbekend"}, {"tenure", "onbekend"},
                    {"price_class", "onbekend"}, {"target_group", NULL},    {"milestone", "laatste_oplevering"},
                    {"period_from", NULL},       {"period_to", NULL},       {"spread", NULL}};
    json_t *out = json_deep_copy(b);
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (!json_object_get(out, defaults[i].member))
            json_object_set_new(out, defaults[i].member,
                                defaults[i].dflt ? json_string(defaults[i].dflt) : json_null());
    if (!json_object_get(out, "correction")) json_object_set_new(out, "correction", json_false());
    return out;
}

/* The completions column of a period [from, to] (years): the range of the EIB file that holds
 * it whole, else completions_unknown. */
static const char *period_column(json_int_t from, json_int_t to) {
    static const struct {
        json_int_t from, to;
        const char *col;
    } ranges[] = {{2019, 2019, "completions_2019"},
                  {2020, 2024, "completions_2020_2024"},
                  {2025, 2029, "completions_2025_2029"},
                  {2030, 2050, "completions_2030_2050"}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (from >= ranges[i].from && to <= ranges[i].to && from <= to) return ranges[i].col;
    return "completions_unknown";
}

static void add(json_t *counts, const char *col, json_int_t homes) {
    json_object_set_new(counts, col, json_integer(json_integer_value(json_object_get(counts, col)) + homes));
}

void bs_import_blocks_derive(json_t *rec, const json_t *blocks) {
    /* an object: the COPY text of a JSON array is a PostgreSQL array (copy_text.c) */
    json_object_set_new(rec, "blocks", json_pack("{s:O}", "blocks", (json_t *)(uintptr_t)blocks));
    if (json_array_size(blocks) == 0) return;
    static const char *const cols[] = {"homes_remaining",       "completions_2019",      "completions_2020_2024",
                                       "completions_2025_2029", "completions_2030_2050", "completions_unknown",
                                       "type_grondgebonden",    "type_appartement",      "type_onbekend",
                                       "tenure_huur",           "tenure_koop",           "tenure_onbekend"};
    json_t *counts = json_object();
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) json_object_set_new(counts, cols[i], json_integer(0));
    bool sloop = false;
    json_int_t demolition = 0;
    size_t i;
    json_t *b;
    json_array_foreach(blocks, i, b) {
        json_int_t homes = json_integer_value(json_object_get(b, "homes"));
        if (strcmp(json_string_value(json_object_get(b, "kind")), "sloop") == 0) {
            sloop = true;
            demolition += homes;
            continue;
        }
        const char *type = json_string_value(json_object_get(b, "home_type"));
        const char *tenure = json_string_value(json_object_get(b, "tenure"));
        json_t *from = json_object_get(b, "period_from"), *to = json_object_get(b, "period_to");
        add(counts, "homes_remaining", homes);
        add(counts,
            strcmp(type, "grondgebonden") == 0 ? "type_grondgebonden"
            : strcmp(type, "meergezins") == 0  ? "type_appartement"
                                               : "type_onbekend",
            homes);
        add(counts,
            strcmp(tenure, "huur") == 0   ? "tenure_huur"
            : strcmp(tenure, "koop") == 0 ? "tenure_koop"
                                          : "tenure_onbekend",
            homes);
        add(counts,
            json_is_integer(from) && json_is_integer(to)
                ? period_column(json_integer_value(from), json_integer_value(to))
                : "completions_unknown",
            homes);
    }
    json_object_update(rec, counts);
    json_decref(counts);
    /* stored as the EIB file writes Sloop: negative (docs/exports.md §1) */
    if (sloop) json_object_set_new(rec, "demolition", json_integer(-demolition));
}

/* Replaces the blocks of each staged project with blocks by the record's, unless they are
 * equal already (compared as sorted lists of the eleven members: jsonb text is canonical). The
 * blocks keep the file's order: the API and the export list blocks by created_at, so the j-th
 * block of a project is created j microseconds after the transaction's start. $1: the source (NULL: the record's). The row
 * trigger audits every change (migration 0031). */
static const char BLOCKS_SQL[] =
    "WITH px AS MATERIALIZED (SELECT p.id, x.blocks -> 'blocks' AS blocks FROM bs_import_staging x "
    "  JOIN projects p ON p.source = COALESCE($1::text, x.source) AND p.source_key = x.source_key "
    "  WHERE x.blocks IS NOT NULL AND (SELECT COALESCE(jsonb_agg(e ORDER BY e::text), '[]') "
    "    FROM jsonb_array_elements(x.blocks -> 'blocks') e) IS DISTINCT FROM "
    "  (SELECT COALESCE(jsonb_agg(to_jsonb(c) ORDER BY to_jsonb(c)::text), '[]') FROM (SELECT homes, kind, "
    "    home_type, tenure, price_class, target_group, milestone, period_from, period_to, correction, spread "
    "    FROM project_blocks WHERE project_id = p.id) c)), "
    "d AS (DELETE FROM project_blocks b USING px WHERE b.project_id = px.id) "
    "INSERT INTO project_blocks (project_id, homes, kind, home_type, tenure, price_class, target_group, milestone, "
    "  period_from, period_to, correction, spread, created_at, updated_at) "
    "SELECT px.id, e.homes, e.kind, e.home_type, e.tenure, e.price_class, e.target_group, e.milestone, e.period_from, "
    "  e.period_to, e.correction, e.spread, now() + (a.n - 1) * interval '1 microsecond', now() "
    "FROM px CROSS JOIN LATERAL jsonb_array_elements(px.blocks) WITH ORDINALITY AS a(j, n) "
    "CROSS JOIN LATERAL jsonb_to_record(a.j) AS e(homes integer, kind text, home_type text, tenure text, "
    "  price_class text, target_group text, milestone text, period_from integer, period_to integer, "
    "  correction boolean, spread jsonb) "
    "ORDER BY px.id, a.n";

void bs_import_plan_blocks(bs_import_plan *plan, const char *source) {
    const char *params[1] = {source};
    bs_import_plan_stmt(plan, "storing blocks failed", false, BLOCKS_SQL, 1, params);
}
