/*
 * `bouwstroom export`: province exports of the stored plans. See export_cmd.h.
 */
#include "export_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "clock.h"
#include "engine.h"
#include "province_export.h"
#include "province_xlsx.h"

static const char export_usage[] =
    "usage: bouwstroom export --province zuid-holland|gelderland|excel [--out DIR] [--date YYYY-MM-DD]\n"
    "  --province  the export: zuid-holland (GeoJSON in RD with per-year counts), gelderland (plan layer +\n"
    "              DetailPlanning as GeoJSON and CSV), excel (Planmonitor-style workbook, every province)\n"
    "  --out       directory for the files (default: the current directory)\n"
    "  --date      reference date: selects the price classes in force (default: today, Europe/Amsterdam)\n";

int bs_cli_export_prepare(int argc, char **argv, const char *config_path, bs_export_opts *o) {
    memset(o, 0, sizeof *o);
    o->out_dir = ".";
    bs_clock clk = {0};
    o->date = bs_clock_today_amsterdam(&clk);
    const char *prov = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 < argc && strcmp(a, "--province") == 0) {
            prov = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--out") == 0) {
            o->out_dir = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--date") == 0) {
            if (bs_date_parse(argv[++i], &o->date) != 0) {
                fprintf(stderr, "bouwstroom export: --date must be a date YYYY-MM-DD\n");
                return 2;
            }
        } else {
            fprintf(stderr, "bouwstroom export: unexpected argument '%s'\n%s", a, export_usage);
            return 2;
        }
    }
    if (!prov) {
        fprintf(stderr, "bouwstroom export: --province is required\n%s", export_usage);
        return 2;
    }
    size_t len = 0;
    char *text = bs_read_file(config_path, &len);
    if (!text) {
        fprintf(stderr, "bouwstroom export: %s: %s\n", config_path, strerror(errno));
        return 1;
    }
    bs_err err = {0};
    int rc = bs_province_config_parse(text, len, &o->config, &err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "bouwstroom export: %s is not valid:\n%s\n", config_path, err.msg);
        return 1;
    }
    if (strlen(prov) >= sizeof o->key || !bs_province_config_export(&o->config, prov)) {
        fprintf(stderr, "bouwstroom export: unknown --province '%s' (configured:", prov);
        for (int i = 0; i < o->config.n_exports; i++) fprintf(stderr, " %s", o->config.exports[i].key);
        fprintf(stderr, ")\n");
        return 2;
    }
    snprintf(o->key, sizeof o->key, "%s", prov);
    struct stat st;
    if (stat(o->out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "bouwstroom export: --out %s is not a directory\n", o->out_dir);
        return 2;
    }
    return 0;
}

void bs_cli_export_free(bs_export_opts *o) {
    bs_province_config_free(&o->config);
}

typedef struct export_job {
    bs_store *store;
    bs_export_opts *o;
    void (*done)(int rc, void *arg);
    void *arg;
} export_job;

static void finish(export_job *j, int rc) {
    void (*done)(int, void *) = j->done;
    void *arg = j->arg;
    free(j);
    done(rc, arg);
}

