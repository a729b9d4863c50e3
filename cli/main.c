/*
 * bouwstroom: the command line (migrate, import, summary, serve).
 *
 * Every command opens the async store on one libuv loop, applies pending migrations and
 * then does its work on that loop.
 */
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "adapters_cmd.h"
#include "api.h"
#include "conn_limit.h"
#include "delivery.h"
#include "eib_import.h"
#include "engine.h"
#include "export_cmd.h"
#include "forecast_sweep.h"
#include "geo.h"
#include "province_config.h"
#include "server_key.h"
#include "geojson_cmd.h"
#include "http.h"
#include "plusveld.h"
#include "schedule_cmd.h"
#include "schema_cmd.h"
#include "store.h"
#include "summary_forecast.h"
#include "access_cmd.h"
#include "user_cmd.h"
#include "web.h"
#include "worker.h"
#include "xlsx_cmd.h"
#include "zgw.h"

static const char usage[] =
    "usage: bouwstroom [--database URL] COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  migrate                     apply pending database migrations\n"
    "  import FILE [--source TAG]  import plans from an EIB-format GeoJSON file (default tag eib-2020)\n"
    "  import-xlsx FILE [--source TAG] [--sheet NAME]\n"
    "                              import a project list from an Excel workbook (default tag xlsx;\n"
    "                              docs/exchange.md); every row error is printed, nothing imported then\n"
    "  xlsx-dump FILE [--sheet NAME]  offline: print every cell of a workbook as JSON (no database)\n"
    "  summary                     print the per-province summary of the imported plans\n"
    "  export --geojson rd|wgs84 [--out FILE]\n"
    "                              write all projects as GeoJSON: RD New with a crs member, or RFC 7946\n"
    "                              WGS84 (default: standard output)\n"
    "  import-geojson FILE         import projects from such an export (either CRS; all or nothing)\n"
    "  serve [--host H] [--port P] [--smtp-url URL] [--mail-from ADDR] [--public-url URL]\n"
    "        [--today YYYY-MM-DD] [--clock YYYY-MM-DDTHH:MM:SSZ] [--token-max-days N]\n"
    "        [--max-connections N] [--max-connections-per-client N] [--trusted-proxies LIST]\n"
    "        [--request-timeout SECONDS]\n"
    "                              serve the HTTP API (default 127.0.0.1:8080; port 0 = ephemeral)\n"
    "                              and run the notifier (alerts by SMTP when an SMTP URL is set);\n"
    "                              connection caps and reverse proxies: docs/operations.md\n"
    "  schedule [--pretty] FILE.json\n"
    "                              offline: schedule a schema + project state, print JSON (no database)\n"
    "  schedule --jsonl (--process-schema KEY | --schema-file FILE) FILE.jsonl\n"
    "                              offline, many projects: one project's state a line in, one schedule\n"
    "                              a line out (JSON Lines; - reads standard input; docs/scheduling.md)\n"
    "  schema export-bpmn KEY|FILE offline: a process schema (shipped key or JSON file) as BPMN 2.0 XML\n"
    "  schema import-bpmn FILE     offline: such a BPMN file back to the schema's JSON; an element outside\n"
    "                              the subset is refused naming it (docs/process-schema.md)\n"
    "  adapters run --once | status [--project ID] | retry [--event ID] | notify [--authorization V]\n"
    "                              the adapter outbox (ZGW: --config FILE or BOUWSTROOM_ZGW_CONFIG;\n"
    "                              serve runs the worker when that is set; docs/adapters.md)\n"
    "  export --province zuid-holland|gelderland|excel [--out DIR] [--date YYYY-MM-DD]\n"
    "                              province export of the plans (files in DIR) and its quality-check\n"
    "                              summary (docs/exports.md)\n"
    "  user add EMAIL (--admin | --role ROLE) [--name NAME] [--organisation NAME]\n"
    "           [--organisation-kind KIND] [--all-municipalities] [--generate-password]\n"
    "                              add a user: password from one line on stdin (or generated), stored as\n"
    "                              an Argon2id hash; prints the TOTP otpauth:// URI once\n"
    "  user invite EMAIL --project ID [--organisation NAME] [--organisation-kind KIND] [--name NAME]\n"
    "                              admit an external developer to a project's private stream\n"
    "  user disable EMAIL | user reset-2fa EMAIL | user erase EMAIL\n"
    "  token create EMAIL [--scope read,write,admin] [--label TEXT] [--expires-days N]\n"
    "                              print a new bearer API token (only its SHA-256 is stored)\n"
    "  token revoke ID|TOKEN\n"
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
    bs_clock clock;
    bs_notifier *notifier;
    bs_forecast_sweep *sweep;   /* serve: the forecast sweep, unless switched off */
    bs_sweep_waker *waker;      /* serve: wakes the sweeps after a step or block write's commit (api.sweep_wake) */
    bs_user_add user;           /* `user add` (prepared before the loop runs) */
    bs_import_xlsx xlsx;        /* `import-xlsx` (file read before the loop runs) */
    bs_export_opts export_opts; /* `export` (prepared before the loop runs) */
    bs_cli_geojson geojson;     /* `export --geojson`, `import-geojson` */
    bool geojson_export;        /* `export --geojson` (else `export --province`) */
    bs_province_config province_config;            /* serve: the province exports of the API */
    bs_geo *geo;                                   /* serve: PROJ context of the API */
    json_t *zgw_config;                            /* serve: the ZGW configuration (webhook) */
    unsigned char server_key[BS_SERVER_KEY_BYTES]; /* serve: invitation secrets */
    bs_cli_adapters *adapters;                     /* serve: the ZGW worker, when configured */
    bs_web *web;                                   /* serve: the browser app, when --web-dir is set */
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

