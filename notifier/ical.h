/*
 * Bouwstroom notifier: iCalendar feed renderer (RFC 5545, with RFC 7986 calendar
 * properties) on libical.
 *
 * A building block for `GET /calendar/{token}.ics`: the caller loads the data, derives
 * stable UIDs and SEQUENCE numbers, passes the render time, and gets the feed text.
 * No I/O, no clock, no globals of its own. libical keeps a lazily initialised static
 * UTC zone and a per-thread 4-byte icalerrno (freed at thread exit); Bouwstroom renders
 * on its one loop thread. See bs_ical_shutdown for process exit.
 *
 * Every event is an all-day event: DTSTART;VALUE=DATE and an exclusive
 * DTEND;VALUE=DATE (RFC 5545 §3.6.1, §3.8.2.2). Times are written in UTC only
 * (RFC 5545 §3.3.5 form #2), so there is no TZID and no VTIMEZONE anywhere.
 * docs/notifier.md describes the format.
 */
#ifndef BS_ICAL_H
#define BS_ICAL_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "err.h"

/* Bumped whenever the rendered format changes in a way clients should re-fetch; part of
 * the ETag (bs_ical_etag). */
#define BS_ICAL_FORMAT_VERSION 2

/* PRODID of every feed (RFC 5545 §3.7.3). */
#define BS_ICAL_PRODID "-//Bouwstroom//Bouwstroom calendar feed 1//NL"

/* Errors are the shells' currency (err.h): 0 (BS_OK) or
 *   BS_EINVAL     invalid input: see the field comments below
 *   BS_EINTERNAL  out of memory, or libical refused a value or produced no text
 *   BS_ETOOLARGE  output buffer too small (helpers with a caller buffer)
 */

/* Text for one of those codes ("invalid input", …); never NULL. */
const char *bs_ical_strerror(int err);

/* One all-day event (a milestone or a step window). All strings are borrowed: the
 * caller keeps them alive during bs_ical_render. Text is UTF-8; see "Text" below. */
typedef struct bs_ical_event {
    const char *uid;               /* required, non-empty, printable ASCII without spaces:
                                stable forever (bs_ical_uid); RFC 5545 §3.8.4.7 */
    const char *summary;           /* required (may be ""), single line; RFC 5545 §3.8.1.12 */
    const char *description;       /* optional (NULL = none), may span lines; §3.8.1.5 */
    bs_day start;                  /* first day, civil day number (calendar.h) */
    bs_day finish;                 /* last day, INCLUSIVE (>= start); rendered as DTEND =
                                finish + 1 day, exclusive (§3.6.1, §3.8.2.2) */
    int32_t sequence;              /* >= 0; the caller raises it when start/finish change
                                (§3.8.7.4) */
    int64_t last_modified;         /* seconds since the epoch, UTC (§3.8.7.3) */
    const char *url;               /* optional (NULL = none): absolute URI, printable ASCII
                                without spaces, quotes or angle brackets (§3.8.4.6) */
    const char *const *categories; /* optional: n_categories strings (§3.8.1.2), each
                                      rendered as its own CATEGORIES property */
    size_t n_categories;
} bs_ical_event;

/* A feed. Strings and the events array are borrowed. */
typedef struct bs_ical_calendar {
    const char *name;            /* required, non-empty: NAME (RFC 7986 §5.1) and
                                X-WR-CALNAME (de-facto, Apple/Google) */
    const char *description;     /* optional: DESCRIPTION (RFC 7986 §5.2) and X-WR-CALDESC */
    int32_t refresh_minutes;     /* 1 .. 10080 (a week): REFRESH-INTERVAL;VALUE=DURATION:PTnM
                                (RFC 7986 §5.7) and X-PUBLISHED-TTL:PTnM (Microsoft) */
    const bs_ical_event *events; /* n_events events, rendered in this order */
    size_t n_events;
} bs_ical_calendar;

