/*
 * Bouwstroom API: moving projects to another version of their process schema (issue 19,
 * item 2; docs/api.md "Process schema versions", docs/process-schema.md "Migrating projects").
 *
 *   POST /api/v1/projects/{id}/migrate               one project (dry_run: the answer, nothing stored)
 *   POST /api/v1/organisations/{id}/migrations       every project of an organisation on a version (202, a job)
 *   POST /api/v1/migrations                          the same for the whole installation (its administrators)
 *   GET  /api/v1/migrations/{job_id}                 a job's progress and, at the end, its summary
 *
 * The mapping and carry-over are the engine core's (bs_migrate_project, engine/core/migrate.h),
 * one project's answer and rows the runtime's (bs_project_migrate). A bulk job is a row of
 * schema_migration_jobs (migration 0035): stored before the 202, run in batches — the CPU work
 * of a batch (mapping and planning both versions of every project) on the libuv thread pool,
 * its writes in one statement on the loop — and resumed by the next server after a restart.
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "handlers.h"
#include "http.h"
#include "project_migrate.h"

#include "routes_migrate_sql.h"

/* Projects per batch of a bulk job: one thread-pool task and one write statement each. */
#define JOB_BATCH 200

/* The members of a migration request common to both forms; false after a problem. */
typedef struct mig_req {
    json_t *body;        /* owned; the request body (map points into it) */
    bs_migrate_map *map; /* owned; n_map */
    int n_map;
    long from, to;
    const char *reason; /* in body */
} mig_req;

static void mig_req_free(mig_req *m) {
    json_decref(m->body);
    free(m->map);
    memset(m, 0, sizeof *m);
}

/* A version member (required): 1 .. 10^9. */
static bool version_field(bs_req *req, json_t *body, const char *name, long *out) {
    const json_t *v = json_object_get(body, name);
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    if (n < 1 || n > 1000000000) {
        bs__fail(req, v ? BS_EINVAL : BS_EREQUIRED, name, "%s is required: a version number of the schema (1 or more)",
                 name);
        return false;
    }
    *out = (long)n;
    return true;
}

/* Parses the body (allowed members) into m: to_field's version, the mapping, the reason. */
static bool parse_request(bs_req *req, const char *const *allowed, const char *to_field, mig_req *m) {
    memset(m, 0, sizeof *m);
    m->body = bs__body_object(req, allowed);
    if (!m->body) return false;
    const char *bad = NULL;
    if (!version_field(req, m->body, to_field, &m->to) || !bs__reason_field(req, m->body, false, &m->reason)) {
        mig_req_free(m);
        return false;
    }
    m->n_map = bs_migrate_map_json(json_object_get(m->body, "mapping"), &m->map, &bad);
    if (m->n_map < 0) {
        if (bad)
            bs__fail(req, BS_EINVAL, "mapping", "mapping.%s must be a step key of the new version or null", bad);
        else
            bs__fail(req, BS_EINVAL, "mapping", "mapping must be an object {\"old step\": \"new step\" or null}");
        mig_req_free(m);
        return false;
    }
    return true;
}

/* Answers a refused or failed project migration. */
static void fail_migration(bs_req *req, const bs_project_migration *pm) {
    if (pm->status == BS_ECONFLICT && strncmp(pm->field, "mapping.", 8) == 0)
        bs__fail_as(req, BS_ECONFLICT, "actual_date_lost", "The migration would lose an actual date", pm->field, "%s",
                    pm->message);
    else
        bs__fail(req, pm->status, pm->field[0] ? pm->field : NULL, "%s", pm->message);
}

/* ---- POST /api/v1/projects/{id}/migrate ---- */

typedef struct one_ctx {
    bs_api *api;
    bs_req *req;
    mig_req m;
    bool dry_run;
    char id[40];
    json_t *answer; /* owned; sent after commit */
} one_ctx;

static void one_free(one_ctx *c) {
    mig_req_free(&c->m);
    json_decref(c->answer);
    free(c);
}

