/*
 * qemuutil: the main loop, its fd handlers, GLib sources, timers, poll
 * notifiers and the BQL (the /main-loop/ behaviours).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One process, one main loop, set up in main() the way a program does it.
 * The main thread holds the BQL throughout (qemu_init_main_loop() took it)
 * except inside main_loop_wait()'s poll; helper threads that need it take
 * it and then wake the loop, so nothing here waits on time.  A lost wake-up
 * makes main_loop_wait(false) block forever and the test times out.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/iothread.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "block/aio.h"
#include "system/cpu-timers.h"

#include <glib-unix.h>

static QemuThread main_thread;
static AioContext *main_ctx;

/* True when running in the main thread with the BQL held. */
static bool in_main_with_bql(void)
{
    return bql_locked() && qemu_thread_is_self(&main_thread);
}

/* Run a few non-blocking iterations to flush whatever earlier cases left. */
static void flush_main_loop(void)
{
    int i;

    for (i = 0; i < 8; i++) {
        main_loop_wait(true);
    }
}

typedef struct {
    int rfd;
    int wfd;
} Pipe;

static void pipe_open(Pipe *p)
{
    int fds[2];

    g_assert_cmpint(pipe2(fds, O_CLOEXEC | O_NONBLOCK), ==, 0);
    p->rfd = fds[0];
    p->wfd = fds[1];
}

static void pipe_put(Pipe *p)
{
    g_assert_cmpint(write(p->wfd, "x", 1), ==, 1);
}

/* Consume one byte; returns whether there was one. */
static bool pipe_take(int rfd)
{
    char c;

    return read(rfd, &c, 1) == 1;
}

static void pipe_close(Pipe *p)
{
    close(p->rfd);
    close(p->wfd);
}

/* ---------------------------------------------------------------------- */
/* The BQL around the poll                                                  */
/* ---------------------------------------------------------------------- */

enum {
    LOOP_OUTSIDE_POLL,
    LOOP_IN_POLL,
};

typedef struct {
    Notifier notifier;
    QemuThread thread;
    int phase;              /* LOOP_*; written by the notifier, BQL held */
    int phase_seen;         /* the phase the helper saw under the BQL */
    bool helper_held;       /* bql_locked() in the helper after bql_lock() */
    bool done;              /* atomic */
} BqlProbe;

static void phase_notify(Notifier *n, void *data)
{
    BqlProbe *p = container_of(n, BqlProbe, notifier);
    MainLoopPoll *mlp = data;

    g_assert_true(in_main_with_bql());
    p->phase = mlp->state == MAIN_LOOP_POLL_FILL ? LOOP_IN_POLL
                                                 : LOOP_OUTSIDE_POLL;
}

static void *bql_taker(void *opaque)
{
    BqlProbe *p = opaque;

    g_assert_false(bql_locked());
    bql_lock();
    p->phase_seen = p->phase;
    p->helper_held = bql_locked();
    bql_unlock();
    g_assert_false(bql_locked());

    qatomic_set(&p->done, true);
    qemu_notify_event();
    return NULL;
}

/*
 * Hard case first.  The only window in which another thread can take the
 * BQL from the main loop is the poll, i.e. between the FILL and the OK
 * notifications; every other part of the iteration runs with it held.
 */
static void test_bql_released_only_in_poll(void)
{
    BqlProbe p;
    int round;

    for (round = 0; round < 50; round++) {
        memset(&p, 0, sizeof(p));
        p.notifier.notify = phase_notify;
        p.phase = LOOP_OUTSIDE_POLL;
        p.phase_seen = -1;
        main_loop_poll_add_notifier(&p.notifier);

        qemu_thread_create(&p.thread, "bql-taker", bql_taker, &p,
                           QEMU_THREAD_JOINABLE);
        while (!qatomic_read(&p.done)) {
            main_loop_wait(false);
        }
        qemu_thread_join(&p.thread);

        main_loop_poll_remove_notifier(&p.notifier);
        g_assert_cmpint(p.phase_seen, ==, LOOP_IN_POLL);
        g_assert_true(p.helper_held);
        g_assert_true(in_main_with_bql());
    }
}

/* ---------------------------------------------------------------------- */
/* Everything served by one iteration                                       */
/* ---------------------------------------------------------------------- */

