/*
 * Bouwstroom notifier: the words of alert mails, Dutch (default) and English. Pure.
 */
#ifndef BS_TEMPLATES_H
#define BS_TEMPLATES_H

#include <jansson.h>

typedef struct bs_mail_text {
    char *subject; /* owned */
    char *text;    /* owned: text/plain */
    char *html;    /* owned: text/html */
} bs_mail_text;

/* Builds the subject and bodies of an alert.
 * kind: "milestone_upcoming", "milestone_overdue", "blocked_by_other_stream", "forecast_slipped",
 * "external_update", "digest", "follow_summary", "invitation" or "password_reset".
 * Alert and digest mails end with a link to the alert settings (base_url/api/v1/alert-rules) and,
 * when the payload has "unsubscribe_url", the one-click unsubscribe link of the alert's rule.
 * external_update: payload "changes" holds one change per line ("Name (key), field: old -> new"),
 * listed one per line. invitation: "token" (the secret), expires_at, … password_reset: "token"
 * (the secret), "expires_at" (local time text).
 * locale: "nl" (default for anything else) or "en".
 * payload: the alert's payload object: project_id, project_name, gemeente, step_key,
 *   step_name, stream, date (planned, YYYY-MM-DD), progress_date (older alerts: data_date),
 *   data_date, and for blocked alerts
 *   blocking_step_name, blocking_stream; p50, p80 when forecast; baseline_p50 for slips; for
 *   digests "items": [payloads with "kind"]; follow_summary (a new follower: what is already
 *   late, docs/alerts.md): project_id, project_name, gemeente and "items" as a digest's.
 * base_url: the public URL of the API ("http://127.0.0.1:8080"), for the links to the step
 *   and to the calendar feeds.
 * Returns 0, or -1 for an unknown kind. Free the result with bs_mail_text_free. */
int bs_mail_text_build(const char *kind, const char *locale, const json_t *payload, const char *base_url,
                       bs_mail_text *out);

void bs_mail_text_free(bs_mail_text *t);

#endif
