/*
 * Unit tests of the durable queue's decisions (engine/runtime/queue_policy.c): claim sizing
 * by the observed rate and the lease, never while a backlog waits or while stopping,
 * performing, heartbeat interval, backoff with jitter and its cap, draining; and that an
 * operation's named statements take the queue's parameters (bs_queue_ops_check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "queue.h"
#include "queue_policy.h"

static const bs_queue_policy POL = {
    .max_parallel = 16, .max_claim = 200, .lease_ms = 30000, .retry_base_ms = 30000, .retry_cap_ms = 3600000};

static void test_claim_before_any_observation(void **state) {
    (void)state;
    bs_queue_counts c = {0};
    assert_int_equal(bs_queue_claim_size(&POL, &c, 0), 16); /* one per slot */
    c.performing = 10;
    assert_int_equal(bs_queue_claim_size(&POL, &c, 0), 6);
    c.performing = 16;
    assert_int_equal(bs_queue_claim_size(&POL, &c, 0), 0);
}

static void test_claim_bounded_by_rate_and_lease(void **state) {
    (void)state;
    bs_queue_counts c = {0};
    /* slow SMTP: 5 s per message, 16 in parallel, 30 s lease: 16 · 15 s / 5 s = 48, not 200 */
    assert_int_equal(bs_queue_claim_size(&POL, &c, 5000), 48);
    c.performing = 16;
    assert_int_equal(bs_queue_claim_size(&POL, &c, 5000), 32);
    c.waiting = 32;
    assert_int_equal(bs_queue_claim_size(&POL, &c, 5000), 0); /* every slot has a waiting item */
    /* fast: the cap */
    bs_queue_counts f = {0};
    assert_int_equal(bs_queue_claim_size(&POL, &f, 10), 200);
    /* very slow: at least one */
    bs_queue_policy one = POL;
    one.max_parallel = 1;
    one.lease_ms = 1000;
    assert_int_equal(bs_queue_claim_size(&one, &f, 60000), 1);
    /* the test's setting: 1 s lease, 0.3 s per message, 2 in parallel: 2 · 0.5 / 0.3 = 3 */
    bs_queue_policy t = {.max_parallel = 2, .max_claim = 200, .lease_ms = 1000};
    assert_int_equal(bs_queue_claim_size(&t, &f, 300), 3);
    bs_queue_counts busy = {.performing = 2};
    assert_int_equal(bs_queue_claim_size(&t, &busy, 300), 1);
}

static void test_no_claim_while_backlog_claiming_or_stopping(void **state) {
    (void)state;
    bs_queue_counts c = {.backlog = 1};
    assert_int_equal(bs_queue_claim_size(&POL, &c, 100), 0);
    bs_queue_counts d = {.claiming = true};
    assert_int_equal(bs_queue_claim_size(&POL, &d, 100), 0);
    bs_queue_counts e = {.stopping = true};
    assert_int_equal(bs_queue_claim_size(&POL, &e, 100), 0);
    /* held items count against the budget: what is recorded is not yet free */
    bs_queue_counts r = {.recording = 40};
    assert_int_equal(bs_queue_claim_size(&POL, &r, 5000), 8);
}

static void test_claim_ahead_with_max_held(void **state) {
    (void)state;
    /* the outbox's setting: up to 800 held, at most 200 per claim */
    bs_queue_policy p = POL;
    p.max_held = 800;
    bs_queue_counts f = {0};
    assert_int_equal(bs_queue_claim_size(&p, &f, 0), 16);  /* before any observation: one per slot */
    assert_int_equal(bs_queue_claim_size(&p, &f, 2), 200); /* fast: a full claim ... */
    bs_queue_counts c = {.waiting = 300, .performing = 16, .recording = 100};
    assert_int_equal(bs_queue_claim_size(&p, &c, 2), 200); /* ... and the next one while 300 still wait */
    c.waiting = 399;
    c.recording = 300;
    assert_int_equal(bs_queue_claim_size(&p, &c, 2), 85); /* only what is missing of the 800 */
    c.waiting = 400;
    c.recording = 0;
    assert_int_equal(bs_queue_claim_size(&p, &c, 2), 0); /* half the budget in hand: enough */
    /* the bound by the send rate still holds: 5 s per message gives 48, whatever max_held */
    bs_queue_counts s = {0};
    assert_int_equal(bs_queue_claim_size(&p, &s, 5000), 48);
    s.performing = 16;
    s.waiting = 16;
    assert_int_equal(bs_queue_claim_size(&p, &s, 5000), 16); /* 48 less the 32 held */
    s.waiting = 24;
    assert_int_equal(bs_queue_claim_size(&p, &s, 5000), 0); /* half the budget waits */
    /* and it adapts upward: the budget grows as sends get faster, up to max_held */
    int last = 0;
    for (double ms = 5000; ms >= 1; ms /= 2) {
        bs_queue_counts e = {0};
        int n = bs_queue_claim_size(&p, &e, ms);
        assert_true(n >= last);
        last = n;
    }
    assert_int_equal(last, 200);
    bs_queue_counts held = {.waiting = 100, .performing = 16, .recording = 484};
    assert_int_equal(bs_queue_claim_size(&p, &held, 1), 200);
    held.recording = 684;
    assert_int_equal(bs_queue_claim_size(&p, &held, 1), 0); /* 800 held */
}

