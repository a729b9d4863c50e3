/*
 * bouwstroom: the command line (migrate, import, summary, serve).
 *
 * Every command opens the async store on one libuv loop, applies pending migrations and
 * then does its work on that loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api.h"
#include "eib_import.h"
#include "engine.h"
#include "http.h"
#include "store.h"

static const char usage[] =
    "usage: bouwstroom [--database URL] COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  migrate                     apply pending database migrations\n"
    "  import FILE [--source TAG]  import plans from an EIB-format GeoJSON file (default tag eib-2020)\n"
    "  summary                     print the per-province summary of the imported plans\n"
    "  serve [--host H] [--port P] [--today YYYY-MM-DD]\n"
    "                              serve the HTTP API (default 127.0.0.1:8080; port 0 = ephemeral)\n"
    "\n"
    "The database is BOUWSTROOM_DATABASE_URL unless --database is given.\n";

typedef struct app {
    uv_loop_t *loop;
    bs_store *store;
    bs_engine engine;
    bool done;
    int rc;
    /* command state */
    const char *command;
    char **args;
    int n_args;
    bs_http *http;
    bs_api api;
    uv_signal_t sigint, sigterm;
    bs_day fixed_today;
    bool stopping;
} app;

static void stop_loop_after_store(void *arg) {
    app *a = arg;
    a->done = true;
}

static void finish(app *a, int rc) {
    a->rc = rc;
    bs_store_close(a->store, stop_loop_after_store, a);
}

static const char *opt_value(app *a, const char *name) {
    for (int i = 0; i + 1 < a->n_args; i++)
        if (strcmp(a->args[i], name) == 0) return a->args[i + 1];
    return NULL;
}

/* ---- import ---- */

static void import_done(const bs_import_result *r, void *arg) {
    app *a = arg;
    printf("import: %d read, %d imported (%d new, %d updated, %d unchanged), %d rejected\n", r->read,
           r->inserted + r->updated + r->unchanged, r->inserted, r->updated, r->unchanged, r->rejected);
    if (r->n_kinds) printf("import: warnings by kind:\n");
    for (int i = 0; i < r->n_kinds; i++)
        printf("  %5d  %s (e.g. %s)\n", r->warnings[i].count, r->warnings[i].kind, r->warnings[i].example);
    if (r->error[0]) fprintf(stderr, "import failed: %s\n", r->error);
    fflush(stdout);
    finish(a, r->error[0] ? 1 : 0);
}

/* ---- summary ---- */

static void summary_done(const PGresult *res, const char *err, void *arg) {
    app *a = arg;
    if (err) {
        fprintf(stderr, "summary failed: %s\n", err);
        finish(a, 1);
        return;
    }
    int n = PQntuples(res);
    printf("\n%-16s %9s %14s %26s\n", "provincie", "projects", "homes to build", "expected before CP allows");
    long tp = 0, th = 0, tl = 0, te = 0;
    for (int i = 0; i < n; i++) {
        long p = atol(PQgetvalue(res, i, 1)), h = atol(PQgetvalue(res, i, 2)), l = atol(PQgetvalue(res, i, 3)),
             e = atol(PQgetvalue(res, i, 4));
        printf("%-16s %9ld %14ld %15ld of %7ld\n", PQgetvalue(res, i, 0), p, h, l, e);
        tp += p;
        th += h;
        tl += l;
        te += e;
    }
    printf("%-16s %9ld %14ld %15ld of %7ld\n", "total", tp, th, tl, te);
    printf("\n'expected before CP allows': plans whose latest completion period with a positive count\n"
           "(OP2019, OP202024, Op202529, Op20302050; OPLONB ignored) ends before the earliest laatste oplevering\n"
           "the critical path of their ppm-woningbouw schedule allows, of the plans with such a period.\n");
    fflush(stdout);
    finish(a, 0);
}

/* ---- serve ---- */

static void http_stopped(void *arg) {
    app *a = arg;
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    finish(a, 0);
}