/* per province, plans whose expected period ends before their P50 forecast (set before
 * the summary query runs; freed in summary_done) */
static bs_summary_forecast *summary_fc;

static void summary_done(const PGresult *res, const char *err, void *arg) {
    app *a = arg;
    if (err) {
        fprintf(stderr, "summary failed: %s\n", err);
        bs_summary_forecast_free(summary_fc);
        summary_fc = NULL;
        finish(a, 1);
        return;
    }
    int n = PQntuples(res);
    printf("\n%-16s %9s %14s %26s %24s\n", "provincie", "projects", "homes to build", "expected before CP allows",
           "expected before P50");
    long tp = 0, th = 0, tl = 0, te = 0, tf = 0, tw = 0;
    for (int i = 0; i < n; i++) {
        long p = atol(PQgetvalue(res, i, 1)), h = atol(PQgetvalue(res, i, 2)), l = atol(PQgetvalue(res, i, 3)),
             e = atol(PQgetvalue(res, i, 4)), w = 0,
             f = bs_summary_forecast_later(summary_fc, PQgetvalue(res, i, 0), &w);
        printf("%-16s %9ld %14ld %15ld of %7ld %13ld of %7ld\n", PQgetvalue(res, i, 0), p, h, l, e, f, w);
        tp += p;
        th += h;
        tl += l;
        te += e;
        tf += f;
        tw += w;
    }
    printf("%-16s %9ld %14ld %15ld of %7ld %13ld of %7ld\n", "total", tp, th, tl, te, tf, tw);
    long fc_plans, fc_distinct;
    double fc_s;
    bs_summary_forecast_stats(summary_fc, &fc_plans, &fc_distinct, &fc_s);
    bs_summary_forecast_free(summary_fc);
    summary_fc = NULL;
    printf("\n'expected before P50': plans whose expected completion period ends before the median (P50) of\n"
           "their Monte Carlo forecast of laatste oplevering (lead times: reference history + own observations;\n"
           "%d samples per plan, seed 1; %ld plans, %ld distinct forecasts, %.1f s on the thread pool;\n"
           "docs/forecasting.md), of the plans with such a period and a forecast.\n",
           BS_SUMMARY_SAMPLES, fc_plans, fc_distinct, fc_s);
    printf("\n'expected before CP allows': plans whose latest completion period with a positive count\n"
           "(OP2019, OP202024, Op202529, Op20302050; OPLONB ignored) ends before the earliest laatste oplevering\n"
           "the critical path of their ppm-woningbouw schedule allows, of the plans with such a period.\n");
    fflush(stdout);
    finish(a, 0);
}

static void summary_forecast_done(bs_summary_forecast *r, const char *err, void *arg) {
    app *a = arg;
    if (err) {
        fprintf(stderr, "summary failed: forecasts: %s\n", err);
        finish(a, 1);
        return;
    }
    summary_fc = r;
    bs_store_query(a->store,
                   "SELECT provincie, count(*), COALESCE(sum(homes_remaining), 0), "
                   "count(*) FILTER (WHERE expected_by IS NOT NULL AND planned_completion > expected_by), "
                   "count(*) FILTER (WHERE expected_by IS NOT NULL) "
                   "FROM projects GROUP BY provincie ORDER BY provincie",
                   0, NULL, summary_done, a);
}

/* ---- serve ---- */

static void notifier_stopped(void *arg) {
    app *a = arg;
    finish(a, 0);
}

static void adapters_stopped(void *arg) {
    app *a = arg;
    bs_notifier_stop(a->notifier, notifier_stopped, a);
}

static void waker_closed(void *arg) {
    app *a = arg;
    a->waker = NULL;
    if (a->adapters)
        bs_cli_adapters_stop(a->adapters, adapters_stopped, a);
    else
        adapters_stopped(a);
}

static void sweep_stopped(void *arg) {
    app *a = arg;
    a->sweep = NULL;
    /* after the last request: its pending NOTIFY is sent before the store closes */
    bs_sweep_waker_close(a->waker, waker_closed, a);
}