static void test_may_perform(void **state) {
    (void)state;
    bs_queue_counts c = {.waiting = 3};
    assert_true(bs_queue_may_perform(&POL, &c));
    c.performing = 16;
    assert_false(bs_queue_may_perform(&POL, &c)); /* no free slot */
    c.performing = 0;
    c.backlog = 1;
    assert_false(bs_queue_may_perform(&POL, &c)); /* unrecorded outcomes first */
    c.backlog = 0;
    c.stopping = true;
    assert_false(bs_queue_may_perform(&POL, &c)); /* stopping: nothing new */
    bs_queue_counts none = {0};
    assert_false(bs_queue_may_perform(&POL, &none));
}

static void test_drained_and_held(void **state) {
    (void)state;
    bs_queue_counts c = {.waiting = 1, .performing = 2, .recording = 3, .backlog = 4};
    assert_int_equal(bs_queue_held(&c), 10);
    assert_false(bs_queue_drained(&c));
    bs_queue_counts rec = {.recording = 1};
    assert_false(bs_queue_drained(&rec)); /* stop waits for the outcome to be written */
    bs_queue_counts back = {.backlog = 1};
    assert_false(bs_queue_drained(&back));
    bs_queue_counts cl = {.claiming = true};
    assert_false(bs_queue_drained(&cl));
    bs_queue_counts none = {.stopping = true};
    assert_true(bs_queue_drained(&none));
}

static void test_heartbeat(void **state) {
    (void)state;
    assert_int_equal(bs_queue_heartbeat_ms(&POL), 10000); /* two beats may be lost */
    bs_queue_policy p = POL;
    p.lease_ms = 1000;
    assert_int_equal(bs_queue_heartbeat_ms(&p), 333);
    p.lease_ms = 60;
    assert_int_equal(bs_queue_heartbeat_ms(&p), 50);
}

static void test_observe(void **state) {
    (void)state;
    assert_true(bs_queue_observe(0, 400) == 400.0);
    assert_true(bs_queue_observe(400, 800) == 500.0); /* weight 1/4 */
    assert_true(bs_queue_observe(0, 0) == 1.0);       /* never a zero duration */
}

static void test_backoff(void **state) {
    (void)state;
    assert_int_equal(bs_queue_backoff_ms(1, 1000, 60000, 0.0), 500);
    assert_int_equal(bs_queue_backoff_ms(1, 1000, 60000, 0.5), 750);
    assert_int_equal(bs_queue_backoff_ms(3, 1000, 60000, 0.0), 2000);
    assert_int_equal(bs_queue_backoff_ms(30, 1000, 60000, 0.0), 30000);
    assert_true(bs_queue_backoff_ms(30, 1000, 60000, 0.999) < 60000);
    assert_true(bs_queue_backoff_ms(30, 1000, 60000, 5.0) <= 60000); /* rnd out of range */
    assert_int_equal(bs_queue_backoff_ms(0, 1000, 60000, 0.0), 500);
    /* the notifier's defaults: 30 s base, 1 h cap */
    assert_int_equal(bs_queue_backoff_ms(2, 30000, 3600000, 0.0), 30000);
    assert_int_equal(bs_queue_backoff_ms(20, 30000, 3600000, 0.0), 1800000);
    /* the backlog: 250 ms base, 5 s cap */
    assert_int_equal(bs_queue_backlog_retry_ms(1, 0.0), 125);
    assert_true(bs_queue_backlog_retry_ms(100, 0.999) < 5000);
}

/* The statements of a table of operations take the queue's own parameters plus the extra ones. */
static const bs_stmt CLAIM5 = {"t_claim", "SELECT $1, $2, $3, $4, $5", 5};
static const bs_stmt BEAT4 = {"t_beat", "SELECT $1, $2, $3, $4", 4};
static const bs_stmt RELEASE3 = {"t_release", "SELECT $1, $2, $3", 3};
static const bs_stmt DUE3 = {"t_due", "SELECT $1, $2, $3", 3};
static const bs_stmt DUE2 = {"t_due2", "SELECT $1, $2", 2};
static const bs_stmt BATCH2 = {"t_batch", "SELECT $1, $2", 2};
static const bs_stmt BATCH3 = {"t_batch3", "SELECT $1, $2, $3", 3};

static void test_ops_check(void **state) {
    (void)state;
    bs_queue_ops ops = {.name = "t", .claim = &CLAIM5, .heartbeat = &BEAT4, .release = &RELEASE3, .next_due = &DUE3};
    assert_null(bs_queue_ops_check(&ops, 1)); /* one extra: the adapter outbox's shape */
    assert_string_equal(bs_queue_ops_check(&ops, 0), "t_claim");
    ops.release = NULL; /* optional */
    ops.next_due = NULL;
    assert_null(bs_queue_ops_check(&ops, 1));
    ops.next_due = &DUE2; /* forgot the extra */
    assert_string_equal(bs_queue_ops_check(&ops, 1), "t_due2");
    ops.next_due = &DUE3;
    ops.batch = &BATCH2; /* the batch statement takes no extra */
    assert_null(bs_queue_ops_check(&ops, 1));
    ops.batch = &BATCH3;
    assert_string_equal(bs_queue_ops_check(&ops, 1), "t_batch3");
    ops.batch = NULL;
    ops.heartbeat = NULL; /* required */
    assert_string_equal(bs_queue_ops_check(&ops, 1), "heartbeat");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_before_any_observation),
        cmocka_unit_test(test_claim_bounded_by_rate_and_lease),
        cmocka_unit_test(test_no_claim_while_backlog_claiming_or_stopping),
        cmocka_unit_test(test_claim_ahead_with_max_held),
        cmocka_unit_test(test_may_perform),
        cmocka_unit_test(test_drained_and_held),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_observe),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_ops_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
