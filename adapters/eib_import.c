/*
 * EIB 2020 GeoJSON plan import. See eib_import.h.
 */
#include "eib_import.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "auth.h"
#include "blocks.h"
#include "clock.h"
#include "copy_text.h"
#include "import_pipeline.h"
#include "plan.h"

#define SCHEMA_KEY "ppm-woningbouw"

/* Integer properties copied as given (negative corrections kept). */
static const struct {
    const char *prop;
    const char *column;
} count_cols[] = {
    {"Aantalrest", "homes_remaining"},
    {"Sloop", "demolition"},
    {"OP2019", "completions_2019"},
    {"OP202024", "completions_2020_2024"},
    {"Op202529", "completions_2025_2029"},
    {"Op20302050", "completions_2030_2050"},
    {"OPLONB", "completions_unknown"},
    {"WTYPGGB", "type_grondgebonden"},
    {"WTYPAPP", "type_appartement"},
    {"WTYPONB", "type_onbekend"},
    {"HUUR", "tenure_huur"},
    {"KOOP", "tenure_koop"},
    {"HRKPONB", "tenure_onbekend"},
};
#define N_COUNT_COLS (sizeof count_cols / sizeof count_cols[0])

/* Other columns of the record set, with their SQL types. */
static const struct {
    const char *column;
    const char *type;
} text_cols[] = {
    {"name", "text"},
    {"gemeente", "text"},
    {"provincie", "text"},
    {"plantype", "text"},
    {"plantype_raw", "text"},
    {"planstatus", "text"},
    {"planstatus_raw", "text"},
    {"expected_period", "text"},
    {"expected_by", "date"},
    {"progress_date", "date"},
    {"progress_date_estimated", "boolean"},
    {"datum_raw", "text"},
    {"schatting", "text"},
    {"geometry", "jsonb"},
    {"geometry_crs", "text"},
    {"process_schema_key", "text"},
    {"process_schema_version", "integer"},
};
#define N_TEXT_COLS (sizeof text_cols / sizeof text_cols[0])

typedef struct import_job {
    const bs_engine *engine;
    const bs_schema *schema;
    char *path;       /* owned */
    char *source;     /* owned */
    json_t *settings; /* owned: the version settings (BS_IMPORT_VERSION_SETTINGS_SQL), read before the run */
    uv_loop_t *loop;
    bs_store *store;
    FILE *progress;
    bs_import_cb cb;
    void *arg;
    bs_import_result result;  /* filled by prepare on the thread pool, then by done on the loop */
    bs_eib_step_ids step_ids; /* the new projects' step rows (prepare's thread) */
} import_job;

bs_day bs_eib_expected_by(long op2019, long op2020_2024, long op2025_2029, long op2030_2050, const char **label) {
    if (op2030_2050 > 0) {
        *label = "2030-2050";
        return bs_date_from_ymd(2050, 12, 31);
    }
    if (op2025_2029 > 0) {
        *label = "2025-2029";
        return bs_date_from_ymd(2029, 12, 31);
    }
    if (op2020_2024 > 0) {
        *label = "2020-2024";
        return bs_date_from_ymd(2024, 12, 31);
    }
    if (op2019 > 0) {
        *label = "2019";
        return bs_date_from_ymd(2019, 12, 31);
    }
    *label = NULL;
    return BS_DAY_NONE;
}

static void warn(bs_import_result *r, const char *kind, long objectid, const char *detail) {
    int i;
    for (i = 0; i < r->n_kinds; i++)
        if (strcmp(r->warnings[i].kind, kind) == 0) break;
    if (i == r->n_kinds) {
        if (r->n_kinds == BS_IMPORT_MAX_WARNING_KINDS) return;
        r->n_kinds++;
        r->warnings[i].kind = kind;
        r->warnings[i].count = 0;
        snprintf(r->warnings[i].example, sizeof r->warnings[i].example, "OBJECTID %ld: %s", objectid,
                 detail ? detail : "");
    }
    r->warnings[i].count++;
}

