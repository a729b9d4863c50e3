/*
 * Bouwstroom notifier: which alerts a project's schedule calls for. Pure: the schedule,
 * today's date and the recipients' rules are arguments.
 */
#ifndef BS_ALERTS_H
#define BS_ALERTS_H

#include <stdbool.h>

#include "calendar.h"
#include "schedule.h"
#include "schema.h"

typedef enum bs_alert_kind {
    BS_ALERT_MILESTONE_UPCOMING = 0, /* N working days before the milestone's planned date */
    BS_ALERT_MILESTONE_OVERDUE,      /* the working day after its planned date, not realised */
    BS_ALERT_BLOCKED,                /* a step waits on an overdue step of the other stream */
    BS_ALERT_FORECAST_SLIPPED,       /* the P50 finish moved more than N calendar days past its baseline */
    BS_ALERT_N_KINDS,
} bs_alert_kind;

/* API/store name of a kind: "milestone_upcoming", "milestone_overdue", "blocked_by_other_stream",
 * "forecast_slipped". */
const char *bs_alert_kind_name(bs_alert_kind k);

/* One recipient's effective rules for a project. */
typedef struct bs_alert_recipient {
    const char *user_id; /* borrowed */
    bool enabled[BS_ALERT_N_KINDS];
    int days[BS_ALERT_N_KINDS];         /* upcoming: working days before; forecast_slipped: calendar days */
    bool upcoming_from_p50;             /* upcoming counts back from the P50 forecast, not the planned date */
    bool stream_public, stream_private; /* which streams' steps concern this recipient */
} bs_alert_recipient;

/* One wanted alert. */
typedef struct bs_alert_want {
    int32_t step;     /* the step the alert is about */
    int32_t rev_step; /* the step whose date revision keys the alert (blocked: the overdue predecessor) */
    bs_alert_kind kind;
    int recipient;   /* index into recipients */
    bs_day due_date; /* civil date; the alert is due at 07:00 local on it */
    bs_day date;     /* the milestone's planned date (blocked: the overdue step's planned finish) */
} bs_alert_want;

/* Optional forecast of the project's steps (indexed like schema->steps; BS_DAY_NONE = none). */
typedef struct bs_alert_forecast {
    const bs_day *p50;           /* P50 finish per step */
    const bs_day *baseline;      /* the first P50 recorded per step */
    const bs_schedule *reported; /* NULL, or the schedule as last reported: planned from the
                                  * progress date instead of the data date (overdue and blocked
                                  * compare its dates with today; docs/alerts.md) */
} bs_alert_forecast;

/* Plans the alerts of one project.
 * Milestones: open or started steps with milestone = true and a planned date (early
 * finish). Upcoming: due N working days before the date (per the calendar), only while the
 * date is today or later. Overdue: due on the first working day after the date, when the
 * date lies before today. Blocked: an open step whose predecessor in the other stream is not
 * realised and has a planned finish before today; due today. Forecast slipped (fc non-NULL):
 * an open milestone whose P50 lies more than N calendar days after its baseline P50; due today.
 * Upcoming with upcoming_from_p50 counts back from the P50 (when known) instead of the plan.
 * With fc->reported, overdue and blocked take their dates from that schedule (what the facts
 * as last reported promised), upcoming from sched (planned from the data date).
 * out: caller's array of max entries. Returns the number written (stops at max). */
int bs_alert_plan(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched,
                  const bs_alert_forecast *fc, const bs_calendar *cal, bs_day today,
                  const bs_alert_recipient *recipients, int n_recipients, bs_alert_want *out, int max);

#endif
