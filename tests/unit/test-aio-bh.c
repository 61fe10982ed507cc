/*
 * qemuutil: bottom-half tests (scheduling, cancel, delete, slices).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One AioContext, run by the main thread, serves every case.  Each case
 * leaves the context idle (no scheduled BH, no handler of its own).
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"

static AioContext *ctx;

typedef struct {
    QEMUBH *bh;
    int runs;
    int limit;          /* reschedule itself until it ran this often */
    bool delete_last;   /* delete itself on the last run */
} Counter;

static void counter_cb(void *opaque)
{
    Counter *c = opaque;

    c->runs++;
    if (c->runs < c->limit) {
        qemu_bh_schedule(c->bh);
    } else if (c->delete_last) {
        qemu_bh_delete(c->bh);
        c->bh = NULL;
    }
}

/* Nothing left: a non-blocking poll reports no progress. */
static void assert_idle(void)
{
    g_assert_false(aio_poll(ctx, false));
}

/* Hard cases first. */

/* The BH deletes itself from its own callback. */
static void test_delete_in_callback_one(void)
{
    Counter c = { .limit = 1, .delete_last = true };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(c.runs, ==, 1);
    g_assert_null(c.bh);
    assert_idle();
}

/* Several BHs run different numbers of times and delete themselves. */
static void test_delete_in_callback_many(void)
{
    Counter c[4] = {
        { .limit = 1, .delete_last = true },
        { .limit = 3, .delete_last = true },
        { .limit = 2, .delete_last = true },
        { .limit = 4, .delete_last = true },
    };
    int i;
    bool busy;

    for (i = 0; i < 4; i++) {
        c[i].bh = aio_bh_new(ctx, counter_cb, &c[i]);
        qemu_bh_schedule(c[i].bh);
    }
    /* One pass runs each exactly once. */
    g_assert_true(aio_poll(ctx, false));
    for (i = 0; i < 4; i++) {
        g_assert_cmpint(c[i].runs, ==, 1);
    }
    g_assert_null(c[0].bh);

    do {
        busy = false;
        for (i = 0; i < 4; i++) {
            busy |= c[i].runs < c[i].limit;
        }
        if (busy) {
            aio_poll(ctx, true);
        }
    } while (busy);
    for (i = 0; i < 4; i++) {
        g_assert_cmpint(c[i].runs, ==, c[i].limit);
        g_assert_null(c[i].bh);
    }
    assert_idle();
}

/* Deleting a scheduled BH: it never runs, and the memory is reclaimed. */
static void test_delete_while_scheduled(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    qemu_bh_delete(c.bh);
    assert_idle();
    g_assert_cmpint(c.runs, ==, 0);
}

typedef struct {
    QEMUBH *victim;
    Counter *victim_state;
} Killer;

/* A BH deletes another BH that is queued in the same slice. */
static void killer_cb(void *opaque)
{
    Killer *k = opaque;

    qemu_bh_delete(k->victim);
    k->victim_state->bh = NULL;
}

static void test_delete_other_in_same_pass(void)
{
    Counter victim = { .limit = 1 };
    Killer k;
    QEMUBH *killer;

    victim.bh = aio_bh_new(ctx, counter_cb, &victim);
    k.victim = victim.bh;
    k.victim_state = &victim;
    killer = aio_bh_new(ctx, killer_cb, &k);

    /* The list is LIFO: the killer, scheduled last, runs first. */
    qemu_bh_schedule(victim.bh);
    qemu_bh_schedule(killer);
    g_assert_true(aio_poll(ctx, false));
    g_assert_cmpint(victim.runs, ==, 0);
    qemu_bh_delete(killer);
    assert_idle();
}

typedef struct {
    QEMUBH *bh;
    int runs;
    int fd_runs_seen;       /* fd handler runs when this BH last ran */
    int *fd_runs;
} Rescheduler;

static void rescheduler_cb(void *opaque)
{
    Rescheduler *r = opaque;

    r->runs++;
    r->fd_runs_seen = *r->fd_runs;
    qemu_bh_schedule(r->bh);
}

typedef struct {
    EventNotifier e;
    int runs;
} CountedNotifier;

