/*
 * qemuutil: aio_notify() and the notify_me protocol: cross-thread wake-ups
 * (with a stress test that counts lost ones), no eventfd write when nobody
 * waits, no spurious progress, nested aio_poll().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"

static AioContext *ctx;

static void settle(void)
{
    while (aio_poll(ctx, false)) {
        continue;
    }
}

/* Busy-wait (no sleep) until the home thread is inside a blocking wait. */
static void wait_until_blocked(void)
{
    while (qatomic_read(&ctx->notify_me) < 2) {
        g_usleep(0);            /* sched_yield; not synchronisation */
    }
}

/*
 * Stress: a worker and the home thread play ping-pong; each round the
 * worker wakes the home thread, which sits in aio_poll(ctx, true), at a
 * random moment relative to its entry into the wait.  If a wake-up is lost
 * (say aio_notify() stops ordering 'notified' against 'notify_me'), the
 * home thread sleeps with work pending.  A watchdog thread sees the round
 * counter stall, records a lost wake-up and rescues the loop by writing the
 * notifier directly; the test then fails on lost != 0.
 */
typedef struct {
    bool use_bh;                /* wake with a BH, else aio_notify() + flag */
    QEMUBH *bh;
    unsigned round;             /* home thread: rounds completed */
    unsigned posted;            /* worker: rounds posted */
    unsigned lost;              /* watchdog rescues */
    bool stop;
    bool flag;
} Stress;

static void stress_bh(void *opaque)
{
    Stress *s = opaque;

    qatomic_set(&s->flag, true);
}

static void *stress_worker(void *opaque)
{
    Stress *s = opaque;
    GRand *rand = g_rand_new_with_seed(0x5eed);

    while (!qatomic_read(&s->stop)) {
        unsigned r = qatomic_load_acquire(&s->round);
        int spin = g_rand_int_range(rand, 0, 4000);

        if (qatomic_read(&s->posted) != r) {
            continue;           /* home thread has not consumed it yet */
        }
        /* Land anywhere around the home thread's entry into the wait. */
        while (spin-- > 0) {
            barrier();
        }
        qatomic_set(&s->posted, r + 1);
        if (s->use_bh) {
            qemu_bh_schedule(s->bh);
        } else {
            qatomic_set(&s->flag, true);
            aio_notify(ctx);
        }
    }
    g_rand_free(rand);
    return NULL;
}

static void *stress_watchdog(void *opaque)
{
    Stress *s = opaque;

    while (!qatomic_read(&s->stop)) {
        unsigned before = qatomic_read(&s->round);
        gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

        while (g_get_monotonic_time() < deadline &&
               qatomic_read(&s->round) == before &&
               !qatomic_read(&s->stop)) {
            g_usleep(1000);     /* polling period only */
        }
        if (qatomic_read(&s->round) == before && !qatomic_read(&s->stop)) {
            qatomic_inc(&s->lost);
            event_notifier_set(&ctx->notifier);
        }
    }
    return NULL;
}

static void run_stress(bool use_bh)
{
    Stress s = { .use_bh = use_bh };
    QemuThread worker, watchdog;
    gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC;
    unsigned max_rounds = 200000;

    s.bh = aio_bh_new(ctx, stress_bh, &s);
    qemu_thread_create(&worker, "stress-worker", stress_worker, &s,
                       QEMU_THREAD_JOINABLE);
    qemu_thread_create(&watchdog, "stress-watchdog", stress_watchdog, &s,
                       QEMU_THREAD_JOINABLE);

    while (s.round < max_rounds && g_get_monotonic_time() < end) {
        while (!qatomic_read(&s.flag)) {
            aio_poll(ctx, true);
        }
        qatomic_set(&s.flag, false);
        qatomic_store_release(&s.round, s.round + 1);
    }
    qatomic_set(&s.stop, true);
    qemu_thread_join(&worker);
    qemu_thread_join(&watchdog);

    g_test_message("%u rounds", s.round);
    g_assert_cmpuint(s.lost, ==, 0);
    g_assert_cmpuint(s.round, >, 100);
    qemu_bh_delete(s.bh);
    settle();
    g_assert_cmpuint(qatomic_read(&ctx->notify_me), ==, 0);
}

static void test_stress_bh(void)
{
    run_stress(true);
}

static void test_stress_notify(void)
{
    run_stress(false);
}

static void *notify_when_blocked(void *opaque)
{
    wait_until_blocked();
    aio_notify(ctx);
    return NULL;
}

/* A bare aio_notify() from another thread ends a blocking wait; it is not
 * progress. */
static void test_cross_thread_wakes_blocking_poll(void)
{
    QemuThread t;

    settle();
    qemu_thread_create(&t, "notifier", notify_when_blocked, NULL,
                       QEMU_THREAD_JOINABLE);
    g_assert_false(aio_poll(ctx, true));
    qemu_thread_join(&t);
    settle();
}

static bool remote_ran;

static void remote_bh(void *opaque)
{
    remote_ran = true;
}

static void *schedule_when_blocked(void *opaque)
{
    wait_until_blocked();
    aio_bh_schedule_oneshot(ctx, remote_bh, NULL);
    return NULL;
}