static void one_written(const PGresult *res, const char *err, void *arg) {
    one_ctx *c = arg;
    if (err)
        bs__problem_db(c->req, err);
    else if (strcmp(PQgetvalue(res, 0, 0), "1") != 0)
        bs__fail_as(c->req, BS_ECONFLICT, "concurrent_update", "Concurrent update", "id",
                    "The project was changed by another request at the same time; reload and retry");
    else {
        bs__respond_json(c->req, 200, c->answer);
        c->answer = NULL;
    }
    one_free(c);
}

/* Writes the migrated records (a JSON array) with the summary counts; cb after commit. */
static void write_batch(bs_api *api, bs_req *req, const char *actor, json_t *records, long from, long to,
                        const char *key, const char *reason, const char *who, const char *job, const char *failures,
                        int n_read, const char *last, const char *counts, bs_store_cb cb, void *arg) {
    char fv[24], tv[24], today[11], nr[24];
    snprintf(fv, sizeof fv, "%ld", from);
    snprintf(tv, sizeof tv, "%ld", to);
    snprintf(nr, sizeof nr, "%d", n_read);
    bs_date_format(api->today(api->today_arg), today);
    char *recs = bs_json_dumps(records, JSON_COMPACT);
    const char *p[12] = {recs, fv, tv, key, reason, who, today, job, failures, nr, last, counts};
    if (req)
        bs__store_write(api, req, &SQL_MIGRATE_WRITE, p, cb, arg);
    else
        bs__store_write_actor(api, actor, &SQL_MIGRATE_WRITE, p, cb, arg);
    free(recs);
}

static void one_loaded(const PGresult *res, const char *err, void *arg) {
    one_ctx *c = arg;
    if (err || PQntuples(res) == 0) {
        if (err)
            bs__problem_db(c->req, err);
        else
            bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Project not found", "id", "No project with this id");
        one_free(c);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        bs__fail(c->req, BS_EINVAL, "version",
                 "Version %ld belongs to another organisation: a project takes national versions and its owner's",
                 c->m.to);
        one_free(c);
        return;
    }
    json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    bs_project_migration pm;
    bs_project_migrate(c->api->engine, doc, c->api->today(c->api->today_arg), c->m.to, c->m.map, (size_t)c->m.n_map,
                       &pm);
    json_decref(doc);
    if (pm.status != 0) {
        fail_migration(c->req, &pm);
    } else if (c->dry_run) {
        json_object_set_new(pm.answer, "dry_run", json_true());
        bs__respond_json(c->req, 200, json_incref(pm.answer));
    } else {
        json_object_set_new(pm.answer, "dry_run", json_false());
        c->answer = json_incref(pm.answer);
        const bs_principal *pr = bs__principal(c->req);
        json_t *recs = json_pack("[O]", pm.record);
        long from = (long)json_integer_value(json_object_get(pm.answer, "from_version"));
        const char *key = json_string_value(json_object_get(pm.record, "schema"));
        write_batch(c->api, c->req, NULL, recs, from, c->m.to, key, c->m.reason ? c->m.reason : "schema migration",
                    pr->authenticated ? pr->email : "anonymous", NULL, "[]", 1, NULL, "{}", one_written, c);
        json_decref(recs);
        bs_project_migration_free(&pm);
        return;
    }
    bs_project_migration_free(&pm);
    one_free(c);
}

void bs__migrate_project(bs_api *api, bs_req *req, const bs_path *path) {
    static const char *const allowed[] = {"version", "mapping", "dry_run", "reason", NULL};
    one_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    snprintf(c->id, sizeof c->id, "%s", path->project);
    if (!parse_request(req, allowed, "version", &c->m)) {
        free(c);
        return;
    }
    const json_t *dr = json_object_get(c->m.body, "dry_run");
    if (dr && !json_is_boolean(dr)) {
        bs__fail(req, BS_EINVAL, "dry_run", "dry_run must be true or false");
        one_free(c);
        return;
    }
    c->dry_run = json_is_true(dr);
    char tv[24];
    snprintf(tv, sizeof tv, "%ld", c->m.to);
    const char *p[2] = {c->id, tv};
    bs_store_exec(api->store, &SQL_MIGRATE_LOAD, p, one_loaded, c);
}

/* ---- bulk jobs (schema_migration_jobs) ---- */

