/*
 * qemuutil: the parts of QEMU's AioContext tests that need the main loop
 * (/aio/timer/schedule, /aio/coroutine/..., and AIO_WAIT_WHILE() with an
 * IOThread).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The context under test is the main loop's, as in QEMU's test-aio; the
 * context-only cases live in test-aio-bh.c, test-aio-fd.c and friends.
 * The timer case drives QEMU_CLOCK_VIRTUAL instead of sleeping: the test
 * decides when "time" passes, so "not yet due" is exact.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/coroutine.h"
#include "qemu/iothread.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "block/aio.h"
#include "block/aio-wait.h"
#include "system/cpu-timers.h"

static AioContext *ctx;
static QemuThread main_thread;

/* Run the main context until it has nothing left to do. */
static void drain_ctx(void)
{
    while (aio_poll(ctx, false)) {
        continue;
    }
}

/* ---------------------------------------------------------------------- */
/* /aio/timer/schedule                                                      */
/* ---------------------------------------------------------------------- */

typedef struct {
    QEMUTimer timer;
    int fired;
    int limit;              /* re-arm after firing until fired == limit */
    int64_t period;         /* ns of virtual time between firings */
} PeriodicTimer;

static void periodic_cb(void *opaque)
{
    PeriodicTimer *t = opaque;

    t->fired++;
    if (t->fired < t->limit) {
        timer_mod(&t->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                  t->period);
    }
}

typedef struct {
    int64_t new_time;
} ClockStepper;

static void *clock_stepper(void *opaque)
{
    ClockStepper *s = opaque;

    /*
     * Move the clock, then wake the context that waits on a virtual
     * deadline.  (qemu_clock_notify() would also kick the main loop with a
     * BH, which a later aio_poll() would count as progress.)
     */
    cpus_set_virtual_clock(s->new_time);
    aio_notify(ctx);
    return NULL;
}

/*
 * A timer of the main context fires exactly when the virtual clock
 * reaches its expiry, once per expiry; a callback that re-arms it makes a
 * later blocking aio_poll() wait for the clock to move again (another
 * thread moves it), and that firing is progress.
 */
static void test_timer_schedule(void)
{
    /* Long enough that aio_poll(true) cannot time out before the step. */
    const int64_t period = 5 * NANOSECONDS_PER_SECOND;
    PeriodicTimer t = { .limit = 2, .period = period };
    ClockStepper step;
    QemuThread thread;
    int64_t start;

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    start = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    aio_timer_init(ctx, &t.timer, QEMU_CLOCK_VIRTUAL, SCALE_NS, periodic_cb,
                   &t);
    timer_mod(&t.timer, start + period);
    g_assert_cmpint(t.fired, ==, 0);

    /* Arming may have kicked the context: absorb that first. */
    drain_ctx();
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(t.fired, ==, 0);

    /* One nanosecond early: still nothing. */
    cpus_set_virtual_clock(start + period - 1);
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(t.fired, ==, 0);

    /* Due: one non-blocking poll fires it, once. */
    cpus_set_virtual_clock(start + period);
    g_assert_true(aio_poll(ctx, false));
    g_assert_cmpint(t.fired, ==, 1);
    drain_ctx();
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(t.fired, ==, 1);

    /* Re-armed for start + 2 * period: block until the clock gets there. */
    step.new_time = start + 2 * period;
    qemu_thread_create(&thread, "clock-step", clock_stepper, &step,
                       QEMU_THREAD_JOINABLE);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(t.fired, ==, 2);
    qemu_thread_join(&thread);

    /* Not re-armed any more: nothing is left to fire or wake us. */
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(t.fired, ==, 2);
    timer_del(&t.timer);
}

/* ---------------------------------------------------------------------- */
/* /aio/coroutine/...                                                       */
/* ---------------------------------------------------------------------- */

typedef struct {
    Coroutine *peer;
    int round;
    int rounds;
} PingPong;

/*
 * Hand control to the peer through aio_co_enter() (from inside a
 * coroutine of the same context that only queues it) and yield, rounds
 * times.
 */
static void coroutine_fn ping_pong(void *opaque)
{
    PingPong *me = opaque;

    for (me->round = 0; me->round < me->rounds; me->round++) {
        aio_co_enter(ctx, me->peer);
        qemu_coroutine_yield();
    }
}

/*
 * Two coroutines that wake each other 25 000 times: the queued wake-ups
 * must be run one after the other, not by nesting entries, or the stack
 * overflows.
 */
static void test_queue_chaining(void)
{
    PingPong a = { .rounds = 25000 };
    PingPong b = { .rounds = 25000 };
    Coroutine *co_a = qemu_coroutine_create(ping_pong, &a);
    Coroutine *co_b = qemu_coroutine_create(ping_pong, &b);

    a.peer = co_b;
    b.peer = co_a;
    qemu_coroutine_enter(co_a);

    /* a finished its last round; b is parked in its last yield. */
    g_assert_cmpint(a.round, ==, a.rounds);
    g_assert_cmpint(b.round, ==, b.rounds - 1);

    qemu_coroutine_enter(co_b);
    g_assert_cmpint(b.round, ==, b.rounds);
}

typedef struct {
    Coroutine *co;
    AioContext *worker_ctx;     /* the worker's current context */
    bool worker_bql;            /* bql_locked() in the worker */
    bool ran;
    bool ran_in_main;
} WorkerEnter;

static void coroutine_fn note_where_it_runs(void *opaque)
{
    WorkerEnter *w = opaque;

    w->ran = true;
    w->ran_in_main = qemu_thread_is_self(&main_thread);
}