static void http_stopped(void *arg) {
    app *a = arg;
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    if (a->waker) bs_sweep_waker_set_sweep(a->waker, NULL);
    bs_forecast_sweep_stop(a->sweep, sweep_stopped, a);
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

/* --clock, --token-max-days and --today into the API's settings; -1 (after a message) when one
 * is malformed. */
static int serve_time_options(app *a) {
    const char *today = opt_value(a, "--today");
    const char *clock = opt_value(a, "--clock");
    if (clock) { /* tests: move the wall clock (alerts, feeds) to this instant; it runs on from there */
        int y, mo, d, h, mi, se, nn = 0;
        if (sscanf(clock, "%d-%d-%dT%d:%d:%dZ%n", &y, &mo, &d, &h, &mi, &se, &nn) != 6 || clock[nn] != 0 ||
            !bs_date_valid(y, mo, d)) {
            fprintf(stderr, "serve: --clock must be YYYY-MM-DDTHH:MM:SSZ\n");
            return -1;
        }
        int64_t want = (int64_t)bs_date_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
        a->clock.offset_s = want - (int64_t)time(NULL);
    }
    a->api.clock = &a->clock;
    const char *one_trip = getenv("BOUWSTROOM_ONE_TRIP"); /* 0: no one-trip step writes (api/authz.c) */
    a->api.one_trip_off = one_trip && strcmp(one_trip, "0") == 0;
    const char *max_days = opt_value(a, "--token-max-days");
    if (max_days) { /* the longest validity of an API token made through the API (docs/operations.md) */
        char *end;
        long v = strtol(max_days, &end, 10);
        if (*max_days == 0 || *end != 0 || v < 1 || v > 3650) {
            fprintf(stderr, "serve: --token-max-days must be 1 to 3650\n");
            return -1;
        }
        a->api.token_max_days = (int)v;
    }
    a->api.today = bs_today_amsterdam;
    a->api.today_arg = &a->clock;
    if (today) {
        if (bs_date_parse(today, &a->fixed_today) != 0) {
            fprintf(stderr, "serve: --today must be YYYY-MM-DD\n");
            return -1;
        }
        a->api.today = fixed_today;
        a->api.today_arg = a;
    }
    return 0;
}

/* The API's optional parts, each from its file or library: the OpenAPI document, the
 * province export configuration, PROJ (GeoJSON exchange), the server key and the ZGW
 * webhook's configuration. A missing one disables its part, with a warning (the ZGW
 * configuration is optional: without it the webhook is off, silently). */
static void serve_load_optional(app *a) {
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/openapi.json", bs_home());
    a->api.openapi_json = bs_read_file(path, &a->api.openapi_len);
    a->api.plusveld_cache = bs_pv_cache_new(256); /* compiled plusveld patterns */
    if (!a->api.openapi_json) fprintf(stderr, "serve: warning: %s not found; /api/v1/openapi.json will be 404\n", path);
    snprintf(path, sizeof path, "%s/processes/provinces/province-exports.json", bs_home());
    size_t cfg_len = 0;
    char *cfg = bs_read_file(path, &cfg_len);
    bs_err perr = {0};
    if (cfg && bs_province_config_parse(cfg, cfg_len, &a->province_config, &perr) == 0)
        a->api.province_config = &a->province_config;
    else
        fprintf(stderr, "serve: warning: province exports unavailable: %s\n", cfg ? perr.msg : path);
    free(cfg);
    bs_err gerr = {0};
    if (bs_geo_open(&a->geo, &gerr) == BS_OK)
        a->api.geo = a->geo;
    else
        fprintf(stderr, "serve: warning: GeoJSON exchange unavailable: %s\n", gerr.msg);
    /* the server key derives invitation secrets (mailed by the notifier, stored as hashes) */
    char key_path[4096];
    snprintf(key_path, sizeof key_path, "%s/var/server.key", bs_home());
    bs_err kerr = {0};
    if (bs_server_key_load(key_path, a->server_key, &kerr) == 0)
        a->api.server_key = a->server_key;
    else
        fprintf(stderr, "serve: warning: no server key, invitations are not mailed: %s\n", kerr.msg);
    const char *zgw_path = bs_cli_adapters_config_path(opt_value(a, "--zgw-config"));
    if (zgw_path && bs_zgw_config_load(zgw_path, &a->zgw_config, &kerr) == 0) a->api.zgw_config = a->zgw_config;
}

/* GET /readyz's checks of the workers beside the API (bs_api.worker_checks): the notifier,
 * and the adapter outbox when ZGW is configured. */
static void worker_checks(void *arg, json_t *checks) {
    app *a = arg;
    char why[300];
    bool ok = bs_notifier_running(a->notifier, why, sizeof why);
    json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "name", "notifier", "ok", ok, "detail", why));
    if (a->sweep) {
        bs_forecast_sweep_stats st;
        bs_forecast_sweep_get_stats(a->sweep, &st);
        snprintf(why, sizeof why,
                 "%s; %lld passes, %lld projects forecast, %lld not forecastable, %d pending, %d with blocks%s%s",
                 st.running ? "sweeping" : "idle", (long long)st.passes, (long long)st.computed, (long long)st.failed,
                 st.pending, st.last_projects, st.last_error[0] ? "; last error: " : "", st.last_error);
        /* a sweep behind is no reason to take the server out of rotation: always ok */
        json_array_append_new(checks,
                              json_pack("{s:s, s:b, s:s}", "name", "forecast_sweep", "ok", true, "detail", why));
    }
    if (!bs_cli_adapters_config_path(opt_value(a, "--zgw-config"))) return;
    ok = a->adapters && bs_cli_adapters_running(a->adapters, why, sizeof why);
    if (!a->adapters) snprintf(why, sizeof why, "the ZGW adapter is configured but did not start (see the log)");
    json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "name", "adapters", "ok", ok, "detail", why));
}