typedef struct job {
    bs_api *api;
    char id[40], org[40], key[256], last[40]; /* org "": the whole installation; last "": from the start */
    long from, to;
    json_t *row;         /* owned; the job row (mapping, reason, requested_by, actor) */
    bs_migrate_map *map; /* owned; n_map, pointing into row's mapping */
    int n_map;
    char *actor; /* owned; the requester as the audit rows record it */
    bs_day today;
    /* the batch in hand */
    json_t *docs;     /* owned; project states (array) */
    json_t *records;  /* owned; migrated records (array) */
    json_t *failures; /* owned; [{project_id, field, reason}] */
    long carried, realised, unmapped;
    uv_work_t work;
} job;

static void job_free(job *j) {
    json_decref(j->row);
    json_decref(j->docs);
    json_decref(j->records);
    json_decref(j->failures);
    free(j->map);
    free(j->actor);
    free(j);
}

static void job_next(job *j);

/* Thread pool: maps and plans every project of the batch (engine core and runtime; no I/O). */
static void job_work(uv_work_t *w) {
    job *j = w->data;
    size_t i;
    json_t *doc;
    json_array_foreach(j->docs, i, doc) {
        bs_project_migration pm;
        bs_project_migrate(j->api->engine, doc, j->today, j->to, j->map, (size_t)j->n_map, &pm);
        if (pm.status == 0) {
            json_array_append(j->records, pm.record);
            j->carried += pm.carried;
            j->realised += pm.realised;
            j->unmapped += pm.unmapped;
        } else {
            json_array_append_new(j->failures, json_pack("{s:O, s:s, s:s}", "project_id", json_object_get(doc, "id"),
                                                         "field", pm.field[0] ? pm.field : "id", "reason", pm.message));
        }
        bs_project_migration_free(&pm);
    }
}

static void job_written(const PGresult *res, const char *err, void *arg) {
    job *j = arg;
    (void)res;
    if (err) { /* the job stays running; the next server start resumes it after its last batch */
        fprintf(stderr, "migration %s: a batch could not be written: %s\n", j->id, err);
        job_free(j);
        return;
    }
    job_next(j);
}

/* Loop: writes the batch with the job's progress in one statement. */
static void job_after(uv_work_t *w, int status) {
    job *j = w->data;
    (void)status;
    char *fails = bs_json_dumps(j->failures, JSON_COMPACT), counts[200];
    snprintf(counts, sizeof counts, "{\"steps_carried\": %ld, \"steps_realised\": %ld, \"steps_unmapped\": %ld}",
             j->carried, j->realised, j->unmapped);
    const char *reason = json_string_value(json_object_get(j->row, "reason"));
    const char *who = json_string_value(json_object_get(j->row, "requested_by"));
    write_batch(j->api, NULL, j->actor, j->records, j->from, j->to, j->key, reason ? reason : "schema migration",
                who ? who : "system", j->id, fails, (int)json_array_size(j->docs), j->last, counts, job_written, j);
    free(fails);
}

static void job_finished(const PGresult *res, const char *err, void *arg) {
    job *j = arg;
    (void)res;
    if (err) fprintf(stderr, "migration %s: cannot be marked done: %s\n", j->id, err);
    job_free(j);
}

static void job_batch(const PGresult *res, const char *err, void *arg) {
    job *j = arg;
    if (err) {
        fprintf(stderr, "migration %s: the next projects cannot be read: %s\n", j->id, err);
        job_free(j);
        return;
    }
    int n = PQntuples(res);
    if (n == 0) {
        const char *p[1] = {j->id};
        bs__store_write_actor(j->api, j->actor, &SQL_JOB_FINISH, p, job_finished, j);
        return;
    }
    json_decref(j->docs);
    json_decref(j->records);
    json_decref(j->failures);
    j->docs = json_array();
    j->records = json_array();
    j->failures = json_array();
    j->carried = j->realised = j->unmapped = 0;
    for (int r = 0; r < n; r++) {
        json_t *doc = json_loads(PQgetvalue(res, r, 0), 0, NULL);
        if (doc) json_array_append_new(j->docs, doc);
    }
    snprintf(j->last, sizeof j->last, "%s",
             json_string_value(json_object_get(json_array_get(j->docs, json_array_size(j->docs) - 1), "id")) ?: "");
    j->today = j->api->today(j->api->today_arg);
    j->work.data = j;
    uv_queue_work(j->api->loop, &j->work, job_work, job_after);
}