static void counted_read(EventNotifier *e)
{
    CountedNotifier *n = container_of(e, CountedNotifier, e);

    event_notifier_test_and_clear(e);
    n->runs++;
}

/*
 * A BH that reschedules itself from its callback runs once per aio_poll()
 * (the next pass, not the current one), and fd handlers keep running.
 */
static void test_reschedule_from_callback(void)
{
    CountedNotifier n = { .runs = 0 };
    Rescheduler r = { .fd_runs = &n.runs };
    int i;

    g_assert_cmpint(event_notifier_init(&n.e, false), ==, 0);
    aio_set_event_notifier(ctx, &n.e, counted_read, NULL, NULL);
    r.bh = aio_bh_new(ctx, rescheduler_cb, &r);
    qemu_bh_schedule(r.bh);

    for (i = 1; i <= 50; i++) {
        /* Blocking, but a scheduled BH means it must not sleep. */
        g_assert_true(aio_poll(ctx, true));
        g_assert_cmpint(r.runs, ==, i);
        /* The fd becomes readable mid-stream; it is not starved. */
        if (i == 10) {
            event_notifier_set(&n.e);
        }
        if (i == 11) {
            g_assert_cmpint(n.runs, ==, 1);
        }
    }
    g_assert_cmpint(n.runs, ==, 1);

    qemu_bh_delete(r.bh);
    aio_set_event_notifier(ctx, &n.e, NULL, NULL, NULL);
    event_notifier_cleanup(&n.e);
    assert_idle();
}

/* Scheduling and runs. */

static void test_schedule(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    g_assert_cmpint(c.runs, ==, 0);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(c.runs, ==, 1);
    assert_idle();
    g_assert_cmpint(c.runs, ==, 1);

    /* Scheduling twice before a pass still runs it once. */
    qemu_bh_schedule(c.bh);
    qemu_bh_schedule(c.bh);
    c.limit = 2;
    g_assert_true(aio_poll(ctx, false));
    g_assert_cmpint(c.runs, ==, 2);
    assert_idle();
    qemu_bh_delete(c.bh);
}

