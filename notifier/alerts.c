/*
 * Alert planning. See alerts.h.
 */
#include "alerts.h"

static const char *const kind_names[BS_ALERT_N_KINDS] = {"milestone_upcoming", "milestone_overdue",
                                                         "blocked_by_other_stream", "forecast_slipped"};

const char *bs_alert_kind_name(bs_alert_kind k) {
    return (unsigned)k < BS_ALERT_N_KINDS ? kind_names[k] : "";
}

static bool concerns(const bs_alert_recipient *r, bs_stream s) {
    return s == BS_STREAM_PUBLIC ? r->stream_public : r->stream_private;
}

static bool is_open(const bs_progress *p) {
    return p->status == BS_STATUS_OPEN || p->status == BS_STATUS_STARTED;
}

int bs_alert_plan(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched,
                  const bs_alert_forecast *fc, const bs_calendar *cal, bs_day today, const bs_alert_recipient *rs,
                  int n_rs, bs_alert_want *out, int max) {
    int n = 0;
    for (int32_t i = 0; i < schema->n_steps && n < max; i++) {
        const bs_step *st = &schema->steps[i];
        if (!is_open(&progress[i])) continue;
        bs_day date = sched->steps[i].early_finish;
        if (st->milestone && date != BS_DAY_NONE) {
            for (int r = 0; r < n_rs && n < max; r++) {
                if (!concerns(&rs[r], st->stream)) continue;
                bs_day p50 = fc && fc->p50 ? fc->p50[i] : BS_DAY_NONE;
                bs_day basis = rs[r].upcoming_from_p50 && p50 != BS_DAY_NONE ? p50 : date;
                if (rs[r].enabled[BS_ALERT_MILESTONE_UPCOMING] && basis >= today) {
                    int d = rs[r].days[BS_ALERT_MILESTONE_UPCOMING];
                    bs_day due = d > 0 ? bs_calendar_add_working_days(cal, basis, -d) : basis;
                    out[n++] = (bs_alert_want){i, i, BS_ALERT_MILESTONE_UPCOMING, r, due, basis};
                }
                bs_day base = fc && fc->baseline ? fc->baseline[i] : BS_DAY_NONE;
                if (rs[r].enabled[BS_ALERT_FORECAST_SLIPPED] && p50 != BS_DAY_NONE && base != BS_DAY_NONE &&
                    p50 - base > rs[r].days[BS_ALERT_FORECAST_SLIPPED] && n < max)
                    out[n++] = (bs_alert_want){i, i, BS_ALERT_FORECAST_SLIPPED, r, today, p50};
                bs_day promised = fc && fc->reported ? fc->reported->steps[i].early_finish : date;
                if (rs[r].enabled[BS_ALERT_MILESTONE_OVERDUE] && promised != BS_DAY_NONE && promised < today &&
                    n < max) {
                    bs_day due = bs_calendar_add_working_days(cal, promised + 1, 0);
                    out[n++] = (bs_alert_want){i, i, BS_ALERT_MILESTONE_OVERDUE, r, due, promised};
                }
            }
        }
        if (progress[i].status != BS_STATUS_OPEN) continue;
        /* blocked by an overdue step of the other stream */
        for (int32_t k = 0; k < st->n_preds && n < max; k++) {
            int32_t p = schema->links[st->preds[k]].pred;
            const bs_step *ps = &schema->steps[p];
            if (ps->stream == st->stream || !is_open(&progress[p])) continue;
            bs_day pf = fc && fc->reported ? fc->reported->steps[p].early_finish : sched->steps[p].early_finish;
            if (pf == BS_DAY_NONE || pf >= today) continue;
            for (int r = 0; r < n_rs && n < max; r++) {
                if (!concerns(&rs[r], st->stream) || !rs[r].enabled[BS_ALERT_BLOCKED]) continue;
                out[n++] = (bs_alert_want){i, p, BS_ALERT_BLOCKED, r, today, pf};
            }
        }
    }
    return n;
}