typedef struct {
    Pipe ioh_pipe;          /* qemu_set_fd_handler() */
    Pipe ctx_pipe;          /* aio_set_fd_handler() on the main context */
    Pipe glib_pipe;         /* g_unix_fd_add() */
    EventNotifier en;       /* event_notifier_set_handler() */
    QEMUBH *bh;
    int ioh, ctx_fd, glib_fd, notifier, bh_runs, idle, timeout;
    bool all_in_main_with_bql;
} Everything;

static Everything *everything;

static void seen(int *counter)
{
    (*counter)++;
    if (!in_main_with_bql()) {
        everything->all_in_main_with_bql = false;
    }
}

static void ioh_read(void *opaque)
{
    Everything *e = opaque;

    g_assert_true(pipe_take(e->ioh_pipe.rfd));
    seen(&e->ioh);
}

static void ctx_fd_read(void *opaque)
{
    Everything *e = opaque;

    g_assert_true(pipe_take(e->ctx_pipe.rfd));
    seen(&e->ctx_fd);
}

static void en_handler(EventNotifier *n)
{
    g_assert_true(event_notifier_test_and_clear(n));
    seen(&everything->notifier);
}

static void bh_cb(void *opaque)
{
    seen(&everything->bh_runs);
}

static gboolean idle_cb(gpointer data)
{
    seen(&everything->idle);
    return G_SOURCE_REMOVE;
}

static gboolean timeout_cb(gpointer data)
{
    seen(&everything->timeout);
    return G_SOURCE_REMOVE;
}

static gboolean glib_fd_cb(gint fd, GIOCondition cond, gpointer data)
{
    g_assert_true(cond & G_IO_IN);
    g_assert_true(pipe_take(fd));
    seen(&everything->glib_fd);
    return G_SOURCE_REMOVE;
}

/*
 * fd handlers of both AioContexts, an EventNotifier, a BH and three kinds
 * of plain GLib sources (at default priority, so that GLib dispatches them
 * together with the AioContexts' sources) are all ready before the call:
 * a single non-blocking main_loop_wait() must serve every one of them,
 * each in the main thread with the BQL held.
 */
static void test_dispatch_everything_in_one_iteration(void)
{
    Everything e;

    memset(&e, 0, sizeof(e));
    e.all_in_main_with_bql = true;
    everything = &e;
    flush_main_loop();

    pipe_open(&e.ioh_pipe);
    pipe_open(&e.ctx_pipe);
    pipe_open(&e.glib_pipe);
    g_assert_cmpint(event_notifier_init(&e.en, false), ==, 0);

    qemu_set_fd_handler(e.ioh_pipe.rfd, ioh_read, NULL, &e);
    aio_set_fd_handler(main_ctx, e.ctx_pipe.rfd, ctx_fd_read, NULL, NULL,
                       NULL, &e);
    event_notifier_set_handler(&e.en, en_handler);
    e.bh = qemu_bh_new(bh_cb, NULL);
    g_idle_add_full(G_PRIORITY_DEFAULT, idle_cb, NULL, NULL);
    g_timeout_add(0, timeout_cb, NULL);
    g_unix_fd_add(e.glib_pipe.rfd, G_IO_IN, glib_fd_cb, NULL);

    pipe_put(&e.ioh_pipe);
    pipe_put(&e.ctx_pipe);
    pipe_put(&e.glib_pipe);
    event_notifier_set(&e.en);
    qemu_bh_schedule(e.bh);

    main_loop_wait(true);

    g_assert_cmpint(e.ioh, ==, 1);
    g_assert_cmpint(e.ctx_fd, ==, 1);
    g_assert_cmpint(e.glib_fd, ==, 1);
    g_assert_cmpint(e.notifier, ==, 1);
    g_assert_cmpint(e.bh_runs, ==, 1);
    g_assert_cmpint(e.idle, ==, 1);
    g_assert_cmpint(e.timeout, ==, 1);
    g_assert_true(e.all_in_main_with_bql);

    /* Served means consumed: nothing runs a second time. */
    main_loop_wait(true);
    g_assert_cmpint(e.ioh + e.ctx_fd + e.glib_fd + e.notifier, ==, 4);
    g_assert_cmpint(e.bh_runs + e.idle + e.timeout, ==, 3);

    qemu_set_fd_handler(e.ioh_pipe.rfd, NULL, NULL, NULL);
    aio_set_fd_handler(main_ctx, e.ctx_pipe.rfd, NULL, NULL, NULL, NULL,
                       NULL);
    event_notifier_set_handler(&e.en, NULL);
    qemu_bh_delete(e.bh);
    flush_main_loop();
    event_notifier_cleanup(&e.en);
    pipe_close(&e.ioh_pipe);
    pipe_close(&e.ctx_pipe);
    pipe_close(&e.glib_pipe);
    everything = NULL;
}

