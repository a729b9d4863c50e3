/*
 * Test-only: writes sample feeds rendered by notifier/ical.c into a directory, each with
 * an expected-values file, for the external parsers (tests/ical/check_*.{py,mjs}).
 *
 *   ical_fixture DIR
 *
 * For each feed NAME: DIR/NAME.ics and DIR/NAME.expected.json =
 *   {"name": calendar name, "events": [{"uid", "summary", "description", "dtstart",
 *    "dtend", "sequence"}, …]} with dates as "YYYYMMDD" (dtend exclusive).
 * Exit 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sample_feed.h"

#define DTSTAMP_S INT64_C(1764414000) /* 2025-11-29T11:00:00Z */

static void ymd_compact(bs_day d, char out[9]) {
    int y, m, dd;
    bs_date_to_ymd(d, &y, &m, &dd);
    snprintf(out, 9, "%04d%02d%02d", y, m, dd);
}

/* The text a conforming parser returns for a TEXT value: the input after the renderer's
 * normalisation (CRLF/CR -> LF, TAB -> space). Enough for the sample texts. */
static char *normalised(const char *s) {
    size_t n = strlen(s);
    char *o = malloc(n + 1), *q = o;
    if (!o) abort();
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            *q++ = '\n';
            if (s[i + 1] == '\n') i++;
        } else if (s[i] == '\t') {
            *q++ = ' ';
        } else {
            *q++ = s[i];
        }
    }
    *q = '\0';
    return o;
}

static int write_feed(const char *dir, const char *name, const bs_ical_calendar *cal) {
    char *text = NULL;
    size_t len = 0;
    int rc = bs_ical_render(cal, DTSTAMP_S, &text, &len);
    if (rc) {
        fprintf(stderr, "ical_fixture: %s: %s\n", name, bs_ical_strerror(rc));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.ics", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(text, 1, len, fp) != len || fclose(fp) != 0) {
        fprintf(stderr, "ical_fixture: %s: %s\n", path, strerror(errno));
        free(text);
        return -1;
    }
    free(text);

    json_t *root = json_object(), *events = json_array();
    json_object_set_new(root, "name", json_string(cal->name));
    for (size_t i = 0; i < cal->n_events; i++) {
        const bs_ical_event *e = &cal->events[i];
        char a[9], b[9];
        ymd_compact(e->start, a);
        ymd_compact(e->finish + 1, b);
        json_t *o = json_object();
        json_object_set_new(o, "uid", json_string(e->uid));
        char *s = normalised(e->summary);
        json_object_set_new(o, "summary", json_string(s));
        free(s);
        if (e->description) {
            s = normalised(e->description);
            json_object_set_new(o, "description", json_string(s));
            free(s);
        } else {
            json_object_set_new(o, "description", json_null());
        }
        json_object_set_new(o, "dtstart", json_string(a));
        json_object_set_new(o, "dtend", json_string(b));
        json_object_set_new(o, "sequence", json_integer(e->sequence));
        json_array_append_new(events, o);
    }
    json_object_set_new(root, "events", events);
    snprintf(path, sizeof path, "%s/%s.expected.json", dir, name);
    rc = json_dump_file(root, path, JSON_INDENT(1));
    json_decref(root);
    if (rc) {
        fprintf(stderr, "ical_fixture: cannot write %s\n", path);
        return -1;
    }
    printf("%s/%s.ics: %zu events, %zu bytes\n", dir, name, cal->n_events, len);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ical_fixture DIR\n");
        return 1;
    }
    if (mkdir(argv[1], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "ical_fixture: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int rc = 0;
    bs_sample_feed f;

    bs_sample_dutch(&f);
    rc |= write_feed(argv[1], "dutch", &f.cal);
    bs_sample_free(&f);

    bs_sample_large(&f, 1000);
    rc |= write_feed(argv[1], "large", &f.cal);
    bs_sample_free(&f);

    bs_sample_large(&f, 0);
    f.cal.name = "Leeg";
    f.cal.description = NULL;
    rc |= write_feed(argv[1], "empty", &f.cal);
    bs_sample_free(&f);

    bs_ical_shutdown();
    return rc ? 1 : 0;
}