/* Starts the notifier (alert mails through the SMTP server of --smtp-url or the environment;
 * links point at --public-url, else at the server's own address). Returns the SMTP URL, NULL
 * when none is configured. */
static const char *serve_start_notifier(app *a, const char *host, int bound) {
    char base[300];
    const char *public_url = opt_value(a, "--public-url");
    if (!public_url) public_url = getenv("BOUWSTROOM_PUBLIC_URL");
    a->api.public_url = public_url; /* links into the web app made by the API */
    snprintf(base, sizeof base, "http://%s:%d", host, bound);
    const char *smtp = opt_value(a, "--smtp-url");
    if (!smtp) smtp = getenv("BOUWSTROOM_SMTP_URL");
    const char *starttls = getenv("BOUWSTROOM_SMTP_STARTTLS");
    const char *mail_from = opt_value(a, "--mail-from");
    if (!mail_from) mail_from = getenv("BOUWSTROOM_MAIL_FROM");
    bs_notifier_config nc = {.smtp_url = smtp,
                             .smtp_username = getenv("BOUWSTROOM_SMTP_USER"),
                             .smtp_password = getenv("BOUWSTROOM_SMTP_PASSWORD"),
                             .require_starttls = starttls && strcmp(starttls, "1") == 0,
                             .mail_from = mail_from ? mail_from : "bouwstroom@localhost",
                             .base_url = public_url ? public_url : base,
                             .server_key = a->api.server_key,
                             .today = a->api.today,
                             .today_arg = a->api.today_arg};
    const char *retry = getenv("BOUWSTROOM_SMTP_RETRY_BASE_S");
    if (retry) nc.retry_base_s = atoi(retry);
    const char *lease = getenv("BOUWSTROOM_QUEUE_LEASE_MS"); /* tests: leases of seconds */
    if (lease) nc.lease_ms = atoi(lease);
    const char *parallel = getenv("BOUWSTROOM_SMTP_PARALLEL");
    if (parallel) nc.max_parallel = atoi(parallel);
    const char *replan = getenv("BOUWSTROOM_DAILY_REPLAN");
    nc.no_daily_replan = replan && strcmp(replan, "0") == 0;
    a->notifier = bs_notifier_start(a->loop, a->store, &a->engine, &a->clock, &nc);
    const char *at = strrchr(nc.mail_from, '@');
    a->api.mail_domain = at ? at + 1 : "localhost";
    return smtp;
}

/* Starts the forecast sweep (engine/runtime/forecast_sweep.h) unless BOUWSTROOM_FORECAST_SWEEP is
 * "0" (docs/operations.md "The forecast sweep"; the integration tests switch it off unless they
 * test it). */
static void serve_start_sweep(app *a) {
    /* the step and block writes send no NOTIFY in their transaction; this wakes the sweeps after
     * their commit: this node's directly, the other nodes' by a debounced NOTIFY (issue 17 item 1) */
    const char *wake = getenv("BOUWSTROOM_SWEEP_WAKE");       /* "0": NOTIFY in the writes, as before (benchmarks) */
    const char *wake_ms = getenv("BOUWSTROOM_SWEEP_WAKE_MS"); /* tests: a long debounce (ms; default 100) */
    if (!wake || strcmp(wake, "0") != 0) {
        a->waker = bs_sweep_waker_new(a->loop, a->store, wake_ms ? atoi(wake_ms) : 0);
        a->api.sweep_wake = bs_sweep_waker_wake;
        a->api.sweep_wake_arg = a->waker;
    }
    const char *on = getenv("BOUWSTROOM_FORECAST_SWEEP");
    if (on && strcmp(on, "0") == 0) return;
    bs_forecast_sweep_config cfg = {.today = a->api.today, .today_arg = a->api.today_arg};
    const char *nice = getenv("BOUWSTROOM_SWEEP_NICE"); /* "0": the batches at the loop's priority (benchmarks) */
    if (nice) cfg.nice = atoi(nice) > 0 ? atoi(nice) : -1;
    a->sweep = bs_forecast_sweep_start(a->loop, a->store, &a->engine, a->api.delivery_cache, &cfg);
    if (a->waker) bs_sweep_waker_set_sweep(a->waker, a->sweep);
}

