/*
 * Deterministic sample feeds for the iCalendar tests and benchmark (test-only, header
 * only): a Dutch/emoji feed and an N-event feed shaped like a real user feed (many
 * projects, milestones and step windows, multi-line descriptions with planned and
 * forecast dates, a URL and categories).
 *
 * Memory: bs_sample_feed owns every string and the events array; bs_sample_free frees.
 */
#ifndef BS_SAMPLE_FEED_H
#define BS_SAMPLE_FEED_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "ical.h"

typedef struct bs_sample_feed {
    bs_ical_calendar cal;
    bs_ical_event *events; /* owned; cal.events points here */
    char **strings;        /* owned: every string the events point to */
    size_t n_strings, cap_strings;
} bs_sample_feed;

static const char *const bs_sample_categories[] = {"Bouwstroom", "Mijlpaal"};

static char *bs_sample_str(bs_sample_feed *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *bs_sample_str(bs_sample_feed *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (!s) abort();
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (f->n_strings == f->cap_strings) {
        f->cap_strings = f->cap_strings ? f->cap_strings * 2 : 64;
        f->strings = realloc(f->strings, f->cap_strings * sizeof *f->strings);
        if (!f->strings) abort();
    }
    f->strings[f->n_strings++] = s;
    return s;
}

__attribute__((unused)) static void bs_sample_free(bs_sample_feed *f) {
    for (size_t i = 0; i < f->n_strings; i++) free(f->strings[i]);
    free(f->strings);
    free(f->events);
    memset(f, 0, sizeof *f);
}

/* The Dutch / emoji feed: names with ë, ï, é, an em dash and emoji (🏗️🏠) at offsets
 * where a fold at exactly 75 octets would cut a character; text with commas, semicolons,
 * backslashes and newlines; DTENDs across a month end, a year end and 29 February. */
__attribute__((unused)) static void bs_sample_dutch(bs_sample_feed *f) {
    memset(f, 0, sizeof *f);
    f->events = calloc(6, sizeof *f->events);
    if (!f->events) abort();
    bs_ical_event *e = f->events;
    const char *uuid = "0b6f3c1e-9d2a-4c55-8e7f-123456789abc";
    const char *keys[6] = {"bouwrijp_maken", "omgevingsvergunning", "oplevering",
                           "schrikkeldag",   "jaarwisseling",       "emoji_grens"};
    for (int i = 0; i < 6; i++) {
        char *uid = bs_sample_str(f, "%*s", (int)BS_ICAL_UID_MAX, "");
        if (bs_ical_uid(uuid, keys[i], "window", uid, BS_ICAL_UID_MAX) <= 0) abort();
        e[i].uid = uid;
        e[i].sequence = i;
        e[i].last_modified = 1764374400 + i * 3600; /* 2025-11-29T00:00:00Z + i h */
        e[i].categories = bs_sample_categories;
        e[i].n_categories = 2;
    }
    /* A fold at exactly octet 75 (and 149) would cut "ë" / an emoji in e[0], e[1], e[5]. */
    e[0].summary = "3. Bouwrijp maken — fase 2, Coöperatie Ëindhoven; "
                   "oude kerk‑terrein: ë ï é ë ï é ë ï é ë ï é ë ï é ë ï é ë ï é ë";
    e[0].description = "Gepland: 2026-03-02 t/m 2026-03-31\nPrognose (P50): 2026-04-14\n"
                       "Opmerking: grond; sanering, \"asbest\" \\ klaar?\r\nRegel 4\tmet tab";
    e[0].start = bs_date_from_ymd(2026, 3, 2);
    e[0].finish = bs_date_from_ymd(2026, 3, 31); /* month end: DTEND 2026-04-01 */
    e[0].url = "https://bouwstroom.example/projects/0b6f3c1e-9d2a-4c55-8e7f-123456789abc"
               "/steps/bouwrijp_maken";
    e[1].summary =
        "Omgevingsvergunning: verleend 🏗️🏠 — naïef café-ontwerp, "
        "🏗️🏠🏗️🏠🏗️🏠🏗️🏠🏗️🏠🏗️🏠🏗️🏠🏗️🏠🏗️🏠🏗️🏠";
    e[1].description = "🏗️ Bouw start\n🏠 Oplevering later\nëïé, ;\\";
    e[1].start = bs_date_from_ymd(2026, 6, 15);
    e[1].finish = bs_date_from_ymd(2026, 6, 15); /* one day: DTEND 2026-06-16 */
    e[2].summary = "Oplevering woningen (mijlpaal)";
    e[2].description = NULL;
    e[2].start = bs_date_from_ymd(2027, 9, 30);
    e[2].finish = bs_date_from_ymd(2027, 9, 30);
    e[3].summary = "Schrikkeldag: 29 februari";
    e[3].description = "Eindigt op 29 februari 2028";
    e[3].start = bs_date_from_ymd(2028, 2, 21);
    e[3].finish = bs_date_from_ymd(2028, 2, 29); /* DTEND 2028-03-01 */
    e[4].summary = "Jaarwisseling";
    e[4].description = "t/m 31 december";
    e[4].start = bs_date_from_ymd(2026, 12, 14);
    e[4].finish = bs_date_from_ymd(2026, 12, 31); /* DTEND 2027-01-01 */
    /* 'SUMMARY:' + 65 ASCII octets, then a 4-octet emoji across octet 75. */
    e[5].summary =
        "Emoji op de vouwgrens xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "🏗️🏠 en daarna nog é é é é é é é é é é é é é é é é é é é é é é é é é é "
        "é é é é é 🏗️🏠 tot het einde";
    e[5].description = "é\n\n;,\\ — fase 2";
    e[5].start = bs_date_from_ymd(2028, 2, 29);
    e[5].finish = bs_date_from_ymd(2028, 2, 29); /* on 29 Feb: DTEND 2028-03-01 */
    f->cal.name = "Bouwstroom — Coöperatie Ëindhoven; fase 2, 🏗️🏠 naïef café";
    f->cal.description = "Mijlpalen en stappen\nvan project Ëindhoven, fase 2";
    f->cal.refresh_minutes = 60;
    f->cal.events = f->events;
    f->cal.n_events = 6;
}

static const char *const bs_sample_steps[] = {
    "intentieovereenkomst_getekend",
    "bestemmingsplan_vastgesteld",
    "omgevingsvergunning_verleend",
    "grondverwerving_afgerond",
    "bouwrijp_maken",
    "start_verkoop",
    "aanbesteding_aannemer",
    "start_bouw",
    "ruwbouw_gereed",
    "laatste_oplevering",
};
static const char *const bs_sample_titles[] = {
    "Intentieovereenkomst getekend",
    "Bestemmingsplan vastgesteld",
    "Omgevingsvergunning verleend",
    "Grondverwerving afgerond",
    "Bouwrijp maken — fase 2",
    "Start verkoop",
    "Aanbesteding aannemer",
    "Start bouw",
    "Ruwbouw gereed",
    "Laatste oplevering",
};

/* n events: 10 steps per project, n/10 projects, windows of 1..60 days from 2026 on. */
__attribute__((unused)) static void bs_sample_large(bs_sample_feed *f, size_t n) {
    memset(f, 0, sizeof *f);
    f->events = calloc(n ? n : 1, sizeof *f->events);
    if (!f->events) abort();
    bs_day base = bs_date_from_ymd(2026, 1, 5);
    for (size_t i = 0; i < n; i++) {
        bs_ical_event *e = &f->events[i];
        size_t project = i / 10, step = i % 10;
        char *uuid = bs_sample_str(f, "%08zx-1d2e-4f30-8a4b-%012zx", project * 2654435761u % 0xffffffffu, project);
        char *uid = bs_sample_str(f, "%*s", (int)BS_ICAL_UID_MAX, "");
        if (bs_ical_uid(uuid, bs_sample_steps[step], step % 3 == 0 ? "milestone" : "window", uid, BS_ICAL_UID_MAX) <= 0)
            abort();
        e->uid = uid;
        bs_day start = base + (bs_day)(project % 97) * 7 + (bs_day)step * 45;
        bs_day finish = start + (bs_day)((i * 7919) % 60);
        char a[11], b[11], c[11];
        e->summary = bs_sample_str(f, "%s — Plan %zu, Utrecht", bs_sample_titles[step], project + 1);
        e->description = bs_sample_str(
            f,
            "Project: Woningbouw Plan %zu (%zu woningen)\nStap: %s\n"
            "Gepland: %s t/m %s\nPrognose P50: %s; P80: %s\nStroom: %s",
            project + 1, 20 + project % 180, bs_sample_titles[step], bs_date_format(start, a),
            bs_date_format(finish, b), bs_date_format(finish + 9, c),
            bs_date_format(finish + 23, bs_sample_str(f, "%10s", "")), step % 2 ? "ontwikkelaar" : "gemeente");
        e->start = start;
        e->finish = finish;
        e->sequence = (int32_t)(i % 4);
        e->last_modified = 1764374400 + (int64_t)i * 61;
        e->url = bs_sample_str(f, "https://bouwstroom.example/projects/%s/steps/%s", uuid, bs_sample_steps[step]);
        e->categories = bs_sample_categories;
        e->n_categories = step % 3 == 0 ? 2 : 1;
    }
    f->cal.name = "Bouwstroom — mijn projecten";
    f->cal.description = "Mijlpalen en stappen van de projecten die u volgt";
    f->cal.refresh_minutes = 240;
    f->cal.events = f->events;
    f->cal.n_events = n;
}

#endif