static void job_next(job *j) {
    char fv[24], lim[16];
    snprintf(fv, sizeof fv, "%ld", j->from);
    snprintf(lim, sizeof lim, "%d", JOB_BATCH);
    const char *p[5] = {j->org[0] ? j->org : NULL, j->key, fv, j->last[0] ? j->last : NULL, lim};
    bs_store_exec(j->api->store, &SQL_JOB_BATCH, p, job_batch, j);
}

static void job_started(const PGresult *res, const char *err, void *arg) {
    job *j = arg;
    json_t *row = !err && PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    if (err) fprintf(stderr, "migration %s: cannot start: %s\n", j->id, err);
    if (!row) { /* done already, or gone */
        job_free(j);
        return;
    }
    j->row = row;
    snprintf(j->org, sizeof j->org, "%s", json_string_value(json_object_get(row, "organisation_id")) ?: "");
    snprintf(j->key, sizeof j->key, "%s", json_string_value(json_object_get(row, "schema_key")) ?: "");
    snprintf(j->last, sizeof j->last, "%s", json_string_value(json_object_get(row, "last_project_id")) ?: "");
    j->from = (long)json_integer_value(json_object_get(row, "from_version"));
    j->to = (long)json_integer_value(json_object_get(row, "to_version"));
    const char *bad;
    j->n_map = bs_migrate_map_json(json_object_get(row, "mapping"), &j->map, &bad);
    if (j->n_map < 0) j->n_map = 0; /* checked when the job was accepted */
    j->actor = bs_json_dumps(json_object_get(row, "actor"), JSON_COMPACT);
    job_next(j);
}

/* Starts (or resumes) the stored job id on this server. */
static void job_run(bs_api *api, const char *id) {
    job *j = bs_calloc(1, sizeof *j);
    j->api = api;
    snprintf(j->id, sizeof j->id, "%s", id);
    const char *p[1] = {j->id};
    bs_store_exec(api->store, &SQL_JOB_START, p, job_started, j);
}

static void jobs_open(const PGresult *res, const char *err, void *arg) {
    bs_api *api = arg;
    if (err) {
        fprintf(stderr, "migrations: the unfinished jobs cannot be read: %s\n", err);
        return;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        fprintf(stderr, "migration %s: resumed\n", PQgetvalue(res, r, 0));
        job_run(api, PQgetvalue(res, r, 0));
    }
}

void bs_api_migrations_resume(bs_api *api) {
    bs_store_exec(api->store, &SQL_JOB_OPEN, NULL, jobs_open, api);
}

/* ---- POST /api/v1/organisations/{id}/migrations, POST /api/v1/migrations ---- */

typedef struct start_ctx {
    bs_api *api;
    bs_req *req;
} start_ctx;

static void job_inserted(const PGresult *res, const char *err, void *arg) {
    start_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        bs__fail(c->req, BS_ENOTFOUND, "id", "No organisation with this id");
    } else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        bs__fail(c->req, BS_EFORBIDDEN, "id",
                 "Only a beheerder of the organisation migrates its projects; the whole installation only an "
                 "administrator of the installation");
    } else if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
        bs__fail(c->req, BS_EINVAL, "to_version",
                 "This version belongs to another organisation: projects take national versions and their owner's");
    } else if (!PQgetisnull(res, 0, 4)) {
        bs__fail_as(c->req, BS_ECONFLICT, "migration_running", "A migration of these projects is running",
                    "from_version",
                    "Migration %s of the same projects is not done yet: wait for it (GET /api/v1/migrations/%s)",
                    PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 4));
    } else {
        json_t *row = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
        json_object_del(row, "actor");
        json_object_del(row, "requested_by");
        const char *id = json_string_value(json_object_get(row, "id"));
        char loc[128];
        snprintf(loc, sizeof loc, "/api/v1/migrations/%s", id ? id : "");
        if (id) job_run(c->api, id);
        char *text = bs_json_dumps(row, JSON_COMPACT);
        const char *hdr[] = {"Location", loc, NULL};
        bs_req_respond(c->req, 202, JSON_CT, text, strlen(text), hdr);
        free(text);
        json_decref(row);
    }
    free(c);
}