static int idle_runs;

static gboolean low_priority_idle(gpointer data)
{
    g_assert_true(in_main_with_bql());
    idle_runs++;
    return G_SOURCE_REMOVE;
}

/* A GLib idle source at its usual (low) priority runs once all is quiet. */
static void test_glib_idle_default_priority(void)
{
    idle_runs = 0;
    g_idle_add(low_priority_idle, NULL);
    while (!idle_runs) {
        main_loop_wait(false);
    }
    g_assert_cmpint(idle_runs, ==, 1);
}

/* ---------------------------------------------------------------------- */
/* Waking a blocked loop from other threads                                 */
/* ---------------------------------------------------------------------- */

#define NOTIFY_ROUNDS 2000

typedef struct {
    Notifier notifier;
    QemuEvent filled;
    int fills;              /* atomic; FILL notifications so far */
} NotifyRace;

static void count_fills(Notifier *n, void *data)
{
    NotifyRace *r = container_of(n, NotifyRace, notifier);
    MainLoopPoll *mlp = data;

    if (mlp->state == MAIN_LOOP_POLL_FILL) {
        qatomic_inc(&r->fills);
        qemu_event_set(&r->filled);
    }
}

static void *notifier_thread(void *opaque)
{
    NotifyRace *r = opaque;
    int i;

    for (i = 0; i < NOTIFY_ROUNDS; i++) {
        /*
         * Wait until iteration i has started filling (reset before the
         * check, so a set between the two is not lost), then kick it.
         * The kick lands either before the poll (the notify BH makes the
         * timeout 0) or during it (the eventfd wakes it): never lost.
         */
        for (;;) {
            qemu_event_reset(&r->filled);
            if (qatomic_read(&r->fills) > i) {
                break;
            }
            qemu_event_wait(&r->filled);
        }
        qemu_notify_event();
    }
    return NULL;
}

/*
 * Each blocking main_loop_wait() has nothing to wake it but the helper's
 * qemu_notify_event(), sent at a random point after the iteration began:
 * a notification lost between fill and poll hangs the loop.
 */
static void test_notify_from_thread(void)
{
    NotifyRace r;
    QemuThread thread;
    int i;

    flush_main_loop();
    memset(&r, 0, sizeof(r));
    r.notifier.notify = count_fills;
    qemu_event_init(&r.filled, false);
    main_loop_poll_add_notifier(&r.notifier);

    qemu_thread_create(&thread, "notifier", notifier_thread, &r,
                       QEMU_THREAD_JOINABLE);
    for (i = 0; i < NOTIFY_ROUNDS; i++) {
        main_loop_wait(false);
    }
    qemu_thread_join(&thread);

    main_loop_poll_remove_notifier(&r.notifier);
    g_assert_cmpint(qatomic_read(&r.fills), ==, NOTIFY_ROUNDS);
    qemu_event_destroy(&r.filled);
}

typedef struct {
    Pipe pipe;
    QEMUBH *bh;
    int fd_runs;
    int bh_runs;
} CrossThread;

static void cross_fd_read(void *opaque)
{
    CrossThread *c = opaque;

    g_assert_true(in_main_with_bql());
    while (pipe_take(c->pipe.rfd)) {
        c->fd_runs++;
    }
}

static void cross_bh(void *opaque)
{
    CrossThread *c = opaque;

    g_assert_true(in_main_with_bql());
    c->bh_runs++;
}

static void *cross_writer(void *opaque)
{
    CrossThread *c = opaque;

    pipe_put(&c->pipe);
    return NULL;
}

static void *cross_scheduler(void *opaque)
{
    CrossThread *c = opaque;

    qemu_bh_schedule(c->bh);
    return NULL;
}

