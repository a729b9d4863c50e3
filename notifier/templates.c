/*
 * Alert mail wording. See templates.h.
 */
#include "templates.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

/* Makes room for n more bytes and the NUL. */
static void sb_reserve(sbuf *b, size_t n) {
    if (b->len + n + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 512;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = bs_realloc(b->p, cap);
    b->cap = cap;
}

/* Appends n bytes of s. */
static void sb_put(sbuf *b, const char *s, size_t n) {
    sb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...) {
    /* formatted straight into the free room; measured and formatted again only when it does
     * not fit (one vsnprintf per call in the common case) */
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= room) {
        sb_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Appends s with HTML special characters escaped (the runs between them copied at once). */
static void sb_html(sbuf *b, const char *s) {
    while (s && *s) {
        size_t run = strcspn(s, "<>&\"");
        sb_put(b, s, run);
        s += run;
        switch (*s) {
        case '<': sb_put(b, "&lt;", 4); break;
        case '>': sb_put(b, "&gt;", 4); break;
        case '&': sb_put(b, "&amp;", 5); break;
        case '"': sb_put(b, "&quot;", 6); break;
        default: return; /* the end */
        }
        s++;
    }
}

static const char *str(const json_t *o, const char *k) {
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static const char *stream_word(const char *stream, bool en) {
    if (strcmp(stream, "public") == 0) return en ? "municipality" : "gemeente";
    return en ? "developer" : "ontwikkelaar";
}

/* One line describing an alert (used as subject and as digest item). */
static void describe(sbuf *b, const char *kind, const json_t *p, bool en) {
    const char *step = str(p, "step_name"), *project = str(p, "project_name"), *date = str(p, "date");
    if (strcmp(kind, "milestone_upcoming") == 0)
        sb_printf(b, en ? "Milestone approaching: %s (%s) on %s" : "Mijlpaal nadert: %s (%s) op %s", step, project,
                  date);
    else if (strcmp(kind, "milestone_overdue") == 0)
        sb_printf(b, en ? "Milestone overdue: %s (%s), planned %s" : "Mijlpaal verlopen: %s (%s), gepland %s", step,
                  project, date);
    else if (strcmp(kind, "external_update") == 0)
        sb_printf(b, en ? "Update from %s (%s): %s (%s)" : "Wijziging door %s (%s): %s (%s)", str(p, "author"),
                  str(p, "author_organisation"), step, project);
    else if (strcmp(kind, "forecast_slipped") == 0)
        sb_printf(
            b, en ? "Forecast slipped: %s (%s) now P50 %s, was %s" : "Prognose verschoven: %s (%s) nu P50 %s, was %s",
            step, project, date, str(p, "baseline_p50"));
    else
        sb_printf(b,
                  en ? "Blocked: %s (%s) waits for %s of the %s, planned %s"
                     : "Geblokkeerd: %s (%s) wacht op %s van de %s, gepland %s",
                  step, project, str(p, "blocking_step_name"), stream_word(str(p, "blocking_stream"), en), date);
}

/* The alert settings link (every alert mail and digest: the web app's page /settings/alerts,
 * docs/web.md) and, when the payload carries one, the one-click unsubscribe link of the
 * alert's rule. */
static void settings_links(sbuf *t, sbuf *h, const json_t *p, const char *base, bool en) {
    sb_printf(t, "%s: %s/settings/alerts\n", en ? "Alert settings" : "Instellingen voor meldingen", base);
    sb_printf(h, "<p><a href=\"%s/settings/alerts\">%s</a>", base,
              en ? "Alert settings" : "Instellingen voor meldingen");
    const char *u = str(p, "unsubscribe_url");
    if (*u) {
        sb_printf(t, "%s: %s\n", en ? "Stop alerts of this kind" : "Geen meldingen van deze soort meer", u);
        sb_printf(h, " &middot; <a href=\"");
        sb_html(h, u);
        sb_printf(h, "\">%s</a>", en ? "Stop alerts of this kind" : "Geen meldingen van deze soort meer");
    }
    sb_printf(h, "</p>\n");
}

/* The step's page in the web app (/projects/{id}/steps/{key}, docs/web.md) and the page of
 * the recipient's calendar feeds: the feed itself is a secret URL (only its hash is stored),
 * so the mail links to where feeds are listed and created. */
static void links(sbuf *t, sbuf *h, const json_t *p, const char *base, bool en) {
    const char *id = str(p, "project_id"), *key = str(p, "step_key");
    sb_printf(t, "%s: %s/projects/%s/steps/%s\n", en ? "Step" : "Stap", base, id, key);
    sb_printf(t, "%s: %s/settings/calendar?project_id=%s\n", en ? "Calendar feed" : "Agenda-abonnement", base, id);
    sb_printf(h,
              "<p><a href=\"%s/projects/%s/steps/%s\">%s</a> &middot; <a "
              "href=\"%s/settings/calendar?project_id=%s\">%s</a></p>\n",
              base, id, key, en ? "Open the step" : "Open de stap", base, id,
              en ? "Calendar feed" : "Agenda-abonnement");
}

static void details(sbuf *t, sbuf *h, const char *kind, const json_t *p, bool en) {
    const char *rows[][2] = {
        {en ? "Project" : "Project", str(p, "project_name")},
        {en ? "Municipality" : "Gemeente", str(p, "gemeente")},
        {en ? "Step" : "Stap", str(p, "step_name")},
        {en ? "Stream" : "Stroom", stream_word(str(p, "stream"), en)},
        {en ? "Planned" : "Gepland", str(p, "date")},
        {"P50", *str(p, "p50") ? str(p, "p50") : (en ? "not yet forecast" : "nog geen prognose")},
        {"P80", *str(p, "p80") ? str(p, "p80") : (en ? "not yet forecast" : "nog geen prognose")},
        /* progress_date; alerts planned before it was renamed carry data_date */
        {en ? "Facts known up to" : "Peildatum",
         *str(p, "progress_date") ? str(p, "progress_date") : str(p, "data_date")},
    };
    sb_printf(h, "<table>\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sb_printf(t, "%-18s %s\n", rows[i][0], rows[i][1]);
        sb_printf(h, "<tr><th align=\"left\">");
        sb_html(h, rows[i][0]);
        sb_printf(h, "</th><td>");
        sb_html(h, rows[i][1]);
        sb_printf(h, "</td></tr>\n");
    }
    sb_printf(h, "</table>\n");
    const char *what;
    if (strcmp(kind, "milestone_upcoming") == 0)
        what = en ? "What changed: the milestone's planned date is near; act now if it may slip."
                  : "Wat er speelt: de geplande datum van de mijlpaal komt dichtbij; grijp nu in als die kan schuiven.";
    else if (strcmp(kind, "milestone_overdue") == 0)
        what = en ? "What changed: the planned date has passed and the milestone is not realised."
                  : "Wat er speelt: de geplande datum is verstreken en de mijlpaal is niet gerealiseerd.";
    else if (strcmp(kind, "external_update") == 0)
        what = en ? "What changed: an external party updated this project."
                  : "Wat er speelt: een externe partij heeft dit project bijgewerkt.";
    else if (strcmp(kind, "forecast_slipped") == 0)
        what = en ? "What changed: the P50 forecast of this milestone moved later than your threshold allows."
                  : "Wat er speelt: de P50-prognose van deze mijlpaal is verder opgeschoven dan uw drempel toelaat.";
    else
        what = en ? "What changed: a step of the other stream that this step waits for is overdue."
                  : "Wat er speelt: een stap van de andere stroom waar deze stap op wacht, is over tijd.";
    sb_printf(t, "\n%s\n", what);
    if (*str(p, "changes")) {
        /* "changes": one change per line, each naming its step ("Name (key), field: old -> new") */
        sb_printf(t, "%s:\n", en ? "Changes" : "Wijzigingen");
        sb_printf(h, "<p>%s:</p>\n<ul>\n", en ? "Changes" : "Wijzigingen");
        const char *c = str(p, "changes");
        while (*c) {
            const char *nl = strchr(c, '\n');
            size_t l = nl ? (size_t)(nl - c) : strlen(c);
            char *line = bs_strndup(c, l);
            sb_printf(t, "- %s\n", line);
            sb_printf(h, "<li>");
            sb_html(h, line);
            sb_printf(h, "</li>\n");
            free(line);
            c += l;
            if (*c) c++;
        }
        sb_printf(t, "%s: %s\n", en ? "Reason" : "Reden", str(p, "reason"));
        sb_printf(h, "</ul>\n<p>%s: ", en ? "Reason" : "Reden");
        sb_html(h, str(p, "reason"));
        sb_printf(h, "</p>\n");
    }
    sb_printf(h, "<p>");
    sb_html(h, what);
    sb_printf(h, "</p>\n");
}

/* The HTML part of a mail that carries a one-time link: the subject as heading, the text part
 * as preformatted text, and the link base_url/page#token=TOKEN labelled label (the token in
 * the fragment: it never reaches a server log). */
static void token_link_html(sbuf *h, const sbuf *s, const sbuf *t, const char *base_url, const char *page,
                            const char *token, const char *label) {
    sb_printf(h, "<h2>");
    sb_html(h, s->p);
    sb_printf(h, "</h2>\n<pre>");
    sb_html(h, t->p);
    sb_printf(h, "</pre>\n<p><a href=\"");
    sb_html(h, base_url);
    sb_printf(h, "/%s#token=", page);
    sb_html(h, token);
    sb_printf(h, "\">%s</a></p>\n", label);
}

/* The invitation mail of an external developer: subject s, text t, HTML h. */
static void invitation_text(sbuf *s, sbuf *t, sbuf *h, const json_t *payload, const char *base_url, bool en) {
    /* an external developer admitted to a project's private stream (docs/security.md §5) */
    sb_printf(s, en ? "Invitation: project %s (%s) in Bouwstroom" : "Uitnodiging: project %s (%s) in Bouwstroom",
              str(payload, "project_name"), str(payload, "gemeente"));
    sb_printf(t,
              en ? "%s invites you, for %s, to keep the developer's stream of project %s (%s) up to date "
                   "in Bouwstroom.\n\n"
                 : "%s nodigt u, namens %s, uit om de ontwikkelaarsstroom van project %s (%s) in Bouwstroom "
                   "bij te houden.\n\n",
              str(payload, "invited_by"), str(payload, "organisation"), str(payload, "project_name"),
              str(payload, "gemeente"));
    /* the web app's page (docs/web.md); the secret after '#' never reaches a server log */
    sb_printf(t,
              en ? "Open this link and set your password (at least 12 characters) before %s:\n\n"
                 : "Open deze link en stel vóór %s uw wachtwoord in (minstens 12 tekens):\n\n",
              str(payload, "expires_at"));
    sb_printf(t, "  %s/invitation#token=%s\n\n", base_url, str(payload, "token"));
    sb_printf(t, en ? "Then log in at %s/login\n" : "Log daarna in op %s/login\n", base_url);
    sb_printf(t, en ? "Did you not expect this invitation? Ignore this message.\n"
                    : "Verwachtte u deze uitnodiging niet? Dan kunt u dit bericht negeren.\n");
    token_link_html(h, s, t, base_url, "invitation", str(payload, "token"),
                    en ? "Set your password" : "Wachtwoord instellen");
}

/* The password reset mail: subject s, text t, HTML h. */
static void password_reset_text(sbuf *s, sbuf *t, sbuf *h, const json_t *payload, const char *base_url, bool en) {
    /* a password reset asked for this address (docs/security.md §6) */
    sb_printf(s, en ? "Bouwstroom: reset your password" : "Bouwstroom: uw wachtwoord opnieuw instellen");
    sb_printf(t, en ? "Someone (hopefully you) asked to reset the password of your Bouwstroom account.\n\n"
                    : "Iemand (hopelijk u) heeft gevraagd het wachtwoord van uw Bouwstroom-account opnieuw in "
                      "te stellen.\n\n");
    sb_printf(t,
              en ? "Open this link and set a new password (at least 12 characters) before %s (Amsterdam "
                   "time); the link works once:\n\n"
                 : "Open deze link en stel vóór %s (Nederlandse tijd) een nieuw wachtwoord in (minstens 12 "
                   "tekens); de link werkt één keer:\n\n",
              str(payload, "expires_at"));
    sb_printf(t, "  %s/password-reset#token=%s\n\n", base_url, str(payload, "token"));
    sb_printf(t, en ? "This ends every session of your account; your second factor stays as it is.\n"
                      "Did you not ask for this? Ignore this message: your password stays as it is.\n"
                    : "Daarmee eindigen alle sessies van uw account; uw tweede factor blijft zoals die is.\n"
                      "Heeft u dit niet gevraagd? Negeer dan dit bericht: uw wachtwoord blijft zoals het is.\n");
    token_link_html(h, s, t, base_url, "password-reset", str(payload, "token"),
                    en ? "Set a new password" : "Nieuw wachtwoord instellen");
}

int bs_mail_text_build(const char *kind, const char *locale, const json_t *payload, const char *base_url,
                       bs_mail_text *out) {
    bool en = locale && strcmp(locale, "en") == 0;
    sbuf s = {0}, t = {0}, h = {0};
    sb_printf(&h, "<!DOCTYPE html>\n<html lang=\"%s\"><body>\n", en ? "en" : "nl");
    bool summary = strcmp(kind, "follow_summary") == 0;
    if (strcmp(kind, "digest") == 0 || summary) {
        json_t *items = json_object_get(payload, "items");
        size_t n = json_array_size(items);
        if (summary) { /* a new follower: what is already late, in one mail */
            sb_printf(
                &s, en ? "Bouwstroom: %s (%s): %zu item%s already late" : "Bouwstroom: %s (%s): %zu punt%s al te laat",
                str(payload, "project_name"), str(payload, "gemeente"), n, n == 1 ? "" : (en ? "s" : "en"));
            sb_printf(&t, en ? "You now follow %s (%s). Already late:\n\n" : "U volgt nu %s (%s). Al te laat:\n\n",
                      str(payload, "project_name"), str(payload, "gemeente"));
            sb_printf(&h, "<p>");
            sb_html(&h, en ? "You now follow this project. Already late:" : "U volgt nu dit project. Al te laat:");
            sb_printf(&h, "</p>\n<ul>\n");
        } else {
            sb_printf(&s, en ? "Bouwstroom: %zu alert%s for today" : "Bouwstroom: %zu melding%s voor vandaag", n,
                      n == 1 ? "" : (en ? "s" : "en"));
            sb_printf(&t,
                      en ? "Good morning,\n\nToday's alerts:\n\n" : "Goedemorgen,\n\nDe meldingen van vandaag:\n\n");
            sb_printf(&h, "<p>%s</p>\n<ul>\n",
                      en ? "Good morning, today's alerts:" : "Goedemorgen, de meldingen van vandaag:");
        }
        for (size_t i = 0; i < n; i++) {
            json_t *it = json_array_get(items, i);
            sbuf line = {0};
            describe(&line, str(it, "kind"), it, en);
            sb_printf(&t, "- %s\n  %s/projects/%s/steps/%s\n", line.p ? line.p : "", base_url, str(it, "project_id"),
                      str(it, "step_key"));
            sb_printf(&h, "<li><a href=\"%s/projects/%s/steps/%s\">", base_url, str(it, "project_id"),
                      str(it, "step_key"));
            sb_html(&h, line.p ? line.p : "");
            sb_printf(&h, "</a></li>\n");
            free(line.p);
        }
        sb_printf(&h, "</ul>\n");
        sb_printf(&t, "\n%s: %s/settings/calendar\n", en ? "Calendar feeds" : "Agenda-abonnementen", base_url);
        settings_links(&t, &h, payload, base_url, en);
    } else if (strcmp(kind, "invitation") == 0) {
        invitation_text(&s, &t, &h, payload, base_url, en);
    } else if (strcmp(kind, "password_reset") == 0) {
        password_reset_text(&s, &t, &h, payload, base_url, en);
    } else if (strcmp(kind, "milestone_upcoming") == 0 || strcmp(kind, "milestone_overdue") == 0 ||
               strcmp(kind, "blocked_by_other_stream") == 0 || strcmp(kind, "forecast_slipped") == 0 ||
               strcmp(kind, "external_update") == 0) {
        describe(&s, kind, payload, en);
        sb_printf(&t, "%s\n\n", s.p);
        sb_printf(&h, "<h2>");
        sb_html(&h, s.p);
        sb_printf(&h, "</h2>\n");
        details(&t, &h, kind, payload, en);
        sb_printf(&t, "\n");
        links(&t, &h, payload, base_url, en);
        settings_links(&t, &h, payload, base_url, en);
    } else {
        free(s.p);
        free(t.p);
        free(h.p);
        return -1;
    }
    sb_printf(&t, "\n-- \nBouwstroom\n");
    sb_printf(&h, "<p>-- <br>Bouwstroom</p>\n</body></html>\n");
    out->subject = s.p;
    out->text = t.p;
    out->html = h.p;
    return 0;
}

void bs_mail_text_free(bs_mail_text *t) {
    free(t->subject);
    free(t->text);
    free(t->html);
    t->subject = t->text = t->html = NULL;
}