/* The versions and mapping of a bulk request, checked against the engine: false after a 422. */
static bool check_versions(bs_api *api, bs_req *req, const char *key, const mig_req *m) {
    const bs_engine_schema *a = bs_engine_schema_version(api->engine, key, m->from);
    const bs_engine_schema *b = bs_engine_schema_version(api->engine, key, m->to);
    if (!bs_engine_schema_get(api->engine, key) && !a && !b) {
        bs__fail(req, BS_EINVAL, "schema_key", "No process schema with the key '%.100s'", key);
        return false;
    }
    if (!a || !b || m->from == m->to) {
        bs__fail(req, BS_EINVAL, !a ? "from_version" : "to_version", "%s",
                 m->from == m->to ? "to_version must differ from from_version" : "the schema has no such version");
        return false;
    }
    /* the mapping's refusals that do not depend on a project's progress */
    bs_progress *p = bs_calloc((size_t)a->schema->n_steps + 1, sizeof *p);
    for (int32_t i = 0; i < a->schema->n_steps; i++) p[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, 0};
    bs_migrate_result r;
    int rc = bs_migrate_project(a->schema, b->schema, p, NULL, false, NULL, m->map, (size_t)m->n_map, &r);
    if (rc != 0) {
        bs__fail(req, BS_EINVAL, "mapping", "mapping.%s: %s", r.refused_step ? r.refused_step : "?",
                 r.refusal == BS_MIGRATE_UNKNOWN_FROM ? "the old version has no such step"
                 : r.refusal == BS_MIGRATE_UNKNOWN_TO ? "maps onto a step the new version lacks"
                                                      : "maps onto a step another step maps onto as well");
    }
    bs_migrate_result_free(&r);
    free(p);
    return rc == 0;
}

void bs__start_migration(bs_api *api, bs_req *req, const bs_path *path) {
    static const char *const allowed[] = {"schema_key", "from_version", "to_version", "mapping", "reason", NULL};
    mig_req m;
    if (!parse_request(req, allowed, "to_version", &m)) return;
    const char *key = NULL;
    if (!version_field(req, m.body, "from_version", &m.from) ||
        !bs__str_field(req, m.body, "schema_key", true, 200, &key) || !check_versions(api, req, key, &m)) {
        mig_req_free(&m);
        return;
    }
    const bs_principal *pr = bs__principal(req);
    start_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    char fv[24], tv[24];
    snprintf(fv, sizeof fv, "%ld", m.from);
    snprintf(tv, sizeof tv, "%ld", m.to);
    json_t *mp = json_object_get(m.body, "mapping");
    char *mapping = mp && !json_is_null(mp) ? bs_json_dumps(mp, JSON_COMPACT) : bs_strdup("{}");
    char *actor = bs__actor_json(req, NULL, NULL);
    const char *p[10] = {path->ref[0] ? path->ref : NULL,
                         key,
                         fv,
                         tv,
                         mapping,
                         m.reason ? m.reason : "schema migration",
                         pr->authenticated ? pr->email : "anonymous",
                         pr->is_admin ? "t" : "f",
                         pr->beheerder_orgs ? pr->beheerder_orgs : "{}",
                         actor};
    bs__store_write(api, req, &SQL_JOB_INSERT, p, job_inserted, c);
    free(actor);
    free(mapping);
    mig_req_free(&m);
}

/* ---- GET /api/v1/migrations/{job_id} ---- */

static void job_got(const PGresult *res, const char *err, void *arg) {
    bs_req *req = arg;
    bs__send_row0(req, res, err, 200, "Migration not found", "job_id", "No migration job with this id");
}

void bs__get_migration(bs_api *api, bs_req *req, const bs_path *path) {
    const bs_principal *pr = bs__principal(req);
    const char *p[3] = {path->ref, pr->is_admin ? "t" : "f", pr->beheerder_orgs ? pr->beheerder_orgs : "{}"};
    bs_store_exec(api->store, &SQL_JOB_GET, p, job_got, req);
}