static void on_signal(uv_signal_t *s, int signum) {
    app *a = s->data;
    if (a->stopping) return; /* a second signal while draining: keep draining */
    a->stopping = true;
    fprintf(stderr, "serve: %s received, shutting down\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
    bs_http_stop(a->http, 3000, http_stopped, a);
}

static bs_day fixed_today(void *arg) {
    return ((app *)arg)->fixed_today;
}

static void serve(app *a) {
    const char *host = opt_value(a, "--host");
    const char *port_s = opt_value(a, "--port");
    const char *today = opt_value(a, "--today");
    if (!host) host = getenv("BOUWSTROOM_HOST");
    if (!port_s) port_s = getenv("BOUWSTROOM_PORT");
    if (!host) host = "127.0.0.1";
    int port = port_s ? atoi(port_s) : 8080;
    a->api.store = a->store;
    a->api.engine = &a->engine;
    a->api.today = bs_today_amsterdam;
    if (today) {
        if (bs_date_parse(today, &a->fixed_today) != 0) {
            fprintf(stderr, "serve: --today must be YYYY-MM-DD\n");
            finish(a, 2);
            return;
        }
        a->api.today = fixed_today;
        a->api.today_arg = a;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/openapi.json", bs_home());
    a->api.openapi_json = bs_read_file(path, &a->api.openapi_len);
    if (!a->api.openapi_json) fprintf(stderr, "serve: warning: %s not found; /api/v1/openapi.json will be 404\n", path);
    char err[256];
    int bound = 0;
    a->http = bs_http_start(a->loop, host, port, bs_api_handle, &a->api, &bound, err, sizeof err);
    if (!a->http) {
        fprintf(stderr, "serve: %s\n", err);
        finish(a, 1);
        return;
    }
    uv_signal_init(a->loop, &a->sigint);
    uv_signal_init(a->loop, &a->sigterm);
    a->sigint.data = a->sigterm.data = a;
    uv_signal_start(&a->sigint, on_signal, SIGINT);
    uv_signal_start(&a->sigterm, on_signal, SIGTERM);
    printf("listening on http://%s:%d\n", host, bound);
    fflush(stdout);
}

/* ---- start-up ---- */

static void migrated(const char *err, int n_applied, void *arg) {
    app *a = arg;
    if (err) {
        fprintf(stderr, "migrate failed: %s\n", err);
        finish(a, 1);
        return;
    }
    if (n_applied) fprintf(stderr, "migrate: %d migration(s) applied\n", n_applied);
    if (strcmp(a->command, "migrate") == 0) {
        finish(a, 0);
    } else if (strcmp(a->command, "import") == 0) {
        const char *src = opt_value(a, "--source");
        bs_eib_import(a->loop, a->store, &a->engine, a->args[0], src ? src : "eib-2020", stdout, import_done, a);
    } else if (strcmp(a->command, "summary") == 0) {
        bs_store_query(a->store,
                       "SELECT provincie, count(*), COALESCE(sum(homes_remaining), 0), "
                       "count(*) FILTER (WHERE expected_by IS NOT NULL AND planned_completion > expected_by), "
                       "count(*) FILTER (WHERE expected_by IS NOT NULL) "
                       "FROM projects GROUP BY provincie ORDER BY provincie",
                       0, NULL, summary_done, a);
    } else {
        serve(a);
    }
}

static void store_ready(bs_store *s, const char *err, void *arg) {
    (void)s;
    app *a = arg;
    if (err) {
        fprintf(stderr, "bouwstroom: %s\n", err);
        finish(a, 1);
        return;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/engine/runtime/migrations", bs_home());
    bs_store_migrate(a->store, dir, migrated, a);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    const char *db = getenv("BOUWSTROOM_DATABASE_URL");
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--database") == 0) {
        db = argv[i + 1];
        i += 2;
    }
    if (i >= argc || strcmp(argv[i], "help") == 0 || strcmp(argv[i], "--help") == 0) {
        fputs(usage, i >= argc ? stderr : stdout);
        return i >= argc ? 2 : 0;
    }
    app a = {0};
    a.command = argv[i];
    a.args = argv + i + 1;
    a.n_args = argc - i - 1;
    if (strcmp(a.command, "migrate") != 0 && strcmp(a.command, "import") != 0 && strcmp(a.command, "summary") != 0 &&
        strcmp(a.command, "serve") != 0) {
        fprintf(stderr, "bouwstroom: unknown command '%s'\n\n%s", a.command, usage);
        return 2;
    }
    if (strcmp(a.command, "import") == 0 && (a.n_args < 1 || a.args[0][0] == '-')) {
        fprintf(stderr, "bouwstroom import: FILE is required\n");
        return 2;
    }
    if (!db || !*db) {
        fprintf(stderr, "bouwstroom: set BOUWSTROOM_DATABASE_URL or pass --database URL\n");
        return 2;
    }
    char err[8192];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/processes", bs_home());
    if (bs_engine_init(&a.engine, dir, err, sizeof err) != 0) {
        fprintf(stderr, "bouwstroom: %s\n", err);
        bs_engine_free(&a.engine);
        return 1;
    }
    a.loop = uv_default_loop();
    a.store = bs_store_open(a.loop, db, strcmp(a.command, "serve") == 0 ? 4 : 1, store_ready, &a);
    bs_run_until(a.loop, &a.done);
    uv_run(a.loop, UV_RUN_NOWAIT);
    bs_engine_free(&a.engine);
    free(a.api.openapi_json);
    return a.rc;
}