/* A BH scheduled from another thread wakes the wait and is progress. */
static void test_cross_thread_bh(void)
{
    QemuThread t;

    remote_ran = false;
    qemu_thread_create(&t, "scheduler", schedule_when_blocked, NULL,
                       QEMU_THREAD_JOINABLE);
    while (!remote_ran) {
        g_assert_true(aio_poll(ctx, true));
    }
    qemu_thread_join(&t);
    settle();
}

/*
 * Nobody waits: aio_notify() only sets 'notified', writes no eventfd, and
 * the next aio_poll() accepts it without reporting progress or making a
 * system call (the context's own notifier can be polled in userspace).
 */
static void test_no_write_when_nobody_waits(void)
{
    settle();
    g_assert_cmpuint(qatomic_read(&ctx->notify_me), ==, 0);
    aio_notify(ctx);
    g_assert_true(qatomic_read(&ctx->notified));
    /* Not written: draining it finds nothing. */
    g_assert_cmpint(event_notifier_test_and_clear(&ctx->notifier), ==, 0);

    g_assert_false(aio_poll(ctx, false));
    g_assert_false(qatomic_read(&ctx->notified));
    g_assert_false(aio_poll(ctx, false));
}

/* A notification that is pending when a blocking poll starts ends it at
 * once (the re-check of 'notified' after raising notify_me). */
static void test_pending_notify_skips_wait(void)
{
    settle();
    aio_notify(ctx);
    g_assert_false(aio_poll(ctx, true));
    g_assert_false(qatomic_read(&ctx->notified));
}

typedef struct {
    QEMUBH *outer;
    bool inner_done;
    bool nested_progress;
} NestBh;

static void nested_remote_bh(void *opaque)
{
    NestBh *n = opaque;

    n->inner_done = true;
}

static void *schedule_inner_when_blocked(void *opaque)
{
    wait_until_blocked();
    aio_bh_schedule_oneshot(ctx, nested_remote_bh, opaque);
    return NULL;
}

static void outer_bh(void *opaque)
{
    NestBh *n = opaque;
    QemuThread t;

    /* Block inside a BH until another thread schedules work. */
    qemu_thread_create(&t, "inner", schedule_inner_when_blocked, n,
                       QEMU_THREAD_JOINABLE);
    while (!n->inner_done) {
        n->nested_progress |= aio_poll(ctx, true);
    }
    qemu_thread_join(&t);
}

static void test_nested_in_bh(void)
{
    NestBh n = { 0 };

    n.outer = aio_bh_new(ctx, outer_bh, &n);
    qemu_bh_schedule(n.outer);
    g_assert_true(aio_poll(ctx, true));
    g_assert_true(n.inner_done);
    g_assert_true(n.nested_progress);
    qemu_bh_delete(n.outer);
    settle();
    g_assert_cmpuint(qatomic_read(&ctx->notify_me), ==, 0);
}

typedef struct {
    EventNotifier outer;
    EventNotifier inner;
    int outer_runs;
    int inner_runs;
} NestFd;

static NestFd nest_fd;

static void inner_read(EventNotifier *e)
{
    event_notifier_test_and_clear(e);
    nest_fd.inner_runs++;
}

static void outer_read(EventNotifier *e)
{
    event_notifier_test_and_clear(e);
    nest_fd.outer_runs++;
    /* Nested loop from inside a handler: it dispatches the other fd. */
    event_notifier_set(&nest_fd.inner);
    while (nest_fd.inner_runs == 0) {
        aio_poll(ctx, true);
    }
    /* And it removes itself while the outer walk is in progress. */
    aio_set_event_notifier(ctx, &nest_fd.outer, NULL, NULL, NULL);
}

static void test_nested_in_handler(void)
{
    memset(&nest_fd, 0, sizeof(nest_fd));
    event_notifier_init(&nest_fd.outer, false);
    event_notifier_init(&nest_fd.inner, false);
    aio_set_event_notifier(ctx, &nest_fd.outer, outer_read, NULL, NULL);
    aio_set_event_notifier(ctx, &nest_fd.inner, inner_read, NULL, NULL);
    settle();

    event_notifier_set(&nest_fd.outer);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(nest_fd.outer_runs, ==, 1);
    g_assert_cmpint(nest_fd.inner_runs, ==, 1);
    settle();

    aio_set_event_notifier(ctx, &nest_fd.inner, NULL, NULL, NULL);
    event_notifier_cleanup(&nest_fd.outer);
    event_notifier_cleanup(&nest_fd.inner);
    settle();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(ctx);
    settle();

    g_test_add_func("/aio/notify/stress/lost-wakeup-bh", test_stress_bh);
    g_test_add_func("/aio/notify/stress/lost-wakeup-notify",
                    test_stress_notify);
    g_test_add_func("/aio/notify/cross-thread/wakes-blocking-poll",
                    test_cross_thread_wakes_blocking_poll);
    g_test_add_func("/aio/notify/cross-thread/bh", test_cross_thread_bh);
    g_test_add_func("/aio/notify/no-write-when-nobody-waits",
                    test_no_write_when_nobody_waits);
    g_test_add_func("/aio/notify/pending-skips-wait",
                    test_pending_notify_skips_wait);
    g_test_add_func("/aio/notify/nested/in-bh", test_nested_in_bh);
    g_test_add_func("/aio/notify/nested/in-handler", test_nested_in_handler);
    return g_test_run();
}
