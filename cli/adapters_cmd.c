/*
 * bouwstroom adapters …  See adapters_cmd.h.
 */
#include "adapters_cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "outbox.h"
#include "zgw.h"

struct bs_cli_adapters {
    bs_store *store;
    bs_zgw *zgw;
    json_t *cfg;
    void (*done)(void *);
    void *done_arg;
};

const char *bs_cli_adapters_config_path(const char *config_path) {
    if (config_path && *config_path) return config_path;
    const char *env = getenv("BOUWSTROOM_ZGW_CONFIG");
    return env && *env ? env : NULL;
}

bs_cli_adapters *bs_cli_adapters_start(uv_loop_t *loop, const bs_clock *clock, bs_store *store, const char *path,
                                       bool once, void (*idle)(void *), void *idle_arg, bs_err *err) {
    json_t *cfg;
    if (bs_zgw_config_load(path, &cfg, err) != 0) return NULL;
    bs_cli_adapters *a = bs_calloc(1, sizeof *a);
    a->cfg = cfg;
    a->store = store;
    a->zgw = bs_zgw_start(loop, a->store, clock, cfg, once, idle, idle_arg, err);
    if (!a->zgw) {
        json_decref(cfg);
        free(a);
        return NULL;
    }
    return a;
}

bool bs_cli_adapters_running(const bs_cli_adapters *a, char *why, size_t len) {
    return bs_zgw_running(a->zgw, why, len);
}

static void zgw_stopped(void *arg) {
    bs_cli_adapters *a = arg;
    void (*done)(void *) = a->done;
    void *darg = a->done_arg;
    json_decref(a->cfg);
    free(a);
    if (done) done(darg);
}

void bs_cli_adapters_stop(bs_cli_adapters *a, void (*done)(void *), void *arg) {
    a->done = done;
    a->done_arg = arg;
    bs_zgw_stop(a->zgw, zgw_stopped, a);
}

/* ---------------------------------------------------------------- commands */

typedef struct cmd {
    uv_loop_t *loop;
    bs_store *store;
    bs_cli_adapters *worker;
    json_t *cfg;
    int rc;
    void (*done)(int, void *);
    void *arg;
} cmd;

static const char *opt(int argc, char **argv, const char *name) {
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

static void cmd_end(cmd *c, int rc) {
    void (*done)(int, void *) = c->done;
    void *arg = c->arg;
    json_decref(c->cfg);
    free(c);
    done(rc, arg);
}

static void state_printed(json_t *doc, const char *err, void *arg) {
    cmd *c = arg;
    if (!doc) {
        fprintf(stderr, "adapters: %s\n", err);
        cmd_end(c, 1);
        return;
    }
    char *s = bs_json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    json_decref(doc);
    cmd_end(c, c->rc);
}

static void worker_stopped(void *arg) {
    cmd *c = arg;
    c->worker = NULL;
    bs_outbox_state_json(c->store, "zgw", NULL, 100, state_printed, c);
}

static void run_idle(void *arg) {
    cmd *c = arg;
    bs_cli_adapters_stop(c->worker, worker_stopped, c);
}

static void counted(int n, const char *err, void *arg) {
    cmd *c = arg;
    if (err) {
        fprintf(stderr, "adapters: %s\n", err);
        cmd_end(c, 1);
        return;
    }
    printf("%d\n", n);
    fflush(stdout);
    cmd_end(c, c->rc);
}

static void notified(int n, const char *err, void *arg) {
    cmd *c = arg;
    if (err) {
        fprintf(stderr, "adapters: %s\n", err);
        cmd_end(c, 1);
        return;
    }
    printf("reconcile events: %d\n", n);
    fflush(stdout);
    cmd_end(c, 0);
}

void bs_cli_adapters_command(uv_loop_t *loop, bs_store *store, int argc, char **argv, void (*done)(int, void *),
                             void *arg) {
    cmd *c = bs_calloc(1, sizeof *c);
    c->loop = loop;
    c->store = store;
    c->done = done;
    c->arg = arg;
    const char *sub = argc > 0 ? argv[0] : "";
    const char *path = bs_cli_adapters_config_path(opt(argc, argv, "--config"));
    bs_err err = {0};
    if (strcmp(sub, "status") == 0) {
        bs_outbox_state_json(store, opt(argc, argv, "--adapter") ? opt(argc, argv, "--adapter") : "zgw",
                             opt(argc, argv, "--project"), 100, state_printed, c);
    } else if (strcmp(sub, "retry") == 0) {
        const char *ev = opt(argc, argv, "--event");
        bs_outbox_retry(store, "zgw", ev ? atoll(ev) : 0, counted, c);
    } else if (strcmp(sub, "run") == 0) {
        if (!path) {
            fprintf(stderr, "adapters run: no configuration (--config FILE or BOUWSTROOM_ZGW_CONFIG)\n");
            cmd_end(c, 2);
            return;
        }
        c->worker = bs_cli_adapters_start(loop, NULL, store, path, true, run_idle, c, &err);
        if (!c->worker) {
            fprintf(stderr, "adapters run: %s\n", err.msg);
            cmd_end(c, 1);
        }
    } else if (strcmp(sub, "notify") == 0) {
        /* the webhook function, driven from the command line: Authorization value from
         * --authorization (absent = no header), the notification body from stdin; prints the
         * HTTP status the API would answer */
        if (!path || bs_zgw_config_load(path, &c->cfg, &err) != 0) {
            fprintf(stderr, "adapters notify: %s\n", path ? err.msg : "no configuration");
            cmd_end(c, 2);
            return;
        }
        char body[65536];
        size_t len = fread(body, 1, sizeof body - 1, stdin);
        body[len] = 0;
        int status = bs_zgw_webhook_cfg(c->cfg, store, opt(argc, argv, "--authorization"), body, len, notified, c);
        printf("status: %d\n", status);
        fflush(stdout);
        if (status != 204) cmd_end(c, 0);
    } else {
        fprintf(stderr, "usage: bouwstroom adapters run --once [--config FILE] | status [--project ID] | "
                        "retry [--event ID] | notify [--authorization VALUE] [--config FILE] < body.json\n");
        cmd_end(c, 2);
    }
}