static const char *prop_str(json_t *props, const char *name) {
    json_t *v = json_object_get(props, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Parses the file's datum: "d-m-yyyy" or "yyyy" (→ 1 January, estimated). */
static int parse_datum(const char *s, bs_day *out, bool *estimated) {
    int d, m, y, n = 0;
    if (sscanf(s, "%d-%d-%d%n", &d, &m, &y, &n) == 3 && s[n] == 0 && bs_date_valid(y, m, d)) {
        *out = bs_date_from_ymd(y, m, d);
        *estimated = false;
        return 0;
    }
    if (sscanf(s, "%4d%n", &y, &n) == 1 && n == 4 && s[4] == 0 && y >= 1900 && y <= 2100) {
        *out = bs_date_from_ymd(y, 1, 1);
        *estimated = true;
        return 0;
    }
    return -1;
}

static const char *province_name(const char *raw, bool *changed) {
    *changed = false;
    if (raw && (strcmp(raw, "Fryslan") == 0 || strcmp(raw, "Friesland") == 0)) {
        *changed = true;
        return "Fryslân";
    }
    return raw;
}

int bs_eib_plan_record(json_t *rec, const bs_schema *sc, const bs_calendar *cal, const char *planstatus,
                       bs_day data_date) {
    char datebuf[11];
    int rc = 0;
    json_object_set_new(rec, "process_schema_key", json_string(sc->key));
    json_object_set_new(rec, "process_schema_version", json_integer(sc->version));
    bs_progress *prog = bs_calloc((size_t)sc->n_steps, sizeof *prog);
    bs_plan_initial_progress(sc, planstatus, prog);
    json_t *steps = json_array();
    for (int32_t i = 0; i < sc->n_steps; i++) json_array_append_new(steps, json_string(bs_status_name(prog[i].status)));
    json_object_set_new(rec, "steps", steps);
    bs_schedule sched;
    if (bs_schedule_compute(sc, prog, data_date, cal, &sched) == BS_SCHEDULE_OK) {
        bs_day completion = bs_schedule_completion(sc, prog, &sched);
        json_object_set_new(rec, "planned_completion",
                            completion != BS_DAY_NONE ? json_string(bs_date_format(completion, datebuf)) : json_null());
        bs_schedule_free(&sched);
    } else {
        json_object_set_new(rec, "planned_completion", json_null());
        rc = -1;
    }
    free(prog);
    return rc;
}

/* The feature's OBJECTID (an integer, also as a whole real), recorded in `seen`, or -1 (and a
 * counted rejection) when it is missing or occurs a second time in the file. */
static long claim_objectid(bs_import_result *r, json_t *props, json_t *seen) {
    json_t *oid = props ? json_object_get(props, "OBJECTID") : NULL;
    long objectid = -1;
    double real = json_real_value(oid); /* a whole real within the doubles' exact integers (2^53) */
    if (json_is_integer(oid))
        objectid = (long)json_integer_value(oid);
    else if (json_is_real(oid) && floor(real) == real && fabs(real) <= 9007199254740992.0)
        objectid = (long)real;
    if (objectid < 0) {
        r->rejected++;
        warn(r, "rejected: no usable OBJECTID", -1, "feature without an integer OBJECTID");
        return -1;
    }
    char key[32];
    snprintf(key, sizeof key, "%ld", objectid);
    if (json_object_get(seen, key)) {
        r->rejected++;
        warn(r, "rejected: OBJECTID occurs twice in the file", objectid, "second occurrence skipped");
        return -1;
    }
    json_object_set_new(seen, key, json_true());
    return objectid;
}

/* The plan's gemeente: the file's Gem_naam, 'onbekend' when missing or empty. */
static const char *gemeente_of(json_t *props) {
    const char *gem = prop_str(props, "Gem_naam");
    return gem && *gem ? gem : "onbekend";
}

/* The plan's provincie: the file's Provincie with its spelling normalised (*changed), 'onbekend'
 * when missing or empty. */
static const char *provincie_of(json_t *props, bool *changed) {
    const char *prov = province_name(prop_str(props, "Provincie"), changed);
    if (!prov || !*prov) {
        *changed = false;
        return "onbekend";
    }
    return prov;
}

/* name, gemeente and provincie: a missing one named or set to 'onbekend', the province's
 * spelling normalised. */
static void set_names(bs_import_result *r, json_t *rec, json_t *props, long objectid) {
    const char *name = prop_str(props, "Plannaam");
    if (!name || !*name) {
        char buf[64];
        snprintf(buf, sizeof buf, "(naamloos plan %ld)", objectid);
        json_object_set_new(rec, "name", json_string(buf));
        warn(r, "plan name missing", objectid, "named after its OBJECTID");
    } else {
        json_object_set_new(rec, "name", json_string(name));
    }
    const char *gem = gemeente_of(props);
    if (gem != prop_str(props, "Gem_naam")) warn(r, "gemeente missing", objectid, "set to 'onbekend'");
    json_object_set_new(rec, "gemeente", json_string(gem));
    bool prov_changed;
    const char *prov_raw = prop_str(props, "Provincie");
    const char *prov = provincie_of(props, &prov_changed);
    if (!prov_raw || !*prov_raw) {
        warn(r, "provincie missing", objectid, "set to 'onbekend'");
    } else if (prov_changed) {
        char buf[96];
        snprintf(buf, sizeof buf, "'%s' written as '%s'", prov_raw, prov);
        warn(r, "provincie spelling normalised", objectid, buf);
    }
    json_object_set_new(rec, "provincie", json_string(prov));
}

/* planstatus and plantype, normalised (the file's spelling kept in the _raw columns).
 * Returns the normalised planstatus. */
static const char *set_plan_codes(bs_import_result *r, json_t *rec, json_t *props, long objectid) {
    const char *ps_raw = prop_str(props, "Planstatus");
    bool recognised = true;
    const char *ps = bs_planstatus_normalise(ps_raw, &recognised);
    if (!recognised) {
        char buf[128];
        snprintf(buf, sizeof buf, "'%s' → onbekend", ps_raw ? ps_raw : "");
        warn(r, "planstatus spelling not recognised", objectid, buf);
    }
    json_object_set_new(rec, "planstatus", json_string(ps));
    json_object_set_new(rec, "planstatus_raw", ps_raw ? json_string(ps_raw) : json_null());

    const char *pt_raw = prop_str(props, "Plantype");
    const char *pt = bs_plantype_normalise(pt_raw, &recognised);
    if (!pt_raw || !*pt_raw) {
        warn(r, "plantype empty", objectid, "→ onbekend");
    } else if (!recognised) {
        char buf[128];
        snprintf(buf, sizeof buf, "'%s' → onbekend", pt_raw);
        warn(r, "plantype spelling not recognised", objectid, buf);
    }
    json_object_set_new(rec, "plantype", json_string(pt));
    json_object_set_new(rec, "plantype_raw", pt_raw ? json_string(pt_raw) : json_null());
    return ps;
}

/* The count columns (a real rounded, a non-number or a number outside the integer column's
 * range ignored) and the expected completion period they imply. */
static void set_counts(bs_import_result *r, json_t *rec, json_t *props, long objectid) {
    long counts[N_COUNT_COLS];
    for (size_t i = 0; i < N_COUNT_COLS; i++) {
        json_t *v = json_object_get(props, count_cols[i].prop);
        counts[i] = 0;
        if (json_is_number(v) && !(json_number_value(v) >= INT32_MIN && json_number_value(v) <= INT32_MAX)) {
            json_object_set_new(rec, count_cols[i].column, json_null());
            warn(r, "count out of range (ignored)", objectid, count_cols[i].prop);
        } else if (json_is_integer(v)) {
            counts[i] = (long)json_integer_value(v);
            json_object_set_new(rec, count_cols[i].column, json_integer(counts[i]));
        } else if (json_is_real(v)) {
            counts[i] = lround(json_real_value(v));
            json_object_set_new(rec, count_cols[i].column, json_integer(counts[i]));
            if ((double)counts[i] != json_real_value(v))
                warn(r, "count not an integer (rounded)", objectid, count_cols[i].prop);
        } else {
            json_object_set_new(rec, count_cols[i].column, json_null());
            if (v && !json_is_null(v)) warn(r, "count not a number (ignored)", objectid, count_cols[i].prop);
        }
    }
    const char *label = NULL;
    bs_day by = bs_eib_expected_by(counts[2], counts[3], counts[4], counts[5], &label);
    char datebuf[11];
    json_object_set_new(rec, "expected_period", label ? json_string(label) : json_null());
    json_object_set_new(rec, "expected_by", by != BS_DAY_NONE ? json_string(bs_date_format(by, datebuf)) : json_null());
}

/* The progress date from the file's datum (a year alone: 1 January, estimated; unreadable:
 * 2020-01-01, estimated) and schatting. Returns the progress date. */
static bs_day set_progress_date(bs_import_result *r, json_t *rec, json_t *props, long objectid) {
    const char *datum = prop_str(props, "datum");
    bs_day progress_date;
    bool estimated;
    if (!datum || parse_datum(datum, &progress_date, &estimated) != 0) {
        progress_date = bs_date_from_ymd(2020, 1, 1);
        estimated = true;
        char buf[96];
        snprintf(buf, sizeof buf, "'%s' → 2020-01-01", datum ? datum : "");
        warn(r, "datum unreadable (2020-01-01 assumed)", objectid, buf);
    } else if (estimated) {
        warn(r, "datum is a year only (1 January, estimated)", objectid, datum);
    }
    char datebuf[11];
    json_object_set_new(rec, "progress_date", json_string(bs_date_format(progress_date, datebuf)));
    json_object_set_new(rec, "progress_date_estimated", json_boolean(estimated));
    json_object_set_new(rec, "datum_raw", datum ? json_string(datum) : json_null());
    const char *schatting = prop_str(props, "schatting");
    json_object_set_new(rec, "schatting", schatting && *schatting ? json_string(schatting) : json_null());
    return progress_date;
}

static void set_geometry(bs_import_result *r, json_t *rec, json_t *feature, const char *crs, long objectid) {
    json_t *geom = json_object_get(feature, "geometry");
    if (json_is_object(geom)) {
        json_object_set(rec, "geometry", geom);
        json_object_set_new(rec, "geometry_crs", json_string(crs));
    } else {
        json_object_set_new(rec, "geometry", json_null());
        json_object_set_new(rec, "geometry_crs", json_null());
        warn(r, "geometry missing", objectid, "");
    }
}

json_t *bs_eib_feature_record(const bs_schema *schema, const bs_calendar *cal, json_t *feature, const char *crs,
                              json_t *seen, bs_day today, bs_import_result *r) {
    json_t *props = json_object_get(feature, "properties");
    long objectid = claim_objectid(r, props, seen);
    if (objectid < 0) return NULL;
    char key[32];
    snprintf(key, sizeof key, "%ld", objectid);

    json_t *rec = json_object();
    json_object_set_new(rec, "source_key", json_string(key));
    set_names(r, rec, props, objectid);
    const char *ps = set_plan_codes(r, rec, props, objectid);
    set_counts(r, rec, props, objectid);
    bs_day progress_date = set_progress_date(r, rec, props, objectid);
    set_geometry(r, rec, feature, crs, objectid);
    /* planned completion from the data date: the later of the file's date and today */
    if (bs_eib_plan_record(rec, schema, cal, ps, bs_data_date(progress_date, today)) != 0)
        warn(r, "schedule could not be computed", objectid, "");
    return rec;
}

const char *bs_eib_file_crs(const json_t *root) {
    const char *name =
        json_string_value(json_object_get(json_object_get(json_object_get(root, "crs"), "properties"), "name"));
    return name && strstr(name, "28992") ? "EPSG:28992" : "EPSG:4326"; /* RFC 7946 default */
}

char *bs_projects_upsert_sql(const bs_project_column *extra, size_t n_extra) {
    size_t cap = 8192 + n_extra * 256;
    char *cols = bs_calloc(1, cap), *sets = bs_calloc(1, cap), *cmp_old = bs_calloc(1, cap),
         *cmp_new = bs_calloc(1, cap), *sel = bs_calloc(1, cap);
    size_t oc = 0, os = 0, oo = 0, on = 0, ol = 0;
    for (size_t i = 0; i < N_TEXT_COLS + N_COUNT_COLS + n_extra; i++) {
        const char *c = i < N_TEXT_COLS                  ? text_cols[i].column
                        : i < N_TEXT_COLS + N_COUNT_COLS ? count_cols[i - N_TEXT_COLS].column
                                                         : extra[i - N_TEXT_COLS - N_COUNT_COLS].column;
        const char *sep = i ? ", " : "";
        oc += (size_t)snprintf(cols + oc, cap - oc, "%s%s", sep, c);
        /* an "id" column (a Planmonitor export's plan_id) names new projects only: an existing
         * project keeps its id, and rows without one get a new id */
        bool is_id = strcmp(c, "id") == 0;
        ol += (size_t)snprintf(sel + ol, cap - ol, is_id ? "%sCOALESCE(x.id, gen_random_uuid())" : "%sx.%s", sep, c);
        /* an existing project keeps its schema version: moving it is a migration (docs/process-schema.md
         * "Migrating projects"), not a re-import */
        bool version = strcmp(c, "process_schema_key") == 0 || strcmp(c, "process_schema_version") == 0;
        if (strcmp(c, "confidentiality") != 0 && !is_id && !version) /* set by its own rule below */
            os += (size_t)snprintf(sets + os, cap - os, "%s%s = EXCLUDED.%s", os ? ", " : "", c, c);
        if (is_id || version) continue;
        oo += (size_t)snprintf(cmp_old + oo, cap - oo, "%sprojects.%s", oo ? ", " : "", c);
        on += (size_t)snprintf(cmp_new + on, cap - on, "%sEXCLUDED.%s", on ? ", " : "", c);
    }
    size_t need = 8 * cap;
    /* one gemeente organisation per Gem_naam owns its plans (an existing one found by a join, not
     * a subquery per row: over ≈ 100 organisations the planner scanned them all for every row, ≈ 25 %
     * of the statement's CPU; import_key is unique, so the join adds no row, and it sees, as the
     * subquery did, the organisations of the statement's snapshot: those of the orgs CTE come
     * from the CTE); hard plans (1A, 1B, 2A, 2B) are
     * at least extern mede-overheden, the rest intern ambtelijk unless the record sets a
     * level itself (an extra column "confidentiality", new projects only); a re-import never
     * changes an existing project's level except to raise a hard plan to extern
     * mede-overheden: levels are the project leader's (PATCH, audited; docs/security.md §2) */
    bool has_conf = false;
    for (size_t i = 0; i < n_extra; i++) has_conf |= strcmp(extra[i].column, "confidentiality") == 0;
    char *sql = bs_malloc(need);
    snprintf(sql, need,
             "WITH x AS (SELECT * FROM bs_import_staging), "
             "orgs AS (INSERT INTO organisations (name, kind, provincie, import_key) "
             "  SELECT DISTINCT ON (x.gemeente) x.gemeente, 'gemeente', x.provincie, 'gemeente:' || x.gemeente "
             "  FROM x WHERE x.gemeente IS NOT NULL ORDER BY x.gemeente, x.provincie "
             "  ON CONFLICT (import_key) DO NOTHING RETURNING id, import_key) "
             "INSERT INTO projects (source, source_key, planned_completion, owner_organisation_id%s, %s) "
             "SELECT $1, x.source_key, x.planned_completion, "
             "  COALESCE((SELECT id FROM orgs WHERE orgs.import_key = 'gemeente:' || x.gemeente), o.id)%s, "
             "  %s FROM x LEFT JOIN organisations o ON o.import_key = 'gemeente:' || x.gemeente "
             "ON CONFLICT (source, source_key) DO UPDATE SET %s, "
             "  owner_organisation_id = COALESCE(projects.owner_organisation_id, EXCLUDED.owner_organisation_id), "
             "  confidentiality = CASE WHEN EXCLUDED.planstatus IN ('1A','1B','2A','2B') "
             "    AND bs_confidentiality_rank(%s) < 5 THEN 'extern_mede_overheden' "
             "    ELSE %s END, updated_at = now() "
             "WHERE (%s) IS DISTINCT FROM (%s) "
             "RETURNING (xmax = 0) AS inserted, id",
             has_conf ? "" : ", confidentiality", cols,
             has_conf ? ""
                      : ", CASE WHEN x.planstatus IN ('1A','1B','2A','2B') THEN 'extern_mede_overheden' "
                        "ELSE 'intern_ambtelijk' END",
             sel, sets, "projects.confidentiality", "projects.confidentiality", cmp_old, cmp_new);
    free(sel);
    free(cols);
    free(sets);
    free(cmp_old);
    free(cmp_new);
    return sql;
}

/* The projects whose initial steps the step statements write: each staged record's project,
 * whether this transaction wrote its row (xmin: inserted or updated it), its step keys (the
 * record's step_keys, else $1), and how many of them it has; a project moved to another version of its schema keeps its steps.
 * $1 step keys, $2 source tag. */
#define STEPS_TARGETS                                                                                                  \
    "px AS MATERIALIZED (SELECT p.id, x.steps, COALESCE(x.step_keys, $1::text[]) AS keys, "                            \
    "  p.xmin = pg_current_xact_id()::xid AS ours, "                                                                   \
    "  (SELECT count(*) FROM project_steps e WHERE e.project_id = p.id "                                               \
    "   AND e.step_key = ANY (COALESCE(x.step_keys, $1::text[]))) AS n_have "                                          \
    "  FROM bs_import_staging x JOIN projects p ON p.source = $2 AND p.source_key = x.source_key "                     \
    "  AND p.process_schema_version = x.process_schema_version) "

const char *bs_projects_steps_existing_sql(void) {
    /* a project that existed before this transaction (or has steps already) gets the steps it
     * lacks: a project with every step is skipped by the count, the others probe per step (a
     * subplan, evaluated for those rows only); ON CONFLICT keeps a step a concurrent transaction
     * inserted meanwhile. The number inserted goes to the audit summary (bs_projects_steps_new_sql). */
    return "WITH " STEPS_TARGETS ", "
           "s AS (INSERT INTO project_steps (project_id, step_key, status, actual_estimated) "
           "SELECT px.id, u.step_key, u.status, u.status = 'done' FROM px "
           "CROSS JOIN LATERAL unnest(px.keys, px.steps) AS u(step_key, status) "
           "WHERE NOT (px.ours AND px.n_have = 0) AND px.n_have < cardinality(px.steps) "
           "AND CASE WHEN px.n_have = 0 THEN true ELSE NOT EXISTS (SELECT 1 FROM project_steps e "
           "  WHERE e.project_id = px.id AND e.step_key = u.step_key) END "
           "ON CONFLICT (project_id, step_key) DO NOTHING RETURNING 1) "
           "SELECT set_config('bouwstroom.import_steps', (SELECT count(*) FROM s)::text, true)";
}

/* STEPS_TARGETS without the projects this statement's batch inserted: a new project gets the
 * staged record's id (bs_projects_upsert_sql), an existing one keeps its own. Each staged record's
 * project is found by the (source, source_key) index (a LATERAL subquery fenced by OFFSET 0: the
 * planner, misled by the statistics of a table an import is filling, otherwise read every project
 * of the source for every batch, a cost that grows with the table). */
#define STEPS_TARGETS_NOT_INSERTED                                                                                     \
    "px AS MATERIALIZED (SELECT p.id, x.steps, COALESCE(x.step_keys, $1::text[]) AS keys, "                            \
    "  (SELECT count(*) FROM project_steps e WHERE e.project_id = p.id "                                               \
    "   AND e.step_key = ANY (COALESCE(x.step_keys, $1::text[]))) AS n_have "                                          \
    "  FROM bs_import_staging x CROSS JOIN LATERAL (SELECT p.id FROM projects p WHERE p.source = $2 "                  \
    "  AND p.source_key = x.source_key AND p.process_schema_version = x.process_schema_version "                       \
    "  AND p.id IS DISTINCT FROM x.id OFFSET 0) p) "

const char *bs_projects_steps_missing_sql(void) {
    /* the projects of the batch it did not insert (their steps came by COPY) get the steps they
     * lack, as in bs_projects_steps_existing_sql, also one this transaction updated that has no
     * step at all (its row is locked: the conflict check finds nothing) */
    return "WITH " STEPS_TARGETS_NOT_INSERTED ", "
           "s AS (INSERT INTO project_steps (project_id, step_key, status, actual_estimated) "
           "SELECT px.id, u.step_key, u.status, u.status = 'done' FROM px "
           "CROSS JOIN LATERAL unnest(px.keys, px.steps) AS u(step_key, status) "
           "WHERE px.n_have < cardinality(px.steps) "
           "AND CASE WHEN px.n_have = 0 THEN true ELSE NOT EXISTS (SELECT 1 FROM project_steps e "
           "  WHERE e.project_id = px.id AND e.step_key = u.step_key) END "
           "ON CONFLICT (project_id, step_key) DO NOTHING RETURNING 1) "
           "SELECT set_config('bouwstroom.import_steps', (SELECT count(*) FROM s)::text, true)";
}

const char *bs_projects_blocks_sql(void) {
    /* the imported blocks of each staged project with blocks are replaced by the record's
     * (blocks added through the API, imported = false, stay); the DELETE does not see the rows
     * the INSERT of the same statement adds. A project the batch inserted (it has the record's
     * id: bs_projects_upsert_sql; the EIB import gives every record a new one) has no blocks
     * yet: the DELETE skips it, and with only such projects reads no block at all. Each record's
     * project is found by the (source, source_key) index, as in STEPS_TARGETS_NOT_INSERTED. */
    return "WITH px AS MATERIALIZED (SELECT p.id, x.blocks, p.id IS NOT DISTINCT FROM x.id AS inserted "
           "  FROM bs_import_staging x CROSS JOIN LATERAL (SELECT p.id FROM projects p WHERE p.source = $1 "
           "  AND p.source_key = x.source_key OFFSET 0) p WHERE x.blocks IS NOT NULL), "
           "d AS (DELETE FROM project_blocks b USING px WHERE b.project_id = px.id AND b.imported "
           "  AND NOT px.inserted) "
           "INSERT INTO project_blocks (project_id, homes, kind, home_type, tenure, price_class, period_from, "
           "  period_to, correction, imported) "
           "SELECT px.id, e.homes, COALESCE(e.kind, 'nieuwbouw'), e.home_type, e.tenure, 'onbekend', e.period_from, "
           "  e.period_to, e.correction, true "
           "FROM px CROSS JOIN LATERAL jsonb_to_recordset(px.blocks -> 'blocks') AS e(homes integer, kind text, "
           "  home_type text, tenure text, period_from integer, period_to integer, correction boolean) "
           "ORDER BY px.id";
}

/* The insert of bs_projects_steps_new_sql: every step of the projects this transaction wrote
 * and that have none yet, as the CTE "s" (RETURNING 1). $1 step keys, $2 source tag. */
#define STEPS_NEW_INSERT                                                                                               \
    "WITH " STEPS_TARGETS ", "                                                                                         \
    "g AS (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' "               \
    "  || substr(r, 16, 3) || substr(r, 20, 4) || substr(r, 25, 4) AS prefix "                                         \
    "  FROM (SELECT gen_random_uuid()::text AS r) q), "                                                                \
    "s AS (INSERT INTO project_steps (id, project_id, step_key, status, actual_estimated) "                            \
    "SELECT (g.prefix || lpad(to_hex(row_number() OVER ()), 8, '0'))::uuid, "                                          \
    "  px.id, u.step_key, u.status, u.status = 'done' "                                                                \
    "FROM g CROSS JOIN (SELECT * FROM px WHERE px.ours AND px.n_have = 0 ORDER BY px.id) px "                          \
    "CROSS JOIN LATERAL unnest(px.keys, px.steps) AS u(step_key, status) RETURNING 1) "

/* The audit summary row of a batch: plans staged, steps inserted (the CTE "s" when steps_new is
 * an expression, plus what bs_projects_steps_existing_sql counted in bouwstroom.import_steps);
 * source: the parameter of the source tag. */
#define STEPS_AUDIT(source, steps_new)                                                                                 \
    "INSERT INTO audit_log (actor_label, action, entity, new) "                                                        \
    "SELECT 'import', 'import', 'projects', jsonb_build_object('source', " source "::text, "                           \
    "  'plans', (SELECT count(*) FROM bs_import_staging), 'steps_inserted', " steps_new " "                            \
    "  + COALESCE(NULLIF(current_setting('bouwstroom.import_steps', true), ''), '0')::bigint)"

const char *bs_projects_steps_new_sql(void) {
    /* a project whose row this transaction wrote (inserted, or updated: its row is locked until
     * commit, and every writer of steps writes or locks the project row first) and that has no
     * steps yet: no other transaction can be inserting its steps, so they go in without a
     * conflict check, ids in ascending order (UUIDv7 with a counter, RFC 9562 §6.2: the
     * statement's millisecond, 40 random bits, the row number), so the primary key grows at its
     * right end instead of at random pages; the projects in id order, so (project_id, step_key)
     * takes each project's steps at one place */
    /* the audit log gets one summary row per batch (with bouwstroom.audit = 'bulk' in the
     * batch's transaction, the statement triggers stay silent; migrations 0010, 0024) */
    return STEPS_NEW_INSERT STEPS_AUDIT("$2", "(SELECT count(*) FROM s)");
}

const char *bs_projects_steps_audit_sql(void) {
    return STEPS_AUDIT("$1", "COALESCE(NULLIF(current_setting('bouwstroom.import_steps_new', true), ''), '0')::bigint");
}

void bs_projects_plan_steps(bs_import_plan *plan, const bs_schema *schema, const char *source) {
    char *keys = bs_projects_step_keys_param(schema);
    const char *p_steps[2] = {keys, source};
    bs_import_plan_stmt(plan, "storing process steps failed", false, bs_projects_steps_existing_sql(), 2, p_steps);
    bs_import_plan_stmt(plan, "storing process steps failed", false, bs_projects_steps_new_sql(), 2, p_steps);
    free(keys);
}

void bs_projects_plan_steps_copied(bs_import_plan *plan, const bs_schema *schema, const char *source,
                                   bs_eib_step_ids *ids) {
    char *keys = bs_projects_step_keys_param(schema);
    const char *p_steps[2] = {keys, source};
    bs_import_plan_copy_inserted(plan, "storing process steps failed",
                                 "project_steps (id, project_id, step_key, status, actual_estimated)", true,
                                 bs_eib_step_rows, ids, "bouwstroom.import_steps_new");
    bs_import_plan_stmt(plan, "storing process steps failed", false, bs_projects_steps_missing_sql(), 2, p_steps);
    bs_import_plan_stmt_in_order(plan, "storing process steps failed", bs_projects_steps_audit_sql(), 1, &p_steps[1]);
    free(keys);
}

void bs_import_apply_version_setting(json_t *rec, const bs_engine *engine, const json_t *settings,
                                     const bs_calendar *cal, bs_day today) {
    const char *key = json_string_value(json_object_get(rec, "process_schema_key"));
    const char *gem = json_string_value(json_object_get(rec, "gemeente"));
    const char *ps = json_string_value(json_object_get(rec, "planstatus"));
    if (!settings || !key || !gem) return;
    char sk[512];
    snprintf(sk, sizeof sk, "gemeente:%s|%s", gem, key);
    json_t *v = json_object_get(settings, sk);
    const bs_engine_schema *es =
        json_is_integer(v) ? bs_engine_schema_version(engine, key, (long)json_integer_value(v)) : NULL;
    if (!es || es->schema->version == json_integer_value(json_object_get(rec, "process_schema_version"))) return;
    bs_day pd;
    const char *pds = json_string_value(json_object_get(rec, "progress_date"));
    bs_day dd = pds && bs_date_parse(pds, &pd) == 0 ? bs_data_date(pd, today) : today;
    bs_eib_plan_record(rec, es->schema, cal, ps ? ps : "", dd);
    json_t *keys = json_array();
    for (int32_t i = 0; i < es->schema->n_steps; i++)
        json_array_append_new(keys, json_string(es->schema->steps[i].key));
    json_object_set_new(rec, "step_keys", keys);
}

char *bs_projects_step_keys_param(const bs_schema *schema) {
    /* text[] literal of the step keys ([a-z0-9_] only, so no quoting needed) */
    size_t kcap = 16;
    for (int32_t i = 0; i < schema->n_steps; i++) kcap += strlen(schema->steps[i].key) + 1;
    char *p = bs_malloc(kcap);
    size_t ko = 0;
    ko += (size_t)snprintf(p + ko, kcap - ko, "{");
    for (int32_t i = 0; i < schema->n_steps; i++)
        ko += (size_t)snprintf(p + ko, kcap - ko, "%s%s", i ? "," : "", schema->steps[i].key);
    snprintf(p + ko, kcap - ko, "}");
    return p;
}

/* The plan file read one feature at a time (issue 17 item 4: the first batch is stored while the
 * rest of the file is read). jansson parses every value: json_loadb with JSON_DECODE_ANY |
 * JSON_DISABLE_EOF_CHECK reads one value and gives in json_error_t.position the bytes it read
 * (jansson's documentation, "Decoding"); here only the whitespace and the punctuation between
 * the values of the top-level object and of its "features" array are stepped over, with
 * jansson's messages and the file's line:column when they are wrong. */
typedef struct plan_reader {
    const char *path;
    char *text; /* owned: the whole file */
    size_t len, pos;
    json_t *root;     /* owned: the top-level members read so far, "features" left out */
    bool in_features; /* the next value is the features array's next element */
    bool features;    /* the features array was met */
    char *error;      /* the import's result.error */
    size_t error_size;
} plan_reader;

static void reader_skip_ws(plan_reader *r) {
    while (r->pos < r->len) {
        char c = r->text[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        r->pos++;
    }
}

/* The error at byte at of the file: line and column there (column: UTF-8 characters, as
 * jansson counts them) plus (line, column) of a jansson error relative to at (line 1: on at's
 * line); a line of 0 or less: no position. Returns -1. */
static int reader_fail(plan_reader *r, size_t at, int line, int column, const char *text) {
    if (line <= 0) {
        snprintf(r->error, r->error_size, "cannot read the plan file: %s: %s", r->path, text);
        return -1;
    }
    int l0 = 1, c0 = 0;
    for (size_t i = 0; i < at; i++) {
        if (r->text[i] == '\n') {
            l0++;
            c0 = 0;
        } else if (((unsigned char)r->text[i] & 0xC0) != 0x80) {
            c0++;
        }
    }
    if (line == 1) column += c0;
    snprintf(r->error, r->error_size, "cannot read the plan file: %s:%d:%d: %s", r->path, l0 + line - 1, column, text);
    return -1;
}

/* A syntax error at the reader's position (what was expected), in jansson's words. */
static int reader_expected(plan_reader *r, const char *expected) {
    char text[160];
    if (r->pos >= r->len)
        snprintf(text, sizeof text, "%s near end of file", expected);
    else
        snprintf(text, sizeof text, "%s near '%c'", expected, r->text[r->pos]);
    return reader_fail(r, r->pos, 1, 1, text);
}

/* The value at the reader's position (jansson's), or NULL with the error set. */
static json_t *reader_value(plan_reader *r) {
    json_error_t jerr;
    json_t *v = json_loadb(r->text + r->pos, r->len - r->pos, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
    if (!v) {
        reader_fail(r, r->pos, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    r->pos += (size_t)jerr.position;
    return v;
}

/* After the top-level object: only whitespace. */
static int reader_end(plan_reader *r) {
    reader_skip_ws(r);
    return r->pos == r->len ? 0 : reader_expected(r, "end of file expected");
}

/* The top-level object's members from the reader's position (after_value: just after a member's
 * value), kept in root, up to the features array's first element (0, in_features) or the object's
 * end (0). -1 with the error set. */
static int reader_members(plan_reader *r, bool after_value) {
    for (;;) {
        if (after_value) {
            reader_skip_ws(r);
            if (r->pos < r->len && r->text[r->pos] == '}') {
                r->pos++;
                return reader_end(r);
            }
            if (r->pos >= r->len || r->text[r->pos] != ',') return reader_expected(r, "'}' expected");
            r->pos++;
        }
        after_value = true;
        reader_skip_ws(r);
        if (r->pos >= r->len || r->text[r->pos] != '"') return reader_expected(r, "string or '}' expected");
        json_t *key = reader_value(r);
        if (!key) return -1;
        char *name = bs_strdup(json_string_value(key));
        json_decref(key);
        reader_skip_ws(r);
        int rc = 0;
        if (r->pos >= r->len || r->text[r->pos] != ':') {
            rc = reader_expected(r, "':' expected");
        } else {
            r->pos++;
            reader_skip_ws(r);
            if (strcmp(name, "features") == 0 && r->features) {
                rc = reader_fail(r, r->pos, 1, 1, "more than one \"features\" member");
            } else if (strcmp(name, "features") == 0 && r->pos < r->len && r->text[r->pos] == '[') {
                r->pos++;
                r->features = true;
                reader_skip_ws(r);
                if (r->pos < r->len && r->text[r->pos] == ']') { /* an empty array */
                    r->pos++;
                } else {
                    r->in_features = true;
                    free(name);
                    return 0;
                }
            } else {
                json_t *v = reader_value(r);
                if (v) json_object_set_new(r->root, name, v);
                rc = v ? 0 : -1;
            }
        }
        free(name);
        if (rc) return rc;
    }
}

/* The next feature: 1 (*feature new), 0 after the last (the rest of the file read and checked),
 * -1 with the error set. */
static int reader_next(plan_reader *r, json_t **feature) {
    *feature = NULL;
    if (!r->in_features) return 0;
    reader_skip_ws(r);
    json_t *v = reader_value(r);
    if (!v) return -1;
    reader_skip_ws(r);
    if (r->pos < r->len && r->text[r->pos] == ',') {
        r->pos++;
    } else if (r->pos < r->len && r->text[r->pos] == ']') {
        r->pos++;
        r->in_features = false;
        if (reader_members(r, true) != 0) {
            json_decref(v);
            return -1;
        }
    } else {
        json_decref(v);
        return reader_expected(r, "']' expected");
    }
    *feature = v;
    return 1;
}

static void reader_close(plan_reader *r) {
    free(r->text);
    json_decref(r->root);
    r->text = NULL;
    r->root = NULL;
}

/* Opens the plan file: read at once (json_load_file reads a character at a time) and its
 * top-level object read up to the first feature. A file that does not begin with '{' is parsed
 * whole, for jansson's message or "not a FeatureCollection". Returns 0, or -1 with the error
 * set (the reader closed). */
static int reader_open(plan_reader *r, import_job *job) {
    *r = (plan_reader){.path = job->path, .error = job->result.error, .error_size = sizeof job->result.error};
    r->text = bs_read_file(job->path, &r->len);
    if (!r->text) {
        snprintf(r->error, r->error_size, "cannot read the plan file: %s: %s", job->path, strerror(errno));
        return -1;
    }
    r->root = json_object();
    reader_skip_ws(r);
    int rc;
    if (r->pos < r->len && r->text[r->pos] == '{') {
        r->pos++;
        reader_skip_ws(r);
        if (r->pos < r->len && r->text[r->pos] == '}') {
            r->pos++;
            rc = reader_end(r);
        } else {
            rc = reader_members(r, false);
        }
    } else {
        json_error_t jerr;
        json_t *v = json_loadb(r->text, r->len, 0, &jerr);
        rc = v ? 0 : reader_fail(r, 0, jerr.line, jerr.column, jerr.text);
        json_decref(v);
    }
    if (rc == 0 && !r->features)
        rc = -1, snprintf(r->error, r->error_size,
                          "cannot read the plan file: not a GeoJSON FeatureCollection (no \"features\" array)");
    if (rc != 0) reader_close(r);
    return rc;
}

/* The gemeente organisations of an import (bs_import_plan_setup; run in the first batch's
 * transaction after its statements, bs_import_plan_stream_first):
 * $1 a JSON array of {gemeente, provincie, batch} (bs_eib_gemeente_rows). Each gemeente gets the
 * provincie the batch that first names it would have given it (the upsert's organisations CTE,
 * bs_projects_upsert_sql: the first in sort order among that batch's plans), in the order the
 * batches would have created them; an existing one is kept. */
#define ORGS_SETUP_SQL                                                                                                 \
    "INSERT INTO organisations (name, kind, provincie, import_key) "                                                   \
    "SELECT o.gemeente, 'gemeente', o.provincie, 'gemeente:' || o.gemeente FROM ("                                     \
    "  SELECT DISTINCT ON (g.gemeente) g.gemeente, g.provincie, g.batch "                                              \
    "  FROM jsonb_to_recordset($1::jsonb) AS g(gemeente text, provincie text, batch integer) "                         \
    "  WHERE g.gemeente IS NOT NULL ORDER BY g.gemeente, g.batch, g.provincie) o "                                     \
    "ORDER BY o.batch, o.gemeente "                                                                                    \
    "ON CONFLICT (import_key) DO NOTHING"

json_t *bs_eib_gemeente_rows(json_t *features) {
    bs_import_result *scratch = bs_calloc(1, sizeof *scratch); /* its warnings are the import's own pass's */
    json_t *seen = json_object(), *pairs = json_object(), *rows = json_array();
    int accepted = 0;
    for (size_t i = 0; i < json_array_size(features); i++) {
        json_t *props = json_object_get(json_array_get(features, i), "properties");
        if (claim_objectid(scratch, props, seen) < 0) continue;
        bool changed;
        const char *gem = gemeente_of(props), *prov = provincie_of(props, &changed);
        int batch = accepted++ / BS_IMPORT_BATCH_SIZE;
        char *key = bs_asprintf("%s\n%s\n%d", gem, prov, batch);
        if (!json_object_get(pairs, key)) {
            json_object_set_new(pairs, key, json_true());
            json_array_append_new(rows,
                                  json_pack("{s:s, s:s, s:i}", "gemeente", gem, "provincie", prov, "batch", batch));
        }
        free(key);
    }
    json_decref(seen);
    json_decref(pairs);
    free(scratch);
    return rows;
}

/* The record's blocks (docs/blocks.md): the joint split of its type, tenure and period
 * counts (bs_blocks_split), as {"blocks": [{homes, home_type, tenure, period_from,
 * period_to, correction}, …]} in the "blocks" member, then, when the record's demolition (the
 * file's Sloop, negative) is not 0, one block {kind: "sloop", homes: |Sloop|, type and tenure
 * onbekend, no period}; a count that is null (absent, out of range) counts 0. No member when
 * the counts do not add up to one total (the split refuses them). */
static void add_blocks(json_t *rec) {
    static const char *const cols[3][5] = {{"type_grondgebonden", "type_appartement", "type_onbekend"},
                                           {"tenure_huur", "tenure_koop", "tenure_onbekend"},
                                           {"completions_2019", "completions_2020_2024", "completions_2025_2029",
                                            "completions_2030_2050", "completions_unknown"}};
    static const char *const types[3] = {"grondgebonden", "meergezins", "onbekend"};
    static const char *const tenures[3] = {"huur", "koop", "onbekend"};
    static const int from[5] = {2019, 2020, 2025, 2030, 0}, to[5] = {2019, 2024, 2029, 2050, 0};
    long v[3][5] = {{0}};
    const size_t n[3] = {3, 3, 5};
    for (int d = 0; d < 3; d++)
        for (size_t c = 0; c < n[d]; c++) v[d][c] = (long)json_integer_value(json_object_get(rec, cols[d][c]));
    bs_split_margin m[3] = {{v[0], 3, 2}, {v[1], 3, 2}, {v[2], 5, 4}};
    bs_split_block b[BS_SPLIT_MAX_BLOCKS];
    int nb = bs_blocks_split(m, b);
    if (nb < 0) return;
    json_t *arr = json_array();
    /* the file's Sloop (written negative; docs/blocks.md "The import"): one demolition block of
     * |Sloop| homes, type, tenure and price class onbekend, no period, after the split's blocks */
    json_int_t sloop = json_integer_value(json_object_get(rec, "demolition"));
    for (int i = 0; i < nb; i++) {
        size_t k = b[i].cat[2];
        json_array_append_new(arr,
                              json_pack("{s:I, s:s, s:s, s:o, s:o, s:b}", "homes", (json_int_t)b[i].homes, "home_type",
                                        types[b[i].cat[0]], "tenure", tenures[b[i].cat[1]], "period_from",
                                        from[k] ? json_integer(from[k]) : json_null(), "period_to",
                                        to[k] ? json_integer(to[k]) : json_null(), "correction", (int)b[i].correction));
    }
    if (sloop != 0)
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:n, s:n, s:b}", "homes", sloop < 0 ? -sloop : sloop,
                                             "kind", "sloop", "home_type", "onbekend", "tenure", "onbekend",
                                             "period_from", "period_to", "correction", 0));
    /* an object: the COPY text of a JSON array is a PostgreSQL array (copy_text.c) */
    json_object_set_new(rec, "blocks", json_pack("{s:o}", "blocks", arr));
}

/* The 16 bytes b as a UUID's text: 36 lower-case characters and a NUL. */
static void uuid_text(const unsigned char b[16], char out[37]) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = 0;
}

/* A UUIDv7's bytes: unix_ms in the first 48 bits, then rand (10 bytes: the version and the
 * variant overwrite 6 of its bits). */
static void uuidv7_bytes(unsigned char b[16], int64_t unix_ms, const unsigned char rand[10]) {
    for (int i = 0; i < 6; i++) b[i] = (unsigned char)((uint64_t)unix_ms >> (8 * (5 - i)));
    memcpy(b + 6, rand, 10);
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* variant 10 */
}

void bs_eib_uuidv7(char out[37], int64_t unix_ms) {
    unsigned char rand[10], b[16];
    randombytes_buf(rand, sizeof rand);
    uuidv7_bytes(b, unix_ms, rand);
    uuid_text(b, out);
}

void bs_eib_step_ids_init(bs_eib_step_ids *ids, const bs_schema *schema) {
    unsigned char rand[10] = {0}, b[16];
    randombytes_buf(rand, 6);
    uuidv7_bytes(b, 0, rand);
    memcpy(ids->middle, b + 6, sizeof ids->middle); /* version, variant and the random bits */
    ids->schema = schema;
    ids->counter = 0;
}

/* Appends a binary COPY field: its length (a 32-bit big-endian integer) and its n bytes. */
static void put_field(bs_copy_buf *rows, const void *data, size_t n) {
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                            (unsigned char)n};
    bs_copy_put(rows, (const char *)len, 4);
    bs_copy_put(rows, data, n);
}

/* A step of a record: its key and status (bs_eib_step_rows). */
typedef struct step_kv {
    const char *key, *status;
} step_kv;

static int cmp_step_kv(const void *a, const void *b) {
    return strcmp(((const step_kv *)a)->key, ((const step_kv *)b)->key);
}

void bs_eib_step_rows(bs_copy_buf *rows, const json_t *rec, void *arg) {
    bs_eib_step_ids *ids = arg;
    const char *project = json_string_value(json_object_get(rec, "id"));
    const json_t *steps = json_object_get(rec, "steps"), *keys = json_object_get(rec, "step_keys");
    unsigned char pid[16], sid[16];
    if (!bs_uuid_bytes(project, pid)) return;
    /* the step id: the project's millisecond, the import's bits, the counter (written per row) */
    memcpy(sid, pid, 6);
    memcpy(sid + 6, ids->middle, 6);
    size_t n = json_array_size(steps), m = 0;
    step_kv own[64], *kv = n <= 64 ? own : bs_calloc(n, sizeof *kv);
    for (size_t i = 0; i < n; i++) {
        const char *key = keys                               ? json_string_value(json_array_get(keys, i))
                          : i < (size_t)ids->schema->n_steps ? ids->schema->steps[i].key
                                                             : NULL;
        const char *status = json_string_value(json_array_get(steps, i));
        if (key && status) kv[m++] = (step_kv){key, status};
    }
    /* in key order (strcmp: the keys are [a-z0-9_], whose order is the same in the C and the
     * C.UTF-8 collations), so that (project_id, step_key) takes them in its own order */
    qsort(kv, m, sizeof *kv, cmp_step_kv);
    for (size_t i = 0; i < m; i++) {
        uint32_t c = ids->counter++;
        for (int k = 0; k < 4; k++) sid[12 + k] = (unsigned char)(c >> (8 * (3 - k)));
        bs_copy_put(rows, "\0\5", 2); /* five fields */
        put_field(rows, sid, 16);
        put_field(rows, pid, 16);
        put_field(rows, kv[i].key, strlen(kv[i].key));
        put_field(rows, kv[i].status, strlen(kv[i].status));
        put_field(rows, strcmp(kv[i].status, "done") == 0 ? "\1" : "\0", 1);
    }
    if (kv != own) free(kv);
}

/* A plan's record of feature (bs_eib_feature_record), with its new id (UUIDv7), its gemeente's
 * schema version and its blocks; NULL for a feature that cannot become a project. */
static json_t *plan_of(import_job *job, json_t *feature, const char *crs, json_t *seen, bs_day today) {
    json_t *rec = bs_eib_feature_record(job->schema, &job->engine->calendar, feature, crs, seen, today, &job->result);
    if (!rec) return NULL;
    char id[37];
    bs_eib_uuidv7(id, bs_clock_now_ms(NULL));
    json_object_set_new(rec, "id", json_string(id));
    bs_import_apply_version_setting(rec, job->engine, job->settings, &job->engine->calendar, today);
    add_blocks(rec);
    return rec;
}

/* The statements that store a batch (the plan's, before its first batch). */
static void plan_statements(bs_import_plan *plan, import_job *job) {
    /* the audit log gets one summary row per batch (bouwstroom.audit = 'bulk': the audit
     * triggers stay silent; migrations 0010, 0024) */
    bs_import_plan_begin(plan, "BEGIN; SELECT set_config('bouwstroom.audit', 'bulk', true)");
    bs_import_plan_commit_per_batch(plan, true);
    /* new projects get the record's id: UUIDv7 (bs_eib_uuidv7), ascending with the time they were
     * prepared, so that the projects' primary key and the steps' (project_id, step_key) grow at
     * their right end instead of at random pages; an existing project keeps its id */
    static const bs_project_column id_col[] = {{"id", "uuid"}};
    char *upsert = bs_projects_upsert_sql(id_col, 1);
    const char *p_upsert[1] = {job->source};
    bs_import_plan_stmt(plan, "storing projects failed", true, upsert, 1, p_upsert);
    bs_eib_step_ids_init(&job->step_ids, job->schema);
    bs_projects_plan_steps_copied(plan, job->schema, job->source, &job->step_ids);
    bs_import_plan_stmt(plan, "storing blocks failed", false, bs_projects_blocks_sql(), 1, p_upsert);
    free(upsert);
    bs_import_plan_connections(plan, BS_EIB_IMPORT_CONNECTIONS);
}

/* The gemeente organisations the features name (bs_eib_gemeente_rows), created by the setup
 * statement: the batches are stored BS_EIB_IMPORT_CONNECTIONS at once, and two creating the same
 * one at once would race (the second's upsert could not see it, and its plans would have no
 * owner). With bs_import_plan_stream_first it runs in the first batch's transaction, after the
 * first batch created its own (the same rows: the first batch's upsert gives a gemeente the
 * provincie ORGS_SETUP_SQL gives it) and before any other batch begins. */
static void plan_orgs(bs_import_plan *plan, json_t *features) {
    json_t *orgs = bs_eib_gemeente_rows(features);
    char *orgs_json = json_dumps(orgs, JSON_COMPACT);
    const char *p_orgs[1] = {orgs_json};
    bs_import_plan_setup(plan, "storing organisations failed", ORGS_SETUP_SQL, 1, p_orgs);
    free(orgs_json);
    json_decref(orgs);
}

/* The file's first batch, read feature by feature into features (their records into records,
 * planned in crs) and handed over as soon as it is complete (bs_import_plan_stream_first).
 * Returns the features taken, or -1 (a syntax error). */
static long first_batch(bs_import_plan *plan, import_job *job, plan_reader *r, const char *crs, json_t *features,
                        json_t *seen, json_t *records, bs_day today) {
    json_t *f;
    long taken = 0;
    int rc = 0;
    while (json_array_size(records) < BS_IMPORT_BATCH_SIZE && (rc = reader_next(r, &f)) == 1) {
        json_array_append_new(features, f);
        taken++;
        json_t *rec = plan_of(job, f, crs, seen, today);
        if (rec) json_array_append_new(records, rec);
    }
    if (json_array_size(records) == BS_IMPORT_BATCH_SIZE) { /* else the file's only batch, later */
        bs_import_plan_add_records(plan, records, JSON_COMPACT);
        json_array_clear(records);
    }
    return rc < 0 ? -1 : taken;
}

/* Every feature of the file and the rest of it after them, read by reader r (at the features'
 * first element): into features; rc 0, or -1 with r's error set. */
typedef struct rest_read {
    plan_reader *r;
    json_t *features; /* owned */
    int rc;
} rest_read;

static void rest_work(void *arg) {
    rest_read *rest = arg;
    json_t *f;
    while ((rest->rc = reader_next(rest->r, &f)) == 1) json_array_append_new(rest->features, f);
}

/* The first batch (planned in crs) built from the file while a thread of its own reads all of the
 * file's features from the same place (rest_work on rest, joined before this returns): the first
 * batch is stored while the rest of the file is read, and the organisations' setup, which needs
 * every feature, follows it sooner. The first batch's features are parsed twice (≈ 10 ms); a
 * syntax error among them is reported by rest. Returns the features taken, or -1. */
static long first_batch_beside(bs_import_plan *plan, import_job *job, plan_reader *r, rest_read *rest, const char *crs,
                               json_t *seen, json_t *records, bs_day today) {
    char scratch[sizeof job->result.error];
    plan_reader own = *r; /* the same text, its own place; what follows the features: rest's */
    own.root = json_object();
    own.error = scratch;
    own.error_size = sizeof scratch;
    uv_thread_t th;
    bool threaded = uv_thread_create(&th, rest_work, rest) == 0;
    json_t *mine = json_array();
    long first = first_batch(plan, job, &own, crs, mine, seen, records, today);
    if (threaded)
        uv_thread_join(&th);
    else
        rest_work(rest);
    json_decref(own.root);
    json_decref(mine);
    return first;
}

/* A "crs" after the features that changes the first batch's (crs0; NULL: no first batch).
 * Returns 0, or -1 with the error set. */
static int crs_kept(import_job *job, const plan_reader *r, const char *crs0) {
    if (!crs0 || strcmp(crs0, bs_eib_file_crs(r->root)) == 0) return 0;
    snprintf(job->result.error, sizeof job->result.error,
             "cannot read the plan file: %s: a second \"crs\" member after the features", job->path);
    return -1;
}

/* On the thread pool: reads the file (its features on a thread of their own, while the first
 * batch is built), builds every plan's record (codes normalised, initial process state and
 * schedule) and the statements that store a batch; the first batch is stored while the rest of
 * the file is read (bs_import_plan_stream_first: nothing commits before the whole file was read,
 * so a malformed file stores nothing). The first batch only when the file's "crs" came before its
 * features (one after them could change every record's). */
static int prepare(bs_import_plan *plan, void *arg) {
    import_job *job = arg;
    plan_reader r;
    if (reader_open(&r, job) != 0) return -1;
    bs_day today = bs_clock_today_amsterdam(NULL);
    plan_statements(plan, job);
    bs_import_plan_stream_first(plan);
    json_t *seen = json_object(), *records = json_array();
    const char *crs0 = json_object_get(r.root, "crs") ? bs_eib_file_crs(r.root) : NULL;
    rest_read rest = {.r = &r, .features = json_array()};
    long first = 0;
    if (crs0)
        first = first_batch_beside(plan, job, &r, &rest, crs0, seen, records, today);
    else
        rest_work(&rest);
    int rc = rest.rc < 0 || first < 0 ? -1 : crs_kept(job, &r, crs0);
    const char *crs = bs_eib_file_crs(r.root); /* static text */
    reader_close(&r);
    json_t *features = rest.features;
    size_t n = json_array_size(features);
    if (rc == 0) {
        job->result.read = (int)n;
        bs_import_plan_expect(plan, (int)n);
        plan_orgs(plan, features);
        for (size_t i = (size_t)first; i < n; i++) {
            json_t *rec = plan_of(job, json_array_get(features, i), crs, seen, today);
            if (rec) json_array_append_new(records, rec);
            if (json_array_size(records) == BS_IMPORT_BATCH_SIZE) { /* one batch at a time */
                bs_import_plan_add_records(plan, records, JSON_COMPACT);
                json_array_clear(records);
            }
        }
        if (json_array_size(records) > 0) bs_import_plan_add_records(plan, records, JSON_COMPACT);
    }
    json_decref(seen);
    json_decref(features);
    json_decref(records);
    if (rc == 0 && job->progress) {
        int n_plans = job->result.read - job->result.rejected;
        fprintf(job->progress, "import: %d features read, %d plans to store in %d batches\n", job->result.read, n_plans,
                (n_plans + BS_IMPORT_BATCH_SIZE - 1) / BS_IMPORT_BATCH_SIZE);
        fflush(job->progress);
    }
    return rc;
}

static void job_free(import_job *job) {
    free(job->path);
    free(job->source);
    json_decref(job->settings);
    free(job);
}

static void done(const bs_import_outcome *o, void *arg) {
    import_job *job = arg;
    job->result.inserted = o->inserted;
    job->result.updated = o->updated;
    job->result.unchanged = o->unchanged;
    if (o->err.code != BS_OK) snprintf(job->result.error, sizeof job->result.error, "%s: %.480s", o->what, o->err.msg);
    job->cb(&job->result, job->arg);
    job_free(job);
}

/* The version settings read: the import proper (an unreadable setting fails the import). */
static void settings_read(const PGresult *res, const char *err, void *arg) {
    import_job *job = arg;
    if (err || PQntuples(res) != 1) {
        snprintf(job->result.error, sizeof job->result.error, "import: reading the schema version settings: %.400s",
                 err ? err : "no answer");
        job->cb(&job->result, job->arg);
        job_free(job);
        return;
    }
    job->settings = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    bs_import_pipeline_run(job->loop, job->store, "import", job->progress, prepare, done, job);
}

void bs_eib_import(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const char *path, const char *source,
                   FILE *progress, bs_import_cb cb, void *arg) {
    import_job *job = bs_calloc(1, sizeof *job);
    job->engine = engine;
    job->path = bs_strdup(path);
    job->source = bs_strdup(source);
    job->progress = progress;
    job->cb = cb;
    job->arg = arg;
    const bs_engine_schema *es = bs_engine_schema_get(engine, SCHEMA_KEY);
    if (!es) {
        snprintf(job->result.error, sizeof job->result.error, "import: process schema " SCHEMA_KEY " is not loaded");
        cb(&job->result, arg);
        job_free(job);
        return;
    }
    if (sodium_init() < 0) { /* randombytes_buf of the new projects' ids, on the thread pool */
        snprintf(job->result.error, sizeof job->result.error, "import: libsodium could not be initialised");
        cb(&job->result, arg);
        job_free(job);
        return;
    }
    job->schema = es->schema;
    job->loop = loop;
    job->store = store;
    bs_store_query(store, BS_IMPORT_VERSION_SETTINGS_SQL, 0, NULL, settings_read, job);
}