/* An fd written, or a main-context BH scheduled, by another thread. */
static void test_wake_by_fd_and_bh_from_thread(void)
{
    CrossThread c;
    QemuThread thread;

    memset(&c, 0, sizeof(c));
    pipe_open(&c.pipe);
    qemu_set_fd_handler(c.pipe.rfd, cross_fd_read, NULL, &c);
    c.bh = qemu_bh_new(cross_bh, &c);
    flush_main_loop();

    qemu_thread_create(&thread, "writer", cross_writer, &c,
                       QEMU_THREAD_JOINABLE);
    while (!c.fd_runs) {
        main_loop_wait(false);
    }
    qemu_thread_join(&thread);

    qemu_thread_create(&thread, "scheduler", cross_scheduler, &c,
                       QEMU_THREAD_JOINABLE);
    while (!c.bh_runs) {
        main_loop_wait(false);
    }
    qemu_thread_join(&thread);

    g_assert_cmpint(c.fd_runs, ==, 1);
    g_assert_cmpint(c.bh_runs, ==, 1);
    qemu_set_fd_handler(c.pipe.rfd, NULL, NULL, NULL);
    qemu_bh_delete(c.bh);
    pipe_close(&c.pipe);
}

/* ---------------------------------------------------------------------- */
/* Timers                                                                   */
/* ---------------------------------------------------------------------- */

typedef struct {
    QEMUTimer timer;
    QEMUClockType type;
    int fired;              /* atomic (the IOThread's timer) */
    int64_t clock_at_fire;
    bool main_with_bql;
    QemuEvent *fired_ev;    /* set after firing, if not NULL */
} TimerProbe;

static void timer_probe_cb(void *opaque)
{
    TimerProbe *t = opaque;

    t->clock_at_fire = qemu_clock_get_ns(t->type);
    t->main_with_bql = in_main_with_bql();
    qatomic_inc(&t->fired);
    if (t->fired_ev) {
        qemu_event_set(t->fired_ev);
    }
}

static void timer_probe_init(TimerProbe *t, AioContext *ctx,
                             QEMUClockType type)
{
    memset(t, 0, sizeof(*t));
    t->type = type;
    if (ctx) {
        aio_timer_init(ctx, &t->timer, type, SCALE_NS, timer_probe_cb, t);
    } else {
        timer_init_ns(&t->timer, type, timer_probe_cb, t);
    }
}

/*
 * QEMU_CLOCK_REALTIME timers of the main loop's list and of the main
 * AioContext fire from a blocking main_loop_wait(), not before they are
 * due, in the main thread with the BQL.
 */
static void test_timer_realtime(void)
{
    TimerProbe loop_t, ctx_t;
    int64_t loop_due, ctx_due;

    timer_probe_init(&loop_t, NULL, QEMU_CLOCK_REALTIME);
    timer_probe_init(&ctx_t, main_ctx, QEMU_CLOCK_REALTIME);
    loop_due = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + 2 * SCALE_MS;
    ctx_due = loop_due + SCALE_MS;
    timer_mod_ns(&loop_t.timer, loop_due);
    timer_mod_ns(&ctx_t.timer, ctx_due);

    while (!loop_t.fired || !ctx_t.fired) {
        main_loop_wait(false);
    }
    g_assert_cmpint(loop_t.fired, ==, 1);
    g_assert_cmpint(ctx_t.fired, ==, 1);
    g_assert_cmpint(loop_t.clock_at_fire, >=, loop_due);
    g_assert_cmpint(ctx_t.clock_at_fire, >=, ctx_due);
    g_assert_true(loop_t.main_with_bql);
    g_assert_true(ctx_t.main_with_bql);
}

/*
 * QEMU_CLOCK_VIRTUAL, driven by the test.  qemu_clock_advance_virtual_time()
 * steps through the main loop's and the main AioContext's timers (each
 * sees its own expiry as the time), while an IOThread's timer is left to
 * its own loop, which the advance wakes.  Then: timers made due by
 * setting the clock fire from one non-blocking main_loop_wait().
 */
