/*
 * `bouwstroom schema export-bpmn KEY|FILE`, `bouwstroom schema import-bpmn FILE`: schema_cmd.h.
 */
#include "schema_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "bpmn.h"
#include "engine.h"

static const char usage[] = "usage: bouwstroom schema export-bpmn KEY|FILE   (a shipped schema's key, or a file)\n"
                            "       bouwstroom schema import-bpmn FILE       (prints the schema's JSON)\n";

/* Reads standard input to the end. */
static char *read_stdin(size_t *len) {
    size_t cap = 65536, n = 0;
    char *buf = bs_malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
        n += got;
        if (cap - n < 2) buf = bs_realloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A file, "-", or (export only) the key of a schema shipped in processes/. */
static char *read_input(const char *arg, bool key_allowed, size_t *len) {
    if (strcmp(arg, "-") == 0) return read_stdin(len);
    struct stat st;
    if (stat(arg, &st) == 0) return bs_read_file(arg, len);
    if (!key_allowed || strchr(arg, '/')) return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/processes/%s.json", bs_home(), arg);
    return bs_read_file(path, len);
}

int bs_cli_schema(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[0], "export-bpmn") != 0 && strcmp(argv[0], "import-bpmn") != 0)) {
        fputs(usage, stderr);
        return 2;
    }
    bool export = strcmp(argv[0], "export-bpmn") == 0;
    size_t len = 0;
    char *in = read_input(argv[1], export, &len);
    if (!in) {
        fprintf(stderr, "bouwstroom schema %s: cannot read '%s'%s\n", argv[0], argv[1],
                export ? " (neither a file nor the key of a schema in processes/)" : "");
        return 1;
    }
    bs_err err = {0};
    char *out = NULL;
    int rc = export ? bs_bpmn_export(in, len, &out, &err) : bs_bpmn_import(in, len, &out, &err);
    free(in);
    if (rc) {
        fprintf(stderr, "bouwstroom schema %s: %s: %s\n", argv[0], argv[1], err.msg);
        return 1;
    }
    fputs(out, stdout);
    if (!export) fputc('\n', stdout);
    free(out);
    return fflush(stdout) == 0 ? 0 : 1;
}
