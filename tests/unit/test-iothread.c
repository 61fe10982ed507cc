/*
 * qemuutil: the IOThread helper (/iothread/...).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * No main loop here, as in QEMU's test-aio-multithread: each IOThread
 * runs its own AioContext and the main thread only hands it work.
 */
#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/iothread.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "block/aio.h"

static QemuThread main_thread;

typedef struct {
    AioContext *expected;
    bool right_ctx;         /* current context == expected, every run */
    bool off_main;          /* never in the main thread */
    int runs;               /* atomic */
    int last;               /* the run that sets @done */
    QemuEvent done;
} BhProbe;

static void bh_probe_init(BhProbe *p, AioContext *expected, int last)
{
    memset(p, 0, sizeof(*p));
    p->expected = expected;
    p->right_ctx = true;
    p->off_main = true;
    p->last = last;
    qemu_event_init(&p->done, false);
}

static void bh_probe_cb(void *opaque)
{
    BhProbe *p = opaque;

    if (qemu_get_current_aio_context() != p->expected) {
        p->right_ctx = false;
    }
    if (qemu_thread_is_self(&main_thread)) {
        p->off_main = false;
    }
    if (qatomic_fetch_inc(&p->runs) + 1 == p->last) {
        qemu_event_set(&p->done);
    }
}

/* A BH scheduled on the IOThread's context runs there, in its thread. */
static void test_start_run_stop(void)
{
    IOThread *io = iothread_new();
    AioContext *io_ctx = iothread_get_aio_context(io);
    BhProbe p;

    g_assert_nonnull(io_ctx);
    g_assert_true(iothread_get_aio_context(io) == io_ctx);
    bh_probe_init(&p, io_ctx, 1);

    aio_bh_schedule_oneshot(io_ctx, bh_probe_cb, &p);
    qemu_event_wait(&p.done);
    g_assert_cmpint(qatomic_read(&p.runs), ==, 1);
    g_assert_true(p.right_ctx);
    g_assert_true(p.off_main);

    iothread_join(io);
    qemu_event_destroy(&p.done);
}

/* Work queued before iothread_join() still runs before the thread ends. */
static void test_join_runs_queued_work(void)
{
    IOThread *io = iothread_new();
    AioContext *io_ctx = iothread_get_aio_context(io);
    BhProbe p;
    int i;

    bh_probe_init(&p, io_ctx, 1000);
    for (i = 0; i < 1000; i++) {
        aio_bh_schedule_oneshot(io_ctx, bh_probe_cb, &p);
    }
    iothread_join(io);
    g_assert_cmpint(qatomic_read(&p.runs), ==, 1000);
    g_assert_true(p.right_ctx);
    qemu_event_destroy(&p.done);
}

typedef struct {
    QEMUTimer timer;
    QemuEvent fired;
    bool in_iothread;
} IoTimer;

static void io_timer_cb(void *opaque)
{
    IoTimer *t = opaque;

    t->in_iothread = !qemu_thread_is_self(&main_thread);
    qemu_event_set(&t->fired);
}

/* A timer of the IOThread's context wakes its blocked aio_poll(). */
static void test_timer_in_iothread(void)
{
    IOThread *io = iothread_new();
    IoTimer t;

    qemu_event_init(&t.fired, false);
    aio_timer_init(iothread_get_aio_context(io), &t.timer,
                   QEMU_CLOCK_REALTIME, SCALE_NS, io_timer_cb, &t);
    timer_mod(&t.timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
              SCALE_MS);
    qemu_event_wait(&t.fired);
    g_assert_true(t.in_iothread);

    iothread_join(io);
    qemu_event_destroy(&t.fired);
}

#define N_IOTHREADS 8
#define N_PRODUCERS 4
#define BHS_PER_PRODUCER_AND_THREAD 250

typedef struct {
    IOThread **io;
    BhProbe *probes;
} Producers;

static void *producer(void *opaque)
{
    Producers *pr = opaque;
    int i, t;

    for (i = 0; i < BHS_PER_PRODUCER_AND_THREAD; i++) {
        for (t = 0; t < N_IOTHREADS; t++) {
            aio_bh_schedule_oneshot(iothread_get_aio_context(pr->io[t]),
                                    bh_probe_cb, &pr->probes[t]);
        }
    }
    return NULL;
}

/*
 * Several producer threads spray oneshot BHs over several IOThreads at
 * once: every BH runs exactly once, in the thread of the context it was
 * scheduled on.  A lost BH leaves its IOThread's event unset (the wait
 * hangs); a BH run twice or in the wrong thread fails the counts.
 */
static void test_many_iothreads(void)
{
    IOThread *io[N_IOTHREADS];
    BhProbe probes[N_IOTHREADS];
    QemuThread producers[N_PRODUCERS];
    Producers pr = { .io = io, .probes = probes };
    const int per_thread = N_PRODUCERS * BHS_PER_PRODUCER_AND_THREAD;
    int i;

    for (i = 0; i < N_IOTHREADS; i++) {
        io[i] = iothread_new();
        bh_probe_init(&probes[i], iothread_get_aio_context(io[i]),
                      per_thread);
    }
    for (i = 0; i < N_PRODUCERS; i++) {
        qemu_thread_create(&producers[i], "producer", producer, &pr,
                           QEMU_THREAD_JOINABLE);
    }
    for (i = 0; i < N_PRODUCERS; i++) {
        qemu_thread_join(&producers[i]);
    }
    for (i = 0; i < N_IOTHREADS; i++) {
        qemu_event_wait(&probes[i].done);
    }
    for (i = 0; i < N_IOTHREADS; i++) {
        iothread_join(io[i]);
        g_assert_cmpint(qatomic_read(&probes[i].runs), ==, per_thread);
        g_assert_true(probes[i].right_ctx);
        g_assert_true(probes[i].off_main);
        qemu_event_destroy(&probes[i].done);
    }
}

/* Start and stop many in a row: nothing leaks or lingers (ASan checks). */
static void test_start_stop_repeatedly(void)
{
    int i;

    for (i = 0; i < 50; i++) {
        iothread_join(iothread_new());
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    init_clocks(NULL);
    qemu_thread_get_self(&main_thread);

    g_test_add_func("/iothread/many-iothreads-many-producers",
                    test_many_iothreads);
    g_test_add_func("/iothread/start-run-stop", test_start_run_stop);
    g_test_add_func("/iothread/join-runs-queued-work",
                    test_join_runs_queued_work);
    g_test_add_func("/iothread/timer", test_timer_in_iothread);
    g_test_add_func("/iothread/start-stop-repeatedly",
                    test_start_stop_repeatedly);
    return g_test_run();
}