static void *worker_enters(void *opaque)
{
    WorkerEnter *w = opaque;

    w->worker_ctx = qemu_get_current_aio_context();
    w->worker_bql = bql_locked();
    aio_co_enter(qemu_get_aio_context(), w->co);
    return NULL;
}

/*
 * A plain worker thread (no context, no BQL) that calls aio_co_enter() for
 * the main context must not run the coroutine itself: it is scheduled and
 * the main thread's next aio_poll() runs it.
 */
static void test_worker_thread_co_enter(void)
{
    WorkerEnter w = { 0 };
    QemuThread worker;

    w.co = qemu_coroutine_create(note_where_it_runs, &w);
    qemu_thread_create(&worker, "co-enter", worker_enters, &w,
                       QEMU_THREAD_JOINABLE);
    qemu_thread_join(&worker);

    g_assert_null(w.worker_ctx);
    g_assert_false(w.worker_bql);
    g_assert_false(w.ran);

    g_assert_true(aio_poll(ctx, true));
    g_assert_true(w.ran);
    g_assert_true(w.ran_in_main);
    g_assert_false(aio_poll(ctx, false));
}

/* ---------------------------------------------------------------------- */
/* /aio/wait/...                                                            */
/* ---------------------------------------------------------------------- */

/*
 * The store-release pairs with the load-acquire in the waiters' conditions:
 * a waiter that sees the flag may reuse its storage (the next round's
 * flag lives at the same stack address), which needs the BH's write to
 * happen before, not merely be visible.
 */
static void set_flag_and_kick(void *opaque)
{
    bool *flag = opaque;

    qatomic_store_release(flag, true);
    aio_wait_kick();
}

/*
 * Waiting from the main loop for a condition that an IOThread makes true:
 * the kick after the change must always end the wait (a lost kick hangs).
 */
static void test_wait_while_iothread(void)
{
    IOThread *io = iothread_new();
    AioContext *io_ctx = iothread_get_aio_context(io);
    int round;

    for (round = 0; round < 500; round++) {
        bool flag = false;

        aio_bh_schedule_oneshot(io_ctx, set_flag_and_kick, &flag);
        /* Evaluated in a loop while the IOThread may write: atomic. */
        AIO_WAIT_WHILE(io_ctx, !qatomic_load_acquire(&flag));
        g_assert_true(qatomic_read(&flag));
    }
    g_assert_cmpuint(qatomic_read(&global_aio_wait.num_waiters), ==, 0);
    iothread_join(io);
}

/*
 * In the context's home thread the wait polls that context; the result
 * says whether it had to wait at all.
 */
static void test_wait_while_home_context(void)
{
    bool flag = false;

    drain_ctx();
    g_assert_false(AIO_WAIT_WHILE(ctx, false));

    aio_bh_schedule_oneshot(ctx, set_flag_and_kick, &flag);
    g_assert_true(AIO_WAIT_WHILE(ctx, !flag));
    g_assert_true(flag);
    g_assert_true(AIO_WAIT_WHILE_UNLOCKED(NULL, false) == false);
}

/* With nobody waiting, aio_wait_kick() schedules nothing. */
static void test_wait_kick_without_waiters(void)
{
    drain_ctx();
    aio_wait_kick();
    g_assert_false(aio_poll(ctx, false));
}

typedef struct {
    AioContext *ran_in;
    bool in_main_thread;
    int runs;
} OneshotRecord;

static void record_oneshot(void *opaque)
{
    OneshotRecord *r = opaque;

    r->ran_in = qemu_get_current_aio_context();
    r->in_main_thread = qemu_thread_is_self(&main_thread);
    r->runs++;
}

/*
 * aio_wait_bh_oneshot() runs the callback in the target context's thread
 * and returns only after it ran, for several IOThreads in turn.
 */
static void test_wait_bh_oneshot(void)
{
    IOThread *io[3];
    OneshotRecord r;
    int i, round;

    for (i = 0; i < ARRAY_SIZE(io); i++) {
        io[i] = iothread_new();
    }
    for (round = 0; round < 300; round++) {
        IOThread *t = io[round % ARRAY_SIZE(io)];

        memset(&r, 0, sizeof(r));
        aio_wait_bh_oneshot(iothread_get_aio_context(t), record_oneshot, &r);
        g_assert_cmpint(r.runs, ==, 1);
        g_assert_true(r.ran_in == iothread_get_aio_context(t));
        g_assert_false(r.in_main_thread);
    }

    /* The main context as target: it runs right here. */
    memset(&r, 0, sizeof(r));
    aio_wait_bh_oneshot(ctx, record_oneshot, &r);
    g_assert_cmpint(r.runs, ==, 1);
    g_assert_true(r.ran_in == ctx);
    g_assert_true(r.in_main_thread);

    for (i = 0; i < ARRAY_SIZE(io); i++) {
        iothread_join(io[i]);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qemu_init_main_loop(&error_fatal);
    qemu_thread_get_self(&main_thread);
    ctx = qemu_get_aio_context();

    /* Let GLib settle whatever start-up work it has. */
    while (g_main_context_iteration(NULL, false)) {
        continue;
    }

    g_test_add_func("/aio/timer/schedule", test_timer_schedule);
    g_test_add_func("/aio/coroutine/queue-chaining", test_queue_chaining);
    g_test_add_func("/aio/coroutine/worker-thread-co-enter",
                    test_worker_thread_co_enter);
    g_test_add_func("/aio/wait/while-iothread", test_wait_while_iothread);
    g_test_add_func("/aio/wait/while-home-context",
                    test_wait_while_home_context);
    g_test_add_func("/aio/wait/kick-without-waiters",
                    test_wait_kick_without_waiters);
    g_test_add_func("/aio/wait/bh-oneshot", test_wait_bh_oneshot);
    return g_test_run();
}