static void test_schedule10(void)
{
    Counter c = { .limit = 10 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    g_assert_true(aio_poll(ctx, false));
    g_assert_cmpint(c.runs, ==, 1);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(c.runs, ==, 2);
    while (c.runs < 10) {
        g_assert_true(aio_poll(ctx, true));
    }
    g_assert_cmpint(c.runs, ==, 10);
    assert_idle();
    qemu_bh_delete(c.bh);
}

static void test_cancel(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    qemu_bh_cancel(c.bh);
    assert_idle();
    g_assert_cmpint(c.runs, ==, 0);

    /* A cancelled BH can be scheduled again. */
    qemu_bh_schedule(c.bh);
    g_assert_true(aio_poll(ctx, false));
    g_assert_cmpint(c.runs, ==, 1);
    qemu_bh_delete(c.bh);
    assert_idle();
}

static void test_delete(void)
{
    Counter c = { .limit = 1 };

    /* Deleting a BH that was never scheduled. */
    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_delete(c.bh);
    assert_idle();
    g_assert_cmpint(c.runs, ==, 0);
}

static void test_idle(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule_idle(c.bh);
    /* Idle BHs bound the timeout to 10 ms, not 0. */
    g_assert_cmpint(aio_compute_timeout(ctx), ==, 10 * SCALE_MS);
    /* They run, but are not progress. */
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(c.runs, ==, 1);

    /* A blocking poll with only an idle BH returns within ~10 ms. */
    qemu_bh_schedule_idle(c.bh);
    c.limit = 2;
    while (c.runs < 2) {
        aio_poll(ctx, true);
    }
    qemu_bh_delete(c.bh);
    assert_idle();
}

static int oneshot_runs;

static void oneshot_cb(void *opaque)
{
    oneshot_runs++;
    g_assert(opaque == &oneshot_runs);
}

static void test_oneshot(void)
{
    oneshot_runs = 0;
    aio_bh_schedule_oneshot(ctx, oneshot_cb, &oneshot_runs);
    aio_bh_schedule_oneshot(ctx, oneshot_cb, &oneshot_runs);
    g_assert_cmpint(aio_compute_timeout(ctx), ==, 0);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(oneshot_runs, ==, 2);
    /* Freed after running (ASan checks): nothing left. */
    assert_idle();
}

static MemReentrancyGuard guard;
static bool engaged_inside;

static void guarded_cb(void *opaque)
{
    engaged_inside = guard.engaged_in_io;
}

static void test_reentrancy_guard(void)
{
    QEMUBH *bh = aio_bh_new_guarded(ctx, guarded_cb, NULL, &guard);

    guard.engaged_in_io = false;
    qemu_bh_schedule(bh);
    g_assert_true(aio_poll(ctx, false));
    g_assert_true(engaged_inside);
    g_assert_false(guard.engaged_in_io);

    /* aio_bh_call() restores the previous state. */
    guard.engaged_in_io = true;
    aio_bh_call(bh);
    g_assert_true(guard.engaged_in_io);
    guard.engaged_in_io = false;
    qemu_bh_delete(bh);
    assert_idle();
}

typedef struct {
    QEMUBH *outer;
    QEMUBH *inner;
    int outer_runs;
    int inner_runs;
    bool nested_result;
} Nest;

static void inner_cb(void *opaque)
{
    Nest *n = opaque;

    n->inner_runs++;
}

/* A BH runs a nested aio_poll(), which drains the outer slice. */
static void outer_cb(void *opaque)
{
    Nest *n = opaque;

    n->outer_runs++;
    n->nested_result = aio_poll(ctx, false);
}

static void test_nested_poll_drains_slice(void)
{
    Nest n = { 0 };

    n.inner = aio_bh_new(ctx, inner_cb, &n);
    n.outer = aio_bh_new(ctx, outer_cb, &n);
    /* LIFO: outer runs first, the nested loop runs inner. */
    qemu_bh_schedule(n.inner);
    qemu_bh_schedule(n.outer);
    g_assert_true(aio_poll(ctx, false));
    g_assert_cmpint(n.outer_runs, ==, 1);
    g_assert_cmpint(n.inner_runs, ==, 1);
    g_assert_true(n.nested_result);
    qemu_bh_delete(n.inner);
    qemu_bh_delete(n.outer);
    assert_idle();
}

/* A BH leaked at finalize aborts with a message naming it. */
static void test_leak_aborts(void)
{
    if (g_test_subprocess()) {
        AioContext *other = aio_context_new(&error_abort);
        Counter c = { .limit = 1 };

        c.bh = aio_bh_new(other, counter_cb, &c);
        qemu_bh_schedule(c.bh);
        aio_context_unref(other);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*counter_cb*leaked*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(ctx);
    /* The context's own notifier gets dispatched once; start clean. */
    while (aio_poll(ctx, false)) {
        continue;
    }

    g_test_add_func("/aio/bh/callback-delete/one",
                    test_delete_in_callback_one);
    g_test_add_func("/aio/bh/callback-delete/many",
                    test_delete_in_callback_many);
    g_test_add_func("/aio/bh/delete-while-scheduled",
                    test_delete_while_scheduled);
    g_test_add_func("/aio/bh/delete-other-in-same-pass",
                    test_delete_other_in_same_pass);
    g_test_add_func("/aio/bh/reschedule-from-callback",
                    test_reschedule_from_callback);
    g_test_add_func("/aio/bh/nested-poll-drains-slice",
                    test_nested_poll_drains_slice);
    g_test_add_func("/aio/bh/leak-aborts", test_leak_aborts);
    g_test_add_func("/aio/bh/schedule", test_schedule);
    g_test_add_func("/aio/bh/schedule10", test_schedule10);
    g_test_add_func("/aio/bh/cancel", test_cancel);
    g_test_add_func("/aio/bh/delete", test_delete);
    g_test_add_func("/aio/bh/idle", test_idle);
    g_test_add_func("/aio/bh/oneshot", test_oneshot);
    g_test_add_func("/aio/bh/reentrancy-guard", test_reentrancy_guard);
    return g_test_run();
}