static int write_text(const char *dir, const char *name, const char *text, char *path, size_t pathlen) {
    snprintf(path, pathlen, "%s/%s", dir, name);
    if (!text) {
        fprintf(stderr, "bouwstroom export: %s: out of memory\n", path);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    size_t n = strlen(text);
    if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "bouwstroom export: %s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("export: wrote %s\n", path);
    return 0;
}

/* Writes the files of the export; returns 0 or -1. */
static int write_files(const bs_export *ex, const char *dir) {
    char day[11], name[128], path[4352];
    bs_date_format(ex->date, day);
    const char *key = ex->profile->key;
    int rc = 0;
    if (strcmp(key, "excel") == 0) {
        bs_err err = {0};
        snprintf(name, sizeof name, "planmonitor-%s.xlsx", day);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (bs_export_xlsx_write(ex, path, &err) != 0) {
            fprintf(stderr, "bouwstroom export: %s\n", err.msg);
            return -1;
        }
        printf("export: wrote %s\n", path);
        return 0;
    }
    char *t;
    if (strcmp(key, "gelderland") == 0) {
        snprintf(name, sizeof name, "%s-%s-plannen.geojson", key, day);
        t = bs_export_geojson_plans(ex, false);
        rc |= write_text(dir, name, t, path, sizeof path);
        free(t);
        snprintf(name, sizeof name, "%s-%s-detailplanning.geojson", key, day);
        t = bs_export_geojson_detail(ex);
        rc |= write_text(dir, name, t, path, sizeof path);
        free(t);
        snprintf(name, sizeof name, "%s-%s-detailplanning.csv", key, day);
        t = bs_export_csv(ex, BS_TABLE_DETAIL);
        rc |= write_text(dir, name, t, path, sizeof path);
        free(t);
    } else {
        snprintf(name, sizeof name, "%s-%s.geojson", key, day);
        t = bs_export_geojson_plans(ex, true);
        rc |= write_text(dir, name, t, path, sizeof path);
        free(t);
    }
    snprintf(name, sizeof name, "%s-%s-uitgesloten.csv", key, day);
    t = bs_export_csv(ex, BS_TABLE_LEFT_OUT);
    rc |= write_text(dir, name, t, path, sizeof path);
    free(t);
    return rc ? -1 : 0;
}

static void print_summary(const bs_export *ex) {
    char day[11];
    printf("export %s on %s: %d plans in scope (%d of other provinces not in scope)\n", ex->profile->key,
           bs_date_format(ex->date, day), ex->n_items, ex->n_out_of_scope);
    printf("  exported:  %d plans, %d per-year rows\n", ex->n_included, ex->n_detail);
    printf("  left out:  %d plans (%d errors)\n", ex->n_left_out, ex->n_errors);
    for (int k = 0; k < BS_QC_COUNT; k++)
        if (ex->left_out_by[k]) printf("    %6d  %s\n", ex->left_out_by[k], bs_qc_name(k));
    /* one example per check */
    for (int k = 0; k < BS_QC_COUNT; k++)
        for (int e = 0; e < ex->n_errors; e++) {
            const bs_export_item *it = &ex->items[ex->errors[e].item];
            const bs_export_issue *is = &it->issues[ex->errors[e].issue];
            if (is->kind != (bs_qc_kind)k) continue;
            const bs_export_plan *p = &ex->plans[it->plan];
            printf("  e.g. %s: %s (%s) %s\n", bs_qc_name(k), p->name ? p->name : "?",
                   p->source_key ? p->source_key : "?", is->text);
            break;
        }
    int notes[6] = {0};
    for (int i = 0; i < ex->n_items; i++)
        for (int b = 0; ex->items[i].included && b < 6; b++) notes[b] += (ex->items[i].notes >> b) & 1;
    static const char *const nn[6] = {
        "type split discarded (negative correction)",   "tenure split discarded (negative correction)",
        "period split discarded (negative correction)", "type and tenure mixed: tenure reported as onbekend",
        "no price table in force: koop_onb/huur_onb",   "period totals spread over years (geschat)"};
    printf("  notes on exported plans:\n");
    for (int b = 0; b < 6; b++) printf("    %6d  %s\n", notes[b], nn[b]);
}

static void plans_loaded(const PGresult *res, const char *err, void *arg) {
    export_job *j = arg;
    if (err) {
        fprintf(stderr, "bouwstroom export: loading plans failed: %s\n", err);
        finish(j, 1);
        return;
    }
    json_error_t je;
    json_t *arr = json_loadb(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), 0, &je);
    bs_export_plan *plans = NULL;
    int n = 0;
    bs_err e = {0};
    if (!arr || bs_export_plans_from_json(arr, &plans, &n, &e) != 0) {
        fprintf(stderr, "bouwstroom export: plan records unreadable: %s\n", arr ? e.msg : je.text);
        json_decref(arr);
        finish(j, 1);
        return;
    }
    json_decref(arr);
    bs_export ex;
    int rc = 1;
    const bs_export_profile *prof = bs_province_config_export(&j->o->config, j->o->key);
    if (bs_export_build(&j->o->config, prof, plans, n, j->o->date, &ex) != 0) {
        fprintf(stderr, "bouwstroom export: out of memory\n");
    } else {
        rc = write_files(&ex, j->o->out_dir) == 0 ? 0 : 1;
        print_summary(&ex);
        bs_export_free(&ex);
    }
    fflush(stdout);
    bs_export_plans_free(plans, n);
    finish(j, rc);
}

void bs_cli_export_run(bs_store *store, bs_export_opts *o, void (*done)(int rc, void *arg), void *arg) {
    export_job *j = bs_calloc(1, sizeof *j);
    j->store = store;
    j->o = o;
    j->done = done;
    j->arg = arg;
    /* the CLI is the operator's: every plan (the API's exports hold what the caller may read) */
    bs_store_query(store,
                   "SELECT COALESCE(json_agg(r ORDER BY r.provincie, r.gemeente, r.name, r.id), '[]') FROM ("
                   "SELECT " BS_EXPORT_PLAN_COLUMNS
                   ", " BS_EXPORT_PLAN_PLUSVELDEN("false") ", " BS_EXPORT_PLAN_BLOCKS("false") " FROM projects p) r",
                   0, NULL, plans_loaded, j);
}