static void test_timer_virtual(void)
{
    TimerProbe loop_t, ctx_t, io_t;
    QemuEvent io_fired;
    IOThread *io = iothread_new();
    int64_t base;

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    base = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    qemu_event_init(&io_fired, false);

    timer_probe_init(&loop_t, NULL, QEMU_CLOCK_VIRTUAL);
    timer_probe_init(&ctx_t, main_ctx, QEMU_CLOCK_VIRTUAL);
    timer_probe_init(&io_t, iothread_get_aio_context(io), QEMU_CLOCK_VIRTUAL);
    io_t.fired_ev = &io_fired;
    timer_mod_ns(&loop_t.timer, base + 100);
    timer_mod_ns(&ctx_t.timer, base + 50);
    timer_mod_ns(&io_t.timer, base + 70);

    g_assert_cmpint(qemu_clock_advance_virtual_time(base + 200), ==,
                    base + 200);
    g_assert_cmpint(loop_t.fired, ==, 1);
    g_assert_cmpint(ctx_t.fired, ==, 1);
    g_assert_cmpint(loop_t.clock_at_fire, ==, base + 100);
    g_assert_cmpint(ctx_t.clock_at_fire, ==, base + 50);

    qemu_event_wait(&io_fired);
    g_assert_cmpint(qatomic_read(&io_t.fired), ==, 1);
    g_assert_cmpint(io_t.clock_at_fire, >=, base + 70);
    g_assert_false(io_t.main_with_bql);

    /* Due without being run: the next iteration runs both. */
    timer_mod_ns(&loop_t.timer, base + 210);
    timer_mod_ns(&ctx_t.timer, base + 220);
    cpus_set_virtual_clock(base + 250);
    main_loop_wait(true);
    g_assert_cmpint(loop_t.fired, ==, 2);
    g_assert_cmpint(ctx_t.fired, ==, 2);
    g_assert_true(loop_t.main_with_bql);
    g_assert_true(ctx_t.main_with_bql);

    iothread_join(io);
    qemu_event_destroy(&io_fired);
}

/* ---------------------------------------------------------------------- */
/* Poll notifiers                                                           */
/* ---------------------------------------------------------------------- */

typedef struct {
    Notifier notifier;
    int states[4];
    int nstates;
    uint32_t fill_timeout;  /* the timeout a FILL notification saw */
    bool force_zero;        /* FILL lowers the timeout to 0 */
    int rfd;                /* fd added by FILL, or -1 */
    guint index;            /* where FILL put it */
    gushort revents;        /* what OK found there */
} PollProbe;

static void poll_probe_notify(Notifier *n, void *data)
{
    PollProbe *p = container_of(n, PollProbe, notifier);
    MainLoopPoll *mlp = data;

    g_assert_true(in_main_with_bql());
    if (p->nstates < ARRAY_SIZE(p->states)) {
        p->states[p->nstates] = mlp->state;
    }
    p->nstates++;

    if (mlp->state == MAIN_LOOP_POLL_FILL) {
        p->fill_timeout = mlp->timeout;
        if (p->force_zero) {
            mlp->timeout = 0;
        }
        if (p->rfd >= 0) {
            GPollFD pfd = { .fd = p->rfd, .events = G_IO_IN };

            p->index = mlp->pollfds->len;
            g_array_append_val(mlp->pollfds, pfd);
        }
    } else if (mlp->state == MAIN_LOOP_POLL_OK && p->rfd >= 0) {
        p->revents = g_array_index(mlp->pollfds, GPollFD, p->index).revents;
    }
}

static void poll_probe_start(PollProbe *p, int rfd, bool force_zero)
{
    memset(p, 0, sizeof(*p));
    p->notifier.notify = poll_probe_notify;
    p->rfd = rfd;
    p->force_zero = force_zero;
    main_loop_poll_add_notifier(&p->notifier);
}

/* FILL then OK, once each per iteration, with the caller's timeout. */
static void test_poll_notifier_fill_then_ok(void)
{
    PollProbe p;

    flush_main_loop();
    poll_probe_start(&p, -1, false);
    main_loop_wait(true);
    g_assert_cmpint(p.nstates, ==, 2);
    g_assert_cmpint(p.states[0], ==, MAIN_LOOP_POLL_FILL);
    g_assert_cmpint(p.states[1], ==, MAIN_LOOP_POLL_OK);
    g_assert_cmpuint(p.fill_timeout, ==, 0);

    /* A FILL notifier that lowers the timeout makes a blocking call return. */
    p.nstates = 0;
    p.force_zero = true;
    main_loop_wait(false);
    g_assert_cmpint(p.nstates, ==, 2);
    g_assert_cmpuint(p.fill_timeout, ==, UINT32_MAX);

    main_loop_poll_remove_notifier(&p.notifier);
    main_loop_wait(true);
    g_assert_cmpint(p.nstates, ==, 2);
}

