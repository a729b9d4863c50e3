/*
 * The durable queue's decisions. See queue_policy.h.
 */
#include "queue_policy.h"

int bs_queue_held(const bs_queue_counts *c) {
    return c->waiting + c->performing + c->recording + c->backlog;
}

int bs_queue_claim_size(const bs_queue_policy *p, const bs_queue_counts *c, double avg_ms) {
    if (c->stopping || c->claiming || c->backlog > 0) return 0;
    int parallel = p->max_parallel > 0 ? p->max_parallel : 1;
    int max_claim = p->max_claim > 0 ? p->max_claim : 1;
    int cap = p->max_held > 0 ? p->max_held : max_claim;
    int budget;
    if (avg_ms <= 0) {
        budget = parallel; /* nothing observed yet: one item per slot */
    } else {
        double n = (double)parallel * ((double)p->lease_ms / 2.0) / avg_ms;
        budget = n < 1 ? 1 : n > cap ? cap : (int)n;
    }
    if (budget > cap) budget = cap;
    int low_water = budget / 2 > parallel ? budget / 2 : parallel;
    if (c->waiting >= low_water) return 0; /* enough in hand while a claim would travel */
    int want = budget - bs_queue_held(c);
    if (want > max_claim) want = max_claim;
    return want > 0 ? want : 0;
}

bool bs_queue_may_perform(const bs_queue_policy *p, const bs_queue_counts *c) {
    int parallel = p->max_parallel > 0 ? p->max_parallel : 1;
    return !c->stopping && c->backlog == 0 && c->waiting > 0 && c->performing < parallel;
}

bool bs_queue_drained(const bs_queue_counts *c) {
    return bs_queue_held(c) == 0 && !c->claiming;
}

int64_t bs_queue_heartbeat_ms(const bs_queue_policy *p) {
    int64_t ms = p->lease_ms / 3;
    return ms < 50 ? 50 : ms;
}

double bs_queue_observe(double avg_ms, int64_t duration_ms) {
    double d = duration_ms < 0 ? 0 : (double)duration_ms;
    if (d < 1) d = 1; /* a rate, not a division by zero */
    return avg_ms <= 0 ? d : avg_ms + (d - avg_ms) / 4.0;
}

int64_t bs_queue_backoff_ms(int attempt, int base_ms, int cap_ms, double rnd) {
    if (attempt < 1) attempt = 1;
    double d = base_ms;
    for (int i = 1; i < attempt && d < cap_ms; i++) d *= 2;
    if (d > cap_ms) d = cap_ms;
    if (rnd < 0) rnd = 0;
    if (rnd >= 1) rnd = 0.999999;
    return (int64_t)(d / 2 + rnd * (d / 2));
}

int64_t bs_queue_backlog_retry_ms(int failures, double rnd) {
    return bs_queue_backoff_ms(failures, 250, 5000, rnd);
}