/*
 * Renders the feed.
 *
 * dtstamp: the render time (the injected clock), seconds since the epoch, UTC; written as
 * every event's DTSTAMP in UTC form "YYYYMMDDTHHMMSSZ" (RFC 5545 §3.8.7.2, §3.3.5). It is
 * the only place the render time appears: two renders that differ only in dtstamp differ
 * only in their DTSTAMP lines.
 *
 * Output (*out, *out_len): a malloc'd, NUL-terminated iCalendar object (the caller
 * frees it) of the form
 *   BEGIN:VCALENDAR, VERSION:2.0, PRODID, CALSCALE:GREGORIAN, METHOD:PUBLISH
 *   (RFC 5545 §3.7.1–§3.7.4, §3.6), NAME, X-WR-CALNAME, [DESCRIPTION, X-WR-CALDESC],
 *   REFRESH-INTERVAL, X-PUBLISHED-TTL, then per event a VEVENT with UID, DTSTAMP,
 *   DTSTART;VALUE=DATE, DTEND;VALUE=DATE, SUMMARY, [DESCRIPTION], SEQUENCE, LAST-MODIFIED,
 *   TRANSP:TRANSPARENT (§3.8.2.7: a step window does not make anyone busy), [URL],
 *   [CATEGORIES…], END:VEVENT; END:VCALENDAR.
 * Every line ends in CRLF (§3.1). Lines longer than 75 octets (excluding the CRLF) are
 * folded with CRLF SPACE (§3.1), always between two UTF-8 characters (never inside a
 * multi-byte sequence) and, where the line allows, not before a combining mark,
 * variation selector or zero-width joiner. Deterministic: the same input gives
 * byte-identical output.
 *
 * Text (summary, description, names, categories): TEXT values are escaped per RFC 5545
 * §3.3.11 (backslash, semicolon, comma; newline as \n). Before that the text is
 * normalised: CRLF and lone CR become LF (a newline in the value; in summary, name and
 * categories a space), TAB and other control characters (C0 except LF, DEL) become a
 * space, and bytes that are not valid UTF-8 become U+FFFD. So any byte string renders.
 *
 * Returns 0; BS_EINVAL when a required field is missing, a date is outside
 * 0001-01-01 .. 9999-12-30 or finish < start, sequence < 0, refresh_minutes out of
 * range, a uid or url has a forbidden character, or cal/out is NULL; BS_EINTERNAL;
 * BS_EINTERNAL. On error *out is NULL and nothing is leaked.
 */
int bs_ical_render(const bs_ical_calendar *cal, int64_t dtstamp, char **out, size_t *out_len);

/*
 * The stable UID of an event (RFC 5545 §3.8.4.7: globally unique, never changing):
 *   "<step_key>.<kind>.<project_uuid>@bouwstroom"
 * e.g. "intentieovereenkomst_getekend.milestone.0b6f…-…@bouwstroom". project_uuid is the
 * project's id (36-character hyphenated UUID, upper or lower case; written in lower
 * case); step_key the schema step key and kind the kind of event ("milestone",
 * "window", …): each 1..64 characters of [a-z0-9_-]. Nothing else (no render time, no
 * feed, no date) goes in, so the same event has the same UID in every feed and forever.
 * Writes the NUL-terminated UID into buf (cap bytes; BS_ICAL_UID_MAX is always enough).
 * Returns the length (> 0), BS_EINVAL on a malformed part, BS_ETOOLARGE when cap
 * is too small. Pure.
 */
#define BS_ICAL_UID_MAX (64 + 1 + 64 + 1 + 36 + sizeof "@bouwstroom")
int bs_ical_uid(const char *project_uuid, const char *step_key, const char *kind, char *buf, size_t cap);

/*
 * The HTTP ETag of a feed (RFC 9110 §8.8.3), derived from the data's revision, not from
 * the rendered bytes (those contain the render-time DTSTAMP):
 *   W/"bsf<BS_ICAL_FORMAT_VERSION>-<16 hex digits>"
 * where the digits are a 64-bit hash of (format version, feed_identity, revision).
 * feed_identity names the feed (e.g. "project:<uuid>", "user:<uuid>",
 * "project:<uuid>:stream:gemeente"; any NUL-terminated string); revision is the caller's
 * 64-bit data revision (a counter or a hash that changes whenever anything shown in the
 * feed changes: events, names, refresh interval). The validator is weak (W/) because
 * two responses with the same ETag are semantically equal but not byte-identical (the
 * DTSTAMPs differ); If-None-Match uses the weak comparison (RFC 9110 §13.1.2), so a
 * 304 works. Writes the NUL-terminated ETag (with its quotes) into buf, which must hold
 * BS_ICAL_ETAG_MAX bytes. Returns the length, or BS_EINVAL when an argument is
 * NULL. Pure.
 */
#define BS_ICAL_ETAG_MAX 32
int bs_ical_etag(const char *feed_identity, uint64_t revision, char buf[static BS_ICAL_ETAG_MAX]);

/*
 * Frees libical's process-wide time zone data (icaltimezone_free_builtin_timezones).
 * bs_ical_render uses only libical's static UTC zone and loads no built-in zones, so
 * this is not needed for correctness; call it once at process exit (after the last
 * render, with no render running) so that leak checkers see nothing held by libical.
 */
void bs_ical_shutdown(void);

#endif