/*
 * An fd added by a FILL notifier is part of the one poll: being readable
 * is enough to end a blocking iteration, and OK sees its revents.
 */
static void test_poll_notifier_fd_joins_the_poll(void)
{
    PollProbe p;
    Pipe pipe_;

    pipe_open(&pipe_);
    flush_main_loop();
    poll_probe_start(&p, pipe_.rfd, false);

    main_loop_wait(true);
    g_assert_cmpint(p.revents & G_IO_IN, ==, 0);

    pipe_put(&pipe_);
    main_loop_wait(false);
    g_assert_cmpint(p.revents & G_IO_IN, !=, 0);

    main_loop_poll_remove_notifier(&p.notifier);
    pipe_close(&pipe_);
}

/* ---------------------------------------------------------------------- */
/* Current context, home thread, iohandler context                           */
/* ---------------------------------------------------------------------- */

typedef struct {
    AioContext *plain_ctx;      /* without the BQL */
    bool plain_locked;
    bool plain_in_main;
    AioContext *bql_ctx;        /* holding the BQL */
    bool bql_in_main;
    bool guard_held;            /* inside BQL_LOCK_GUARD() */
    bool guard_released;        /* after its scope */
    bool done;                  /* atomic */
} ThreadView;

static void *thread_view(void *opaque)
{
    ThreadView *v = opaque;

    v->plain_ctx = qemu_get_current_aio_context();
    v->plain_locked = bql_locked();
    v->plain_in_main = qemu_in_main_thread();

    bql_lock();
    v->bql_ctx = qemu_get_current_aio_context();
    v->bql_in_main = qemu_in_main_thread();
    bql_unlock();

    {
        BQL_LOCK_GUARD();
        v->guard_held = bql_locked();
    }
    v->guard_released = !bql_locked();

    qatomic_set(&v->done, true);
    qemu_notify_event();
    return NULL;
}

/*
 * The main thread's current context is the main one; a plain thread has
 * none (bql_locked() is false there) until it takes the BQL, which makes
 * it act for the main loop.
 */
static void test_current_context(void)
{
    ThreadView v;
    QemuThread thread;

    g_assert_true(qemu_get_current_aio_context() == main_ctx);
    g_assert_true(qemu_in_main_thread());
    g_assert_true(bql_locked());

    /* Already held: the guard neither locks nor unlocks. */
    {
        BQL_LOCK_GUARD();
        g_assert_true(bql_locked());
    }
    g_assert_true(bql_locked());

    memset(&v, 0, sizeof(v));
    qemu_thread_create(&thread, "view", thread_view, &v,
                       QEMU_THREAD_JOINABLE);
    while (!qatomic_read(&v.done)) {
        main_loop_wait(false);
    }
    qemu_thread_join(&thread);

    g_assert_null(v.plain_ctx);
    g_assert_false(v.plain_locked);
    g_assert_false(v.plain_in_main);
    g_assert_true(v.bql_ctx == main_ctx);
    g_assert_true(v.bql_in_main);
    g_assert_true(v.guard_held);
    g_assert_true(v.guard_released);
}

static int ioh_runs;

static void ioh_count(void *opaque)
{
    Pipe *p = opaque;

    g_assert_true(pipe_take(p->rfd));
    ioh_runs++;
}

static int en_runs;

static void en_count(EventNotifier *n)
{
    g_assert_true(event_notifier_test_and_clear(n));
    en_runs++;
}

/*
 * qemu_set_fd_handler() and event_notifier_set_handler() handlers live in
 * the iohandler context: aio_poll(qemu_get_aio_context()) never runs them,
 * the main loop (or aio_poll() of the iohandler context itself) does.
 */