/* Default map tiles: PDOK's BRT achtergrondkaart (Kadaster, open data, CC BY 4.0), WMTS as
 * XYZ tiles in EPSG:3857 (https://www.pdok.nl/introductie/-/article/basisregistratie-topografie-achtergrondkaarten-brt-a-). */
#define DEFAULT_MAP_TILES "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
#define DEFAULT_MAP_ATTRIBUTION "Kaartgegevens \u00a9 Kadaster"

/* The option's value, else the environment variable's, else NULL. */
static const char *opt_or_env(app *a, const char *opt, const char *env) {
    const char *v = opt_value(a, opt);
    return v ? v : getenv(env);
}

/* The browser app (--web-dir / BOUWSTROOM_WEB_DIR, --theme-dir / BOUWSTROOM_THEME_DIR) and
 * the map of app-config (--map-tiles / BOUWSTROOM_MAP_TILES, "none" = no tiles;
 * --map-attribution / BOUWSTROOM_MAP_ATTRIBUTION). -1 after a message when the app cannot be
 * loaded. */
static int serve_web_options(app *a) {
    const char *tiles = opt_or_env(a, "--map-tiles", "BOUWSTROOM_MAP_TILES");
    if (!tiles || !*tiles) tiles = DEFAULT_MAP_TILES;
    a->api.map_tiles = strcmp(tiles, "none") == 0 ? NULL : tiles;
    const char *attribution = opt_or_env(a, "--map-attribution", "BOUWSTROOM_MAP_ATTRIBUTION");
    a->api.map_attribution = attribution ? attribution : a->api.map_tiles ? DEFAULT_MAP_ATTRIBUTION : "";
    const char *dir = opt_or_env(a, "--web-dir", "BOUWSTROOM_WEB_DIR");
    if (!dir || !*dir) return 0;
    const char *theme = opt_or_env(a, "--theme-dir", "BOUWSTROOM_THEME_DIR");
    char err[512];
    a->web = bs_web_open(dir, theme && *theme ? theme : NULL, a->api.map_tiles, err, sizeof err);
    if (!a->web) {
        fprintf(stderr, "serve: the web app cannot be served: %s\n", err);
        return -1;
    }
    a->api.web = a->web;
    return 0;
}

/* Raises the soft limit of open files to the hard limit (a server of many connections needs
 * more than the usual 1,024). Returns the soft limit in effect, or -1 when unknown. */