static void test_iohandler_not_polled_by_main_context(void)
{
    AioContext *ioh_ctx = iohandler_get_aio_context();
    GSource *src = iohandler_get_g_source();
    EventNotifier en;
    Pipe p;

    g_assert_true(ioh_ctx != main_ctx);
    g_assert_true(iohandler_get_aio_context() == ioh_ctx);
    g_assert_true(g_source_get_context(src) == g_main_context_default());
    g_source_unref(src);

    pipe_open(&p);
    g_assert_cmpint(event_notifier_init(&en, false), ==, 0);
    ioh_runs = 0;
    en_runs = 0;
    qemu_set_fd_handler(p.rfd, ioh_count, NULL, &p);
    event_notifier_set_handler(&en, en_count);
    flush_main_loop();

    pipe_put(&p);
    event_notifier_set(&en);
    while (aio_poll(main_ctx, false)) {
        continue;
    }
    g_assert_cmpint(ioh_runs, ==, 0);
    g_assert_cmpint(en_runs, ==, 0);

    main_loop_wait(true);
    g_assert_cmpint(ioh_runs, ==, 1);
    g_assert_cmpint(en_runs, ==, 1);

    /* The main thread is the iohandler context's home too. */
    pipe_put(&p);
    g_assert_true(aio_poll(ioh_ctx, false));
    g_assert_cmpint(ioh_runs, ==, 2);

    qemu_set_fd_handler(p.rfd, NULL, NULL, NULL);
    event_notifier_set_handler(&en, NULL);
    flush_main_loop();
    event_notifier_cleanup(&en);
    pipe_close(&p);
}

/* ---------------------------------------------------------------------- */
/* Signals                                                                  */
/* ---------------------------------------------------------------------- */

static volatile sig_atomic_t alrm_hits;
static bool alrm_in_loop;
static volatile sig_atomic_t io_hits;
static int io_signo;
static pid_t io_pid;
static bool io_in_loop;

static void on_sigalrm(int signo)
{
    alrm_in_loop = in_main_with_bql();
    alrm_hits++;
}

static void on_sigio(int signo, siginfo_t *si, void *uc)
{
    io_signo = si->si_signo;
    io_pid = si->si_pid;
    io_in_loop = in_main_with_bql();
    io_hits++;
}

/*
 * SIGALRM (plain handler) and SIGIO (SA_SIGINFO handler) sent to the
 * process are held back until the main loop reads them from its signalfd,
 * and their handlers then run inside main_loop_wait() with the BQL.
 */
static void test_signals_routed_through_loop(void)
{
    struct sigaction sa, old_alrm, old_io;
    sigset_t mask;

    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    g_assert_true(sigismember(&mask, SIGALRM));
    g_assert_true(sigismember(&mask, SIGIO));
    g_assert_true(sigismember(&mask, SIGBUS));
    g_assert_true(sigismember(&mask, SIG_IPI));

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigalrm;
    g_assert_cmpint(sigaction(SIGALRM, &sa, &old_alrm), ==, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigio;
    sa.sa_flags = SA_SIGINFO;
    g_assert_cmpint(sigaction(SIGIO, &sa, &old_io), ==, 0);

    g_assert_cmpint(kill(getpid(), SIGALRM), ==, 0);
    g_assert_cmpint(kill(getpid(), SIGIO), ==, 0);
    g_assert_cmpint(alrm_hits + io_hits, ==, 0);

    while (!alrm_hits || !io_hits) {
        main_loop_wait(false);
    }
    g_assert_cmpint(alrm_hits, ==, 1);
    g_assert_cmpint(io_hits, ==, 1);
    g_assert_true(alrm_in_loop);
    g_assert_true(io_in_loop);
    g_assert_cmpint(io_signo, ==, SIGIO);
    g_assert_cmpint(io_pid, ==, getpid());

    sigaction(SIGALRM, &old_alrm, NULL);
    sigaction(SIGIO, &old_io, NULL);
}

/* ---------------------------------------------------------------------- */
/* Running until a condition                                                */
/* ---------------------------------------------------------------------- */

typedef struct {
    QEMUBH *bh;
    int runs;
    int target;
    bool flag;              /* atomic; set by a helper thread */
} RunUntil;

static void chain_bh(void *opaque)
{
    RunUntil *r = opaque;

    if (++r->runs < r->target) {
        qemu_bh_schedule(r->bh);
    }
}

static bool chain_done(void *opaque)
{
    RunUntil *r = opaque;

    g_assert_true(in_main_with_bql());
    return r->runs >= r->target;
}

static bool flag_done(void *opaque)
{
    RunUntil *r = opaque;

    return qatomic_read(&r->flag);
}

static void *flag_setter(void *opaque)
{
    RunUntil *r = opaque;

    qatomic_set(&r->flag, true);
    qemu_notify_event();
    return NULL;
}

static void test_run_until(void)
{
    RunUntil r;
    PollProbe p;
    QemuThread thread;

    memset(&r, 0, sizeof(r));
    r.target = 100;
    r.bh = qemu_bh_new(chain_bh, &r);
    qemu_bh_schedule(r.bh);
    qemu_main_loop_run_until(chain_done, &r);
    g_assert_cmpint(r.runs, ==, 100);

    /* Already true: not a single iteration. */
    poll_probe_start(&p, -1, false);
    qemu_main_loop_run_until(chain_done, &r);
    g_assert_cmpint(p.nstates, ==, 0);
    main_loop_poll_remove_notifier(&p.notifier);

    /* Made true by another thread, which wakes the loop. */
    qemu_thread_create(&thread, "flag", flag_setter, &r,
                       QEMU_THREAD_JOINABLE);
    qemu_main_loop_run_until(flag_done, &r);
    qemu_thread_join(&thread);

    qemu_bh_delete(r.bh);
}

/* ---------------------------------------------------------------------- */
/* Misuse                                                                   */
/* ---------------------------------------------------------------------- */

static void test_misuse_lock_twice(void)
{
    if (g_test_subprocess()) {
        bql_lock();         /* main() already holds it */
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*already holds the BQL*");
}

static void test_misuse_unlock_not_held(void)
{
    if (g_test_subprocess()) {
        bql_unlock();
        bql_unlock();
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*does not hold the BQL*");
}

static void test_misuse_unlock_blocked(void)
{
    if (g_test_subprocess()) {
        bql_block_unlock(true);
        bql_block_unlock(true);
        bql_block_unlock(false);
        bql_unlock();
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*bql_block_unlock(true) section*");
}

static void test_block_unlock_balanced(void)
{
    bql_block_unlock(true);
    bql_block_unlock(false);
    bql_unlock();
    g_assert_false(bql_locked());
    bql_lock();
    g_assert_true(bql_locked());
}

static void test_misuse_init_twice(void)
{
    if (g_test_subprocess()) {
        qemu_init_main_loop(&error_abort);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*qemu_init_main_loop() called twice*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qemu_init_main_loop(&error_fatal);
    qemu_thread_get_self(&main_thread);
    main_ctx = qemu_get_aio_context();

    g_test_add_func("/main-loop/bql/released-only-in-poll",
                    test_bql_released_only_in_poll);
    g_test_add_func("/main-loop/notify/from-thread-never-lost",
                    test_notify_from_thread);
    g_test_add_func("/main-loop/dispatch/everything-in-one-iteration",
                    test_dispatch_everything_in_one_iteration);
    g_test_add_func("/main-loop/dispatch/glib-idle-default-priority",
                    test_glib_idle_default_priority);
    g_test_add_func("/main-loop/wake/fd-and-bh-from-thread",
                    test_wake_by_fd_and_bh_from_thread);
    g_test_add_func("/main-loop/timer/realtime", test_timer_realtime);
    g_test_add_func("/main-loop/timer/virtual", test_timer_virtual);
    g_test_add_func("/main-loop/poll-notifier/fill-then-ok",
                    test_poll_notifier_fill_then_ok);
    g_test_add_func("/main-loop/poll-notifier/fd-joins-the-poll",
                    test_poll_notifier_fd_joins_the_poll);
    g_test_add_func("/main-loop/context/current", test_current_context);
    g_test_add_func("/main-loop/iohandler/not-polled-by-main-context",
                    test_iohandler_not_polled_by_main_context);
    g_test_add_func("/main-loop/signal/routed-through-loop",
                    test_signals_routed_through_loop);
    g_test_add_func("/main-loop/run-until", test_run_until);
    g_test_add_func("/main-loop/bql/block-unlock-balanced",
                    test_block_unlock_balanced);
    g_test_add_func("/main-loop/bql/misuse/lock-twice",
                    test_misuse_lock_twice);
    g_test_add_func("/main-loop/bql/misuse/unlock-not-held",
                    test_misuse_unlock_not_held);
    g_test_add_func("/main-loop/bql/misuse/unlock-while-blocked",
                    test_misuse_unlock_blocked);
    g_test_add_func("/main-loop/misuse/init-twice", test_misuse_init_twice);
    return g_test_run();
}