static long raise_open_files(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if (rl.rlim_cur != rl.rlim_max) {
        struct rlimit want = rl;
        want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

/* A positive count from option opt or environment variable env into *out (unchanged when
 * neither is set); -1 after a message when it is not a number from 1 to 10,000,000. */
static int count_option(app *a, const char *opt, const char *env, int *out) {
    const char *v = opt_or_env(a, opt, env);
    if (!v || !*v) return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end != 0 || n < 1 || n > 10000000) {
        fprintf(stderr, "serve: %s (%s) must be a number from 1 to 10000000, not '%s'\n", opt, env, v);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* The connection caps and trusted proxies (--max-connections / BOUWSTROOM_MAX_CONNECTIONS,
 * --max-connections-per-client / BOUWSTROOM_MAX_CONNECTIONS_PER_CLIENT, --trusted-proxies /
 * BOUWSTROOM_TRUSTED_PROXIES) and the request timeout (--request-timeout /
 * BOUWSTROOM_REQUEST_TIMEOUT, seconds from 1 to 3,600; default BS_HTTP_REQUEST_TIMEOUT_MS)
 * after raising the open-files limit; defaults and the ceiling
 * the limit allows in api/conn_limit.h (docs/operations.md "Connection limits"). -1 after a
 * message when one is malformed. */
static int serve_http_limits(app *a, bs_http_limits *l, long *nofile) {
    *nofile = raise_open_files();
    int ceiling = bs_conn_total_ceiling(*nofile < 0 ? 1024 : *nofile, BS_HTTP_MAX_OVERFLOW);
    *l = (bs_http_limits){.max_connections = BS_CONN_DEFAULT_MAX_TOTAL,
                          .max_connections_per_client = BS_CONN_DEFAULT_MAX_PER_CLIENT,
                          .max_overflow = BS_HTTP_MAX_OVERFLOW,
                          .trusted_proxies = opt_or_env(a, "--trusted-proxies", "BOUWSTROOM_TRUSTED_PROXIES")};
    if (l->trusted_proxies && !*l->trusted_proxies) l->trusted_proxies = NULL;
    bool given = opt_or_env(a, "--max-connections", "BOUWSTROOM_MAX_CONNECTIONS") != NULL;
    if (count_option(a, "--max-connections", "BOUWSTROOM_MAX_CONNECTIONS", &l->max_connections) != 0 ||
        count_option(a, "--max-connections-per-client", "BOUWSTROOM_MAX_CONNECTIONS_PER_CLIENT",
                     &l->max_connections_per_client) != 0)
        return -1;
    int timeout_s = BS_HTTP_REQUEST_TIMEOUT_MS / 1000;
    if (count_option(a, "--request-timeout", "BOUWSTROOM_REQUEST_TIMEOUT", &timeout_s) != 0) return -1;
    if (timeout_s > 3600) {
        fprintf(stderr, "serve: --request-timeout (BOUWSTROOM_REQUEST_TIMEOUT) must be at most 3600 seconds, not %d\n",
                timeout_s);
        return -1;
    }
    l->request_timeout_ms = timeout_s * 1000;
    if (l->max_connections > ceiling) {
        if (given)
            fprintf(stderr, "serve: warning: --max-connections %d lowered to %d: the open-files limit is %ld\n",
                    l->max_connections, ceiling, *nofile);
        l->max_connections = ceiling;
    }
    if (l->max_connections_per_client > l->max_connections) l->max_connections_per_client = l->max_connections;
    return 0;
}

static void serve(app *a) {
    const char *host = opt_value(a, "--host");
    const char *port_s = opt_value(a, "--port");
    if (!host) host = getenv("BOUWSTROOM_HOST");
    if (!port_s) port_s = getenv("BOUWSTROOM_PORT");
    if (!host) host = "127.0.0.1";
    int port = port_s ? atoi(port_s) : 8080;
    a->api.loop = a->loop;
    a->api.store = a->store;
    a->api.engine = &a->engine;
    a->api.delivery_cache = bs_delivery_cache_new();
    if (serve_time_options(a) != 0 || serve_web_options(a) != 0) {
        finish(a, 2);
        return;
    }
    bs_http_limits limits;
    long nofile;
    if (serve_http_limits(a, &limits, &nofile) != 0) {
        finish(a, 2);
        return;
    }
    serve_load_optional(a);
    char mdir[4096];
    snprintf(mdir, sizeof mdir, "%s/engine/runtime/migrations", bs_home());
    a->api.migrations = bs_store_migration_versions(mdir, &a->api.n_migrations);
    a->api.worker_checks = worker_checks;
    a->api.worker_checks_arg = a;
    bs_err err = {0};
    int bound = 0;
    a->http = bs_http_start(a->loop, host, port, &limits, bs_api_handle, &a->api, &bound, &err);
    if (!a->http) {
        fprintf(stderr, "serve: %s%s\n", strcmp(err.field, "trusted_proxies") == 0 ? "--trusted-proxies: " : "",
                err.msg);
        finish(a, err.field[0] ? 2 : 1);
        return;
    }
    uv_signal_init(a->loop, &a->sigint);
    uv_signal_init(a->loop, &a->sigterm);
    a->sigint.data = a->sigterm.data = a;
    uv_signal_start(&a->sigint, on_signal, SIGINT);
    uv_signal_start(&a->sigterm, on_signal, SIGTERM);
    const char *smtp = serve_start_notifier(a, host, bound);
    const char *zgw = bs_cli_adapters_config_path(opt_value(a, "--zgw-config"));
    if (zgw) {
        bs_err zerr = {0};
        a->adapters = bs_cli_adapters_start(a->loop, &a->clock, a->store, zgw, false, NULL, NULL, &zerr);
        if (!a->adapters) fprintf(stderr, "serve: ZGW adapter not started: %s\n", zerr.msg);
    }
    serve_start_sweep(a);
    bs_api_migrations_resume(&a->api);
    printf("listening on http://%s:%d\n", host, bound);
    printf("connections: at most %d, %d per client address (open files: %ld)%s%s\n", limits.max_connections,
           limits.max_connections_per_client, nofile, limits.trusted_proxies ? "; trusted proxies: " : "",
           limits.trusted_proxies ? limits.trusted_proxies : "");
    if (a->web) printf("web app: http://%s:%d/ (%zu files)\n", host, bound, bs_web_count(a->web));
    if (!smtp) printf("alerts: planned and kept; no SMTP server configured (--smtp-url or BOUWSTROOM_SMTP_URL)\n");
    fflush(stdout);
}

/* ---- user add ---- */

static void user_added(int rc, void *arg) {
    finish(arg, rc);
}

/* ---- import-xlsx ---- */

static void xlsx_imported(int rc, void *arg) {
    finish(arg, rc);
}

/* ---- export ---- */

static void export_done(int rc, void *arg) {
    finish(arg, rc);
}

static void adapters_done(int rc, void *arg) {
    finish(arg, rc);
}

/* ---- start-up ---- */

static void run_command(app *a);

/* The deployed schema versions into the engine (bs_engine_add_version), then the command. */
static void versions_loaded(const PGresult *res, const char *err, void *arg) {
    app *a = arg;
    if (err) {
        fprintf(stderr, "bouwstroom: cannot load the deployed process schema versions: %s\n", err);
        finish(a, 1);
        return;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        bs_err e = {0};
        if (bs_engine_add_version(&a->engine, PQgetvalue(res, r, 2), (size_t)PQgetlength(res, r, 2), &e) != 0) {
            fprintf(stderr, "bouwstroom: process schema %s version %s: %s\n", PQgetvalue(res, r, 0),
                    PQgetvalue(res, r, 1), e.msg);
            finish(a, 1);
            return;
        }
    }
    run_command(a);
}

static void migrated(const char *err, int n_applied, void *arg) {
    app *a = arg;
    if (err) {
        fprintf(stderr, "migrate failed: %s\n", err);
        finish(a, 1);
        return;
    }
    if (n_applied) fprintf(stderr, "migrate: %d migration(s) applied\n", n_applied);
    if (strcmp(a->command, "migrate") == 0 || bs_cli_access_handles(a->command, a->n_args, a->args)) {
        finish(a, 0); /* access commands run after the loop, on a connection of their own */
        return;
    }
    /* the schema versions deployed through the API, before anything plans a project */
    bs_store_query(a->store, BS_ENGINE_VERSIONS_SQL, 0, NULL, versions_loaded, a);
}

/* After the migrations and the deployed schema versions: the command. */
static void run_command(app *a) {
    if (strcmp(a->command, "import") == 0) {
        const char *src = opt_value(a, "--source");
#ifdef __GLIBC__
        /* glibc's fast bins off (mallopt(3), M_MXFAST 0) for the import's ≈ 800,000 small blocks of
         * jansson: with them, every block of 1 KB or more (the hash table of an object of ≈ 40
         * members) first consolidates every freed small one (malloc_consolidate, ≈ 6 % of the
         * client's CPU); without them the client's CPU is ≈ 5-8 % lower (docs/performance.md,
         * branch imp7). tcache still serves the small blocks. */
        mallopt(M_MXFAST, 0);
#endif
        bs_eib_import(a->loop, a->store, &a->engine, a->args[0], src ? src : "eib-2020", stdout, import_done, a);
    } else if (strcmp(a->command, "import-xlsx") == 0) {
        bs_cli_import_xlsx_run(a->loop, a->store, &a->engine, &a->xlsx, xlsx_imported, a);
    } else if (strcmp(a->command, "summary") == 0) {
        /* the forecasts first (thread pool), then the per-province query (summary_forecast_done) */
        bs_summary_forecast_run(a->loop, a->store, &a->engine, summary_forecast_done, a);
    } else if (strcmp(a->command, "export") == 0 && !a->geojson_export) {
        bs_cli_export_run(a->store, &a->export_opts, export_done, a);
    } else if (strcmp(a->command, "adapters") == 0) {
        bs_cli_adapters_command(a->loop, a->store, a->n_args, a->args, adapters_done, a);
    } else if (strcmp(a->command, "user") == 0) {
        bs_cli_user_add_run(a->store, &a->user, user_added, a);
    } else if (a->geojson_export || strcmp(a->command, "import-geojson") == 0) {
        bs_cli_geojson_run(a->loop, a->store, &a->engine, &a->geojson, export_done, a); /* done → finish(rc) */
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
    /* the thread pool runs forecasts and SMTP sends; set before libuv creates it */
    setenv("UV_THREADPOOL_SIZE", "8", 0);
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
    if (strcmp(argv[i], "schedule") == 0) return bs_cli_schedule(argc - i - 1, argv + i + 1);   /* no database */
    if (strcmp(argv[i], "xlsx-dump") == 0) return bs_cli_xlsx_dump(argc - i - 1, argv + i + 1); /* no database */
    if (strcmp(argv[i], "schema") == 0) return bs_cli_schema(argc - i - 1, argv + i + 1);       /* no database */
    app a = {0};
    a.command = argv[i];
    a.args = argv + i + 1;
    a.n_args = argc - i - 1;
    if (strcmp(a.command, "migrate") != 0 && strcmp(a.command, "import") != 0 && strcmp(a.command, "summary") != 0 &&
        strcmp(a.command, "serve") != 0 && strcmp(a.command, "user") != 0 && strcmp(a.command, "token") != 0 &&
        strcmp(a.command, "import-xlsx") != 0 && strcmp(a.command, "export") != 0 &&
        strcmp(a.command, "import-geojson") != 0 && strcmp(a.command, "adapters") != 0) {
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
    bool access = bs_cli_access_handles(a.command, a.n_args, a.args);
    if (access) {
        int rc = bs_cli_access_check(a.command, a.n_args, a.args);
        if (rc) return rc;
    } else if (strcmp(a.command, "user") == 0) { /* arguments, password and hashing before the loop runs */
        int rc = bs_cli_user_prepare(a.n_args, a.args, &a.user);
        if (rc != 0) {
            bs_auth_done();
            return rc;
        }
    }
    /* `export --geojson …` is the GeoJSON exchange; `export --province …` the province exports */
    for (int k = 0; strcmp(a.command, "export") == 0 && k < a.n_args; k++)
        if (strcmp(a.args[k], "--geojson") == 0) a.geojson_export = true;
    if (strcmp(a.command, "import-xlsx") == 0) { /* arguments and the file before the loop runs */
        int rc = bs_cli_import_xlsx_prepare(a.n_args, a.args, &a.xlsx);
        if (rc != 0) return rc;
    }
    if (strcmp(a.command, "export") == 0 && !a.geojson_export) { /* options and the dated configuration */
        char cfg[4096];
        snprintf(cfg, sizeof cfg, "%s/processes/provinces/province-exports.json", bs_home());
        int rc = bs_cli_export_prepare(a.n_args, a.args, cfg, &a.export_opts);
        if (rc != 0) {
            bs_cli_export_free(&a.export_opts);
            return rc;
        }
    }
    if (a.geojson_export || strcmp(a.command, "import-geojson") == 0) {
        int rc = bs_cli_geojson_prepare(a.command, a.n_args, a.args, &a.geojson);
        if (rc != 0) return rc;
    }
    bs_err err = {0};
    char dir[4096], *report = NULL;
    snprintf(dir, sizeof dir, "%s/processes", bs_home());
    /* the import never forecasts: no reference history to fit before it starts */
    unsigned eflags = strcmp(a.command, "import") == 0 ? BS_ENGINE_NO_REFERENCE : 0;
    if (bs_engine_init_ex(&a.engine, dir, eflags, &err, &report) != 0) {
        fprintf(stderr, "bouwstroom: %s\n", report ? report : err.msg);
        free(report);
        bs_engine_free(&a.engine);
        free(a.xlsx.data);
        return 1;
    }
    a.loop = uv_default_loop();
    /* serve: the API, the notifier (one connection for its transactions), the adapter worker and
     * the one LISTEN connection of every subscriber share the pool; import: its batches are
     * stored BS_EIB_IMPORT_CONNECTIONS at once */
    a.store = bs_store_open(a.loop, db,
                            strcmp(a.command, "serve") == 0      ? 8
                            : strcmp(a.command, "adapters") == 0 ? 3
                            : strcmp(a.command, "import") == 0   ? BS_EIB_IMPORT_CONNECTIONS
                                                                 : 1,
                            store_ready, &a);
    bs_run_until(a.loop, &a.done);
    uv_run(a.loop, UV_RUN_NOWAIT);
    bs_engine_free(&a.engine);
    free(a.api.openapi_json);
    bs_dash_cache_free(a.api.dash_cache);
    if (a.api.state_cache) { /* for the benchmarks (scripts/bench_write.sh): how often a request found its state */
        size_t n, bytes;
        unsigned long long hits, misses;
        bs_state_cache_stats(a.api.state_cache, &n, &bytes, &hits, &misses);
        fprintf(stderr, "state cache: %zu entries, %zu bytes, %llu hits, %llu misses\n", n, bytes, hits, misses);
    }
    if (a.api.one_trip_tried) /* the one-trip step writes (api/authz.c): tried, proven */
        fprintf(stderr, "one-trip writes: %llu tried, %llu proven\n", a.api.one_trip_tried, a.api.one_trip_proven);
    bs_state_cache_free(a.api.state_cache);
    bs_gate_memo_free(a.api.gate_memo);
    bs_delivery_cache_free(a.api.delivery_cache);
    bs_pv_cache_free(a.api.plusveld_cache);
    free(a.api.migrations);
    if (a.api.province_config) bs_province_config_free(&a.province_config);
    bs_geo_close(a.geo);
    json_decref(a.zgw_config);
    bs_web_free(a.web);
    free(a.xlsx.data); /* set when the store failed before the import ran */
    if (access && a.rc == 0) a.rc = bs_cli_access_run(db, a.command, a.n_args, a.args);
    if (strcmp(a.command, "user") == 0 || strcmp(a.command, "token") == 0) bs_auth_done();
    bs_cli_export_free(&a.export_opts);
    bs_geo_close(a.geojson.geo); /* when the command never ran (no database); NULL otherwise */
    return a.rc;
}
