/*
 * qemuutil benchmarks: GLib, libuv and libevent doing the work of the
 * AioContext cases, so that every ratio compares figures of one run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each peer uses its own closest equivalent of QEMU's mechanism, named in
 * the row:
 *   (a) bh     GLib: an idle GSource returning G_SOURCE_CONTINUE, one
 *              g_main_context_iteration(ctx, FALSE) per dispatch; libuv: a
 *              uv_idle_t under uv_run(UV_RUN_NOWAIT); libevent: an event
 *              that calls event_active() on itself, which libevent runs
 *              again within the same pass (see ev_again()).
 *   (b) wake   GLib: a oneshot idle GSource attached to the other thread's
 *              GMainContext (what g_idle_add() does for the default one);
 *              libuv: uv_async_send(); libevent: event_active() from the
 *              other thread, with evthread locking and the base's own
 *              notification fd.
 *   (c) fds    GLib: g_unix_fd_source_new() sources (poll(2)); libuv:
 *              uv_poll_t (epoll); libevent: EV_READ|EV_PERSIST events
 *              (epoll).  One blocking iteration per op.
 *   (d) timers GLib: a GSource driven by g_source_set_ready_time() (µs,
 *              the closest to timer_mod(); -1 disarms); libuv: uv_timer_t
 *              (ms resolution: a deadline < 1 ms ahead is 0 or 1 ms);
 *              libevent: evtimer with EVENT_BASE_FLAG_PRECISE_TIMER.
 * Single-threaded libevent bases are created with EVENT_BASE_FLAG_NOLOCK,
 * so only the cross-thread case pays for evthread locks.
 */
#include "qemu/osdep.h"

#include <sys/eventfd.h>
#include <glib-unix.h>

#ifdef HAVE_LIBUV
#include <uv.h>
#endif
#ifdef HAVE_LIBEVENT
#include <event2/event.h>
#include <event2/thread.h>
#endif

#include "qemu/atomic.h"
#include "bench.h"
#include "bench-aio.h"

#define WARMUP 64

/*
 * Which work a case does; the peer's ops implement each kind.  A peer
 * leaves an op NULL when it cannot do that kind.
 */
typedef struct PeerOps {
    const char *label;          /* "glib", "libuv", "libevent" */
    const char *bh_what;        /* mechanism names for the rows */
    const char *wake_what;
    const char *fd_what;
    const char *timer_what;
    double (*bh)(bool one_fd, uint64_t iters);
    double (*wake)(const BenchCase *bc, uint64_t iters);
    double (*fds)(int k, uint64_t iters);
    double (*timer_fire)(int n);
    double (*timer_churn)(int n, uint64_t iters);
} PeerOps;

static int peer_eventfd(int initval)
{
    int fd = eventfd(initval, EFD_CLOEXEC | EFD_NONBLOCK);

    if (fd < 0) {
        fprintf(stderr, "bench: eventfd: %s\n", strerror(errno));
        abort();
    }
    return fd;
}

static void efd_clear(int fd)
{
    uint64_t v;

    if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
        abort();
    }
}

static void efd_raise(int fd)
{
    uint64_t one = 1;

    if (write(fd, &one, sizeof(one)) != sizeof(one)) {
        abort();
    }
}

static void idle_fd_fired(void)
{
    fprintf(stderr, "bench: an idle fd became readable\n");
    abort();
}

static int *open_idle_fds(int k)
{
    int *fds = g_new(int, k);
    int i;

    for (i = 0; i < k; i++) {
        fds[i] = peer_eventfd(0);
    }
    return fds;
}

static void close_fds(int *fds, int k)
{
    int i;

    for (i = 0; i < k; i++) {
        close(fds[i]);
    }
    g_free(fds);
}

/* Spin (untimed) until @deadline_ns on CLOCK_MONOTONIC. */
static void wait_until(uint64_t deadline_ns)
{
    while (bench_now_ns() < deadline_ns) {
        /* nothing */
    }
}

/*
 * The arm+fire wait, counted from the end of arming: every deadline lies
 * within the window from the moment it was armed; one more millisecond
 * covers libuv's millisecond rounding.
 */
#define FIRE_WAIT_NS (BENCH_TIMER_WINDOW_NS + 1000000)

/* Two-thread cases: a partner with a start-up handshake. */
typedef struct WakeBase {
    const BenchCase *bc;
    uint64_t iters;
    bool ready;                 /* partner's loop exists; release/acquire */
    bool done;                  /* main side only */
    bool stop;                  /* partner side only (set by its callback)
                                 * or atomic where stated */
} WakeBase;

static void wait_ready(WakeBase *w)
{
    /* Pairs with the store_release by each partner. */
    while (!qatomic_load_acquire(&w->ready)) {
        sched_yield();
    }
}

/* ================================================================== */
/* GLib                                                                 */
/* ================================================================== */

typedef struct GlibCount {
    uint64_t count;
} GlibCount;

static gboolean glib_idle_again(gpointer opaque)
{
    ((GlibCount *)opaque)->count++;
    return G_SOURCE_CONTINUE;
}

static gboolean glib_idle_fd(gint fd, GIOCondition cond, gpointer opaque)
{
    idle_fd_fired();
    return G_SOURCE_CONTINUE;
}

static GSource *glib_add_fd(GMainContext *gctx, int fd,
                            GUnixFDSourceFunc cb, void *opaque)
{
    GSource *src = g_unix_fd_source_new(fd, G_IO_IN);

    g_source_set_callback(src, G_SOURCE_FUNC(cb), opaque, NULL);
    g_source_attach(src, gctx);
    return src;
}

static void glib_drop(GSource *src)
{
    g_source_destroy(src);
    g_source_unref(src);
}

static double glib_bh(bool one_fd, uint64_t iters)
{
    GMainContext *gctx = g_main_context_new();
    GlibCount st = { 0 };
    GSource *idle = g_idle_source_new();
    GSource *fdsrc = NULL;
    int fd = -1;
    uint64_t t0, t1;

    g_main_context_acquire(gctx);
    g_source_set_callback(idle, glib_idle_again, &st, NULL);
    g_source_attach(idle, gctx);
    if (one_fd) {
        fd = peer_eventfd(0);
        fdsrc = glib_add_fd(gctx, fd, glib_idle_fd, NULL);
    }
    while (st.count < WARMUP) {
        g_main_context_iteration(gctx, FALSE);
    }
    st.count = 0;
    t0 = bench_now_ns();
    while (st.count < iters) {
        g_main_context_iteration(gctx, FALSE);
    }
    t1 = bench_now_ns();

    glib_drop(idle);
    if (fdsrc) {
        glib_drop(fdsrc);
        close(fd);
    }
    g_main_context_release(gctx);
    g_main_context_unref(gctx);
    return (double)(t1 - t0) / iters;
}

typedef struct GlibWake {
    WakeBase w;
    GMainContext *ctx_a;
    GMainContext *ctx_b;
} GlibWake;

/* g_idle_add() for an arbitrary context: a oneshot idle source. */
static void glib_idle_on(GMainContext *gctx, GSourceFunc fn, void *opaque)
{
    GSource *src = g_idle_source_new();

    g_source_set_callback(src, fn, opaque, NULL);
    g_source_attach(src, gctx);
    g_source_unref(src);
}

static gboolean glib_wake_back(gpointer opaque)
{
    ((GlibWake *)opaque)->w.done = true;
    return G_SOURCE_REMOVE;
}

static gboolean glib_wake_pong(gpointer opaque)
{
    GlibWake *st = opaque;

    glib_idle_on(st->ctx_a, glib_wake_back, st);
    return G_SOURCE_REMOVE;
}

static gboolean glib_wake_stop(gpointer opaque)
{
    ((GlibWake *)opaque)->w.stop = true;
    return G_SOURCE_REMOVE;
}

static void *glib_wake_partner(void *opaque)
{
    GlibWake *st = opaque;

    g_main_context_acquire(st->ctx_b);
    qatomic_store_release(&st->w.ready, true);
    while (!st->w.stop) {
        g_main_context_iteration(st->ctx_b, TRUE);
    }
    g_main_context_release(st->ctx_b);
    return NULL;
}

static void glib_round_trip(GlibWake *st)
{
    st->w.done = false;
    glib_idle_on(st->ctx_b, glib_wake_pong, st);
    while (!st->w.done) {
        g_main_context_iteration(st->ctx_a, TRUE);
    }
}

static double glib_wake(const BenchCase *bc, uint64_t iters)
{
    GlibWake st = { .w = { .bc = bc, .iters = iters } };
    BenchPair pair;
    uint64_t i, t0, t1;

    st.ctx_a = g_main_context_new();
    st.ctx_b = g_main_context_new();
    g_main_context_acquire(st.ctx_a);
    if (!bench_pair_start(&pair, bc, glib_wake_partner, &st)) {
        t0 = t1 = 0;
        goto out;
    }
    wait_ready(&st.w);
    for (i = 0; i < WARMUP; i++) {
        glib_round_trip(&st);
    }
    t0 = bench_now_ns();
    for (i = 0; i < iters; i++) {
        glib_round_trip(&st);
    }
    t1 = bench_now_ns();
    glib_idle_on(st.ctx_b, glib_wake_stop, &st);
    bench_pair_finish(&pair);
out:
    g_main_context_release(st.ctx_a);
    g_main_context_unref(st.ctx_a);
    g_main_context_unref(st.ctx_b);
    return (double)(t1 - t0) / iters;
}

typedef struct GlibFd {
    int fd;
    uint64_t count;
} GlibFd;

static gboolean glib_active_fd(gint fd, GIOCondition cond, gpointer opaque)
{
    GlibFd *st = opaque;

    efd_clear(fd);
    st->count++;
    efd_raise(fd);
    return G_SOURCE_CONTINUE;
}

static double glib_fds(int k, uint64_t iters)
{
    GMainContext *gctx = g_main_context_new();
    GSource **srcs = g_new(GSource *, k);
    int *fds = open_idle_fds(k);
    GlibFd st = { .fd = peer_eventfd(1) };
    GSource *active;
    uint64_t t0, t1;
    int i;

    g_main_context_acquire(gctx);
    for (i = 0; i < k; i++) {
        srcs[i] = glib_add_fd(gctx, fds[i], glib_idle_fd, NULL);
    }
    active = glib_add_fd(gctx, st.fd, glib_active_fd, &st);
    while (st.count < WARMUP) {
        g_main_context_iteration(gctx, TRUE);
    }
    st.count = 0;
    t0 = bench_now_ns();
    while (st.count < iters) {
        g_main_context_iteration(gctx, TRUE);
    }
    t1 = bench_now_ns();

    glib_drop(active);
    close(st.fd);
    for (i = 0; i < k; i++) {
        glib_drop(srcs[i]);
    }
    g_free(srcs);
    close_fds(fds, k);
    g_main_context_release(gctx);
    g_main_context_unref(gctx);
    return (double)(t1 - t0) / iters;
}

/* A timer: a source with no prepare/check, woken by its ready time. */
typedef struct GlibTimer {
    GSource source;
    uint64_t *fired;
} GlibTimer;

static gboolean glib_timer_dispatch(GSource *source, GSourceFunc cb,
                                    gpointer data)
{
    GlibTimer *t = (GlibTimer *)source;

    (*t->fired)++;
    g_source_set_ready_time(source, -1);    /* oneshot, like a QEMUTimer */
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs glib_timer_funcs = {
    .dispatch = glib_timer_dispatch,
};

static GSource **glib_timers_new(GMainContext *gctx, int n, uint64_t *fired)
{
    GSource **t = g_new(GSource *, n);
    int i;

    for (i = 0; i < n; i++) {
        t[i] = g_source_new(&glib_timer_funcs, sizeof(GlibTimer));
        ((GlibTimer *)t[i])->fired = fired;
        g_source_attach(t[i], gctx);
    }
    return t;
}

static void glib_timers_free(GSource **t, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        glib_drop(t[i]);
    }
    g_free(t);
}

static double glib_timer_fire(int n)
{
    GMainContext *gctx = g_main_context_new();
    uint64_t fired = 0;
    GSource **t = glib_timers_new(gctx, n, &fired);
    uint64_t seed = BENCH_RAND_SEED;
    uint64_t t0, t1, t2, t3;
    int64_t now_us;
    int i;

    g_main_context_acquire(gctx);
    now_us = g_get_monotonic_time();
    t0 = bench_now_ns();
    for (i = 0; i < n; i++) {
        g_source_set_ready_time(t[i], now_us +
            (bench_rand(&seed) % BENCH_TIMER_WINDOW_NS) / 1000);
    }
    t1 = bench_now_ns();
    wait_until(t1 + FIRE_WAIT_NS);
    t2 = bench_now_ns();
    while (fired < n) {
        g_main_context_iteration(gctx, FALSE);
    }
    t3 = bench_now_ns();

    glib_timers_free(t, n);
    g_main_context_release(gctx);
    g_main_context_unref(gctx);
    return (double)((t1 - t0) + (t3 - t2)) / n;
}

static double glib_timer_churn(int n, uint64_t iters)
{
    GMainContext *gctx = g_main_context_new();
    uint64_t fired = 0;
    GSource **t = glib_timers_new(gctx, n, &fired);
    uint64_t seed = BENCH_RAND_SEED;
    int64_t base_us;
    uint64_t i, t0, t1;
    int j;

    g_main_context_acquire(gctx);
    base_us = g_get_monotonic_time() + BENCH_CHURN_BASE_NS / 1000;
    for (j = 0; j < n; j++) {
        g_source_set_ready_time(t[j], base_us +
            (n - j) * (BENCH_CHURN_SPAN_NS / n) / 1000);
    }
    j = 0;
    t0 = bench_now_ns();
    for (i = 0; i < iters; i++) {
        if (!(i & 1)) {
            j = bench_rand(&seed) % n;
            g_source_set_ready_time(t[j], -1);
        } else {
            g_source_set_ready_time(t[j], base_us +
                (bench_rand(&seed) % BENCH_CHURN_SPAN_NS) / 1000);
        }
    }
    t1 = bench_now_ns();

    glib_timers_free(t, n);
    g_main_context_release(gctx);
    g_main_context_unref(gctx);
    return (double)(t1 - t0) / iters;
}

static const PeerOps glib_ops = {
    .label = "glib",
    .bh_what = "glib idle GSource (G_SOURCE_CONTINUE)",
    .wake_what = "glib oneshot idle GSource on the other GMainContext",
    .fd_what = "glib g_unix_fd_source (poll)",
    .timer_what = "glib g_source_set_ready_time",
    .bh = glib_bh, .wake = glib_wake, .fds = glib_fds,
    .timer_fire = glib_timer_fire, .timer_churn = glib_timer_churn,
};

/* ================================================================== */
/* libuv                                                                */
/* ================================================================== */

#ifdef HAVE_LIBUV

static void uv_check(int ret, const char *what)
{
    if (ret < 0) {
        fprintf(stderr, "bench: %s: %s\n", what, uv_strerror(ret));
        abort();
    }
}

/* Close every handle still open and free the loop's resources. */
static void uv_close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) {
        uv_close(h, NULL);
    }
}

static void uv_loop_finish(uv_loop_t *loop)
{
    uv_walk(loop, uv_close_walk, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_check(uv_loop_close(loop), "uv_loop_close");
}

typedef struct UvBh {
    uv_idle_t idle;
    uint64_t count;
} UvBh;

static void uv_idle_again(uv_idle_t *h)
{
    container_of(h, UvBh, idle)->count++;
}

static void uv_idle_fd(uv_poll_t *h, int status, int events)
{
    idle_fd_fired();
}

static double uv_bh(bool one_fd, uint64_t iters)
{
    uv_loop_t loop;
    UvBh st = { 0 };
    uv_poll_t poll;
    int fd = -1;
    uint64_t t0, t1;

    uv_check(uv_loop_init(&loop), "uv_loop_init");
    uv_idle_init(&loop, &st.idle);
    uv_idle_start(&st.idle, uv_idle_again);
    if (one_fd) {
        fd = peer_eventfd(0);
        uv_check(uv_poll_init(&loop, &poll, fd), "uv_poll_init");
        uv_poll_start(&poll, UV_READABLE, uv_idle_fd);
    }
    while (st.count < WARMUP) {
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    st.count = 0;
    t0 = bench_now_ns();
    while (st.count < iters) {
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    t1 = bench_now_ns();

    uv_loop_finish(&loop);
    if (fd >= 0) {
        close(fd);
    }
    return (double)(t1 - t0) / iters;
}

typedef struct UvWake {
    WakeBase w;
    uv_loop_t loop_a, loop_b;
    uv_async_t async_a, async_b;
    int stop_req;               /* atomic: the next wake-up of B stops it */
} UvWake;

static void uv_wake_back(uv_async_t *h)
{
    container_of(h, UvWake, async_a)->w.done = true;
}

static void uv_wake_pong(uv_async_t *h)
{
    UvWake *st = container_of(h, UvWake, async_b);

    if (qatomic_read(&st->stop_req)) {
        st->w.stop = true;
        return;
    }
    uv_async_send(&st->async_a);
}

static void *uv_wake_partner(void *opaque)
{
    UvWake *st = opaque;

    qatomic_store_release(&st->w.ready, true);
    while (!st->w.stop) {
        uv_run(&st->loop_b, UV_RUN_ONCE);
    }
    return NULL;
}

static void uv_round_trip(UvWake *st)
{
    st->w.done = false;
    uv_async_send(&st->async_b);
    while (!st->w.done) {
        uv_run(&st->loop_a, UV_RUN_ONCE);
    }
}

static double uv_wake(const BenchCase *bc, uint64_t iters)
{
    UvWake *st = g_new0(UvWake, 1);
    BenchPair pair;
    uint64_t i, t0 = 0, t1 = 0;

    st->w.bc = bc;
    uv_check(uv_loop_init(&st->loop_a), "uv_loop_init");
    uv_check(uv_loop_init(&st->loop_b), "uv_loop_init");
    uv_async_init(&st->loop_a, &st->async_a, uv_wake_back);
    uv_async_init(&st->loop_b, &st->async_b, uv_wake_pong);
    if (bench_pair_start(&pair, bc, uv_wake_partner, st)) {
        wait_ready(&st->w);
        for (i = 0; i < WARMUP; i++) {
            uv_round_trip(st);
        }
        t0 = bench_now_ns();
        for (i = 0; i < iters; i++) {
            uv_round_trip(st);
        }
        t1 = bench_now_ns();
        qatomic_set(&st->stop_req, 1);
        uv_async_send(&st->async_b);
        bench_pair_finish(&pair);
    }
    uv_loop_finish(&st->loop_a);
    uv_loop_finish(&st->loop_b);
    g_free(st);
    return (double)(t1 - t0) / iters;
}

typedef struct UvFd {
    uv_poll_t active;
    int fd;
    uint64_t count;
} UvFd;

static void uv_active_fd(uv_poll_t *h, int status, int events)
{
    UvFd *st = container_of(h, UvFd, active);

    efd_clear(st->fd);
    st->count++;
    efd_raise(st->fd);
}

static double uv_fds(int k, uint64_t iters)
{
    uv_loop_t loop;
    uv_poll_t *polls = g_new(uv_poll_t, k);
    int *fds = open_idle_fds(k);
    UvFd *st = g_new0(UvFd, 1);
    uint64_t t0, t1;
    int i;

    uv_check(uv_loop_init(&loop), "uv_loop_init");
    for (i = 0; i < k; i++) {
        uv_check(uv_poll_init(&loop, &polls[i], fds[i]), "uv_poll_init");
        uv_poll_start(&polls[i], UV_READABLE, uv_idle_fd);
    }
    st->fd = peer_eventfd(1);
    uv_check(uv_poll_init(&loop, &st->active, st->fd), "uv_poll_init");
    uv_poll_start(&st->active, UV_READABLE, uv_active_fd);
    while (st->count < WARMUP) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    st->count = 0;
    t0 = bench_now_ns();
    while (st->count < iters) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    t1 = bench_now_ns();

    uv_loop_finish(&loop);
    close(st->fd);
    g_free(st);
    close_fds(fds, k);
    g_free(polls);
    return (double)(t1 - t0) / iters;
}

typedef struct UvTimers {
    uv_loop_t loop;
    uv_timer_t *t;
    uint64_t fired;
} UvTimers;

static void uv_timer_fired(uv_timer_t *h)
{
    ((UvTimers *)h->data)->fired++;
}

static UvTimers *uv_timers_new(int n)
{
    UvTimers *st = g_new0(UvTimers, 1);
    int i;

    uv_check(uv_loop_init(&st->loop), "uv_loop_init");
    st->t = g_new(uv_timer_t, n);
    for (i = 0; i < n; i++) {
        uv_timer_init(&st->loop, &st->t[i]);
        st->t[i].data = st;
    }
    uv_update_time(&st->loop);
    return st;
}

static void uv_timers_free(UvTimers *st)
{
    uv_loop_finish(&st->loop);
    g_free(st->t);
    g_free(st);
}

static double uv_timer_fire(int n)
{
    UvTimers *st = uv_timers_new(n);
    uint64_t seed = BENCH_RAND_SEED;
    uint64_t t0, t1, t2, t3;
    int i;

    t0 = bench_now_ns();
    for (i = 0; i < n; i++) {
        uint64_t ns = bench_rand(&seed) % BENCH_TIMER_WINDOW_NS;

        /* Millisecond resolution: round to the nearest. */
        uv_timer_start(&st->t[i], uv_timer_fired, (ns + 500000) / 1000000, 0);
    }
    t1 = bench_now_ns();
    wait_until(t1 + FIRE_WAIT_NS);
    t2 = bench_now_ns();
    while (st->fired < n) {
        uv_run(&st->loop, UV_RUN_NOWAIT);
    }
    t3 = bench_now_ns();

    uv_timers_free(st);
    return (double)((t1 - t0) + (t3 - t2)) / n;
}

static double uv_timer_churn(int n, uint64_t iters)
{
    UvTimers *st = uv_timers_new(n);
    uint64_t seed = BENCH_RAND_SEED;
    const uint64_t base_ms = BENCH_CHURN_BASE_NS / 1000000;
    const uint64_t span_ms = BENCH_CHURN_SPAN_NS / 1000000;
    uint64_t i, t0, t1;
    int j;

    for (j = 0; j < n; j++) {
        uv_timer_start(&st->t[j], uv_timer_fired,
                       base_ms + (uint64_t)(n - j) * span_ms / n, 0);
    }
    j = 0;
    t0 = bench_now_ns();
    for (i = 0; i < iters; i++) {
        if (!(i & 1)) {
            j = bench_rand(&seed) % n;
            uv_timer_stop(&st->t[j]);
        } else {
            uv_timer_start(&st->t[j], uv_timer_fired,
                           base_ms + bench_rand(&seed) % span_ms, 0);
        }
    }
    t1 = bench_now_ns();

    uv_timers_free(st);
    return (double)(t1 - t0) / iters;
}

static const PeerOps uv_ops = {
    .label = "libuv",
    .bh_what = "libuv uv_idle_t",
    .wake_what = "libuv uv_async_send",
    .fd_what = "libuv uv_poll_t (epoll)",
    .timer_what = "libuv uv_timer_t (ms)",
    .bh = uv_bh, .wake = uv_wake, .fds = uv_fds, .timer_fire = uv_timer_fire,
    .timer_churn = uv_timer_churn,
};

#endif /* HAVE_LIBUV */

/* ================================================================== */
/* libevent                                                             */
/* ================================================================== */

#ifdef HAVE_LIBEVENT

/* A base for one thread: no locks; @flags adds e.g. the precise timer. */
static struct event_base *ev_base_single(int flags)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base;

    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK | flags);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!base) {
        fprintf(stderr, "bench: event_base_new_with_config failed\n");
        abort();
    }
    return base;
}

typedef struct EvBh {
    struct event_base *base;
    struct event *ev;
    uint64_t count;
    uint64_t limit;             /* break out of the loop at this count */
} EvBh;

/*
 * libevent 2.1 runs an event re-activated from its own callback again in
 * the same pass (neither max_dispatch_interval nor a zero timeout defers
 * it to the next iteration), so this row measures active-queue dispatch
 * inside one event_base_loop() call: cheaper than a loop iteration.
 */
static void ev_again(evutil_socket_t fd, short what, void *opaque)
{
    EvBh *st = opaque;

    st->count++;
    event_active(st->ev, EV_TIMEOUT, 0);
    if (st->count >= st->limit) {
        event_base_loopbreak(st->base);
    }
}

static void ev_idle_fd(evutil_socket_t fd, short what, void *opaque)
{
    idle_fd_fired();
}

static double ev_bh(bool one_fd, uint64_t iters)
{
    EvBh st = { .base = ev_base_single(0), .limit = WARMUP };
    struct event *fdev = NULL;
    int fd = -1;
    uint64_t t0, t1;

    st.ev = event_new(st.base, -1, 0, ev_again, &st);
    if (one_fd) {
        fd = peer_eventfd(0);
        fdev = event_new(st.base, fd, EV_READ | EV_PERSIST, ev_idle_fd,
                         NULL);
        event_add(fdev, NULL);
    }
    event_active(st.ev, EV_TIMEOUT, 0);
    event_base_loop(st.base, 0);
    st.count = 0;
    st.limit = iters;
    t0 = bench_now_ns();
    event_base_loop(st.base, 0);
    t1 = bench_now_ns();
    if (st.count != iters) {
        abort();
    }

    event_free(st.ev);
    if (fdev) {
        event_free(fdev);
        close(fd);
    }
    event_base_free(st.base);
    return (double)(t1 - t0) / iters;
}

typedef struct EvWake {
    WakeBase w;
    struct event_base *base_a, *base_b;
    struct event *ev_a, *ev_b, *ev_stop;
} EvWake;

static void ev_wake_back(evutil_socket_t fd, short what, void *opaque)
{
    ((EvWake *)opaque)->w.done = true;
}

static void ev_wake_pong(evutil_socket_t fd, short what, void *opaque)
{
    event_active(((EvWake *)opaque)->ev_a, EV_TIMEOUT, 0);
}

static void ev_wake_stop(evutil_socket_t fd, short what, void *opaque)
{
    ((EvWake *)opaque)->w.stop = true;
}

static void *ev_wake_partner(void *opaque)
{
    EvWake *st = opaque;

    qatomic_store_release(&st->w.ready, true);
    while (!st->w.stop) {
        event_base_loop(st->base_b, EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY);
    }
    return NULL;
}

static void ev_round_trip(EvWake *st)
{
    st->w.done = false;
    event_active(st->ev_b, EV_TIMEOUT, 0);
    while (!st->w.done) {
        event_base_loop(st->base_a, EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY);
    }
}

static double ev_wake(const BenchCase *bc, uint64_t iters)
{
    static bool threads_on;
    EvWake st = { .w = { .bc = bc, .iters = iters } };
    BenchPair pair;
    uint64_t i, t0 = 0, t1 = 0;

    if (!threads_on) {
        if (evthread_use_pthreads() < 0) {
            bench_skip("evthread_use_pthreads failed");
            return 0;
        }
        threads_on = true;
    }
    /* Default bases: locked and notifiable from other threads. */
    st.base_a = event_base_new();
    st.base_b = event_base_new();
    st.ev_a = event_new(st.base_a, -1, 0, ev_wake_back, &st);
    st.ev_b = event_new(st.base_b, -1, 0, ev_wake_pong, &st);
    st.ev_stop = event_new(st.base_b, -1, 0, ev_wake_stop, &st);
    if (bench_pair_start(&pair, bc, ev_wake_partner, &st)) {
        wait_ready(&st.w);
        for (i = 0; i < WARMUP; i++) {
            ev_round_trip(&st);
        }
        t0 = bench_now_ns();
        for (i = 0; i < iters; i++) {
            ev_round_trip(&st);
        }
        t1 = bench_now_ns();
        event_active(st.ev_stop, EV_TIMEOUT, 0);
        bench_pair_finish(&pair);
    }
    event_free(st.ev_a);
    event_free(st.ev_b);
    event_free(st.ev_stop);
    event_base_free(st.base_a);
    event_base_free(st.base_b);
    return (double)(t1 - t0) / iters;
}

typedef struct EvFd {
    int fd;
    uint64_t count;
} EvFd;

static void ev_active_fd(evutil_socket_t fd, short what, void *opaque)
{
    EvFd *st = opaque;

    efd_clear(fd);
    st->count++;
    efd_raise(fd);
}

static double ev_fds(int k, uint64_t iters)
{
    struct event_base *base = ev_base_single(0);
    struct event **evs = g_new(struct event *, k);
    int *fds = open_idle_fds(k);
    EvFd st = { .fd = peer_eventfd(1) };
    struct event *active;
    uint64_t t0, t1;
    int i;

    for (i = 0; i < k; i++) {
        evs[i] = event_new(base, fds[i], EV_READ | EV_PERSIST, ev_idle_fd,
                           NULL);
        event_add(evs[i], NULL);
    }
    active = event_new(base, st.fd, EV_READ | EV_PERSIST, ev_active_fd, &st);
    event_add(active, NULL);
    while (st.count < WARMUP) {
        event_base_loop(base, EVLOOP_ONCE);
    }
    st.count = 0;
    t0 = bench_now_ns();
    while (st.count < iters) {
        event_base_loop(base, EVLOOP_ONCE);
    }
    t1 = bench_now_ns();

    event_free(active);
    close(st.fd);
    for (i = 0; i < k; i++) {
        event_free(evs[i]);
    }
    g_free(evs);
    close_fds(fds, k);
    event_base_free(base);
    return (double)(t1 - t0) / iters;
}

typedef struct EvTimers {
    struct event_base *base;
    struct event **t;
    uint64_t fired;
} EvTimers;

static void ev_timer_fired(evutil_socket_t fd, short what, void *opaque)
{
    ((EvTimers *)opaque)->fired++;
}

static EvTimers *ev_timers_new(int n)
{
    EvTimers *st = g_new0(EvTimers, 1);
    int i;

    st->base = ev_base_single(EVENT_BASE_FLAG_PRECISE_TIMER);
    st->t = g_new(struct event *, n);
    for (i = 0; i < n; i++) {
        st->t[i] = evtimer_new(st->base, ev_timer_fired, st);
    }
    return st;
}

static void ev_timers_free(EvTimers *st, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        event_free(st->t[i]);
    }
    g_free(st->t);
    event_base_free(st->base);
    g_free(st);
}

static struct timeval ns_to_tv(uint64_t ns)
{
    struct timeval tv = {
        .tv_sec = ns / 1000000000ull,
        .tv_usec = (ns % 1000000000ull) / 1000,
    };

    return tv;
}

static double ev_timer_fire(int n)
{
    EvTimers *st = ev_timers_new(n);
    uint64_t seed = BENCH_RAND_SEED;
    uint64_t t0, t1, t2, t3;
    int i;

    t0 = bench_now_ns();
    for (i = 0; i < n; i++) {
        struct timeval tv = ns_to_tv(bench_rand(&seed) %
                                     BENCH_TIMER_WINDOW_NS);
        evtimer_add(st->t[i], &tv);
    }
    t1 = bench_now_ns();
    wait_until(t1 + FIRE_WAIT_NS);
    t2 = bench_now_ns();
    while (st->fired < n) {
        event_base_loop(st->base, EVLOOP_NONBLOCK);
    }
    t3 = bench_now_ns();

    ev_timers_free(st, n);
    return (double)((t1 - t0) + (t3 - t2)) / n;
}

static double ev_timer_churn(int n, uint64_t iters)
{
    EvTimers *st = ev_timers_new(n);
    uint64_t seed = BENCH_RAND_SEED;
    uint64_t i, t0, t1;
    int j;

    for (j = 0; j < n; j++) {
        struct timeval tv = ns_to_tv(BENCH_CHURN_BASE_NS +
                                     (n - j) * (BENCH_CHURN_SPAN_NS / n));
        evtimer_add(st->t[j], &tv);
    }
    j = 0;
    t0 = bench_now_ns();
    for (i = 0; i < iters; i++) {
        if (!(i & 1)) {
            j = bench_rand(&seed) % n;
            evtimer_del(st->t[j]);
        } else {
            struct timeval tv = ns_to_tv(BENCH_CHURN_BASE_NS +
                                         bench_rand(&seed) %
                                         BENCH_CHURN_SPAN_NS);
            evtimer_add(st->t[j], &tv);
        }
    }
    t1 = bench_now_ns();

    ev_timers_free(st, n);
    return (double)(t1 - t0) / iters;
}

static const PeerOps ev_ops = {
    .label = "libevent",
    .bh_what = "libevent event_active from its callback (same pass)",
    .wake_what = "libevent event_active (evthread)",
    .fd_what = "libevent EV_PERSIST event (epoll)",
    .timer_what = "libevent evtimer (precise)",
    .bh = ev_bh, .wake = ev_wake, .fds = ev_fds, .timer_fire = ev_timer_fire,
    .timer_churn = ev_timer_churn,
};

#endif /* HAVE_LIBEVENT */

/* ================================================================== */
/* Registration: one row per peer and parameter                         */
/* ================================================================== */

/* What a registered row runs: the peer and its parameter. */
typedef struct PeerCase {
    const PeerOps *ops;
    int param;                  /* one_fd, K or N */
} PeerCase;

/*
 * The qemuutil and QEMU rows measure on a fresh thread while the main
 * thread waits in pthread_join() (see bench-aio.c), so they run in a
 * process with two threads.  The kernel then takes and drops a reference
 * to the file in every fd system call (fdget() skips that only while the
 * fd table has a single user): ~100-200 ns per loop iteration that does
 * three fd system calls.  The single-threaded peer cases run the same
 * way, so that the ratios compare event loops, not thread layouts.  The
 * cross-thread (wake) cases have two threads on both sides already.
 */
typedef struct PeerCall {
    double (*fn)(const BenchCase *bc, uint64_t iters);
    const BenchCase *bc;
    uint64_t iters;
    double ns;
} PeerCall;

static void *peer_thread(void *opaque)
{
    PeerCall *call = opaque;

    call->ns = call->fn(call->bc, call->iters);
    return NULL;
}

/* @fn(@bc, @iters) on a new thread; bench_skip() may be called there. */
static double peer_on_fresh_thread(double (*fn)(const BenchCase *, uint64_t),
                                   const BenchCase *bc, uint64_t iters)
{
    PeerCall call = { .fn = fn, .bc = bc, .iters = iters };
    pthread_t th;
    int ret;

    ret = pthread_create(&th, NULL, peer_thread, &call);
    if (ret) {
        fprintf(stderr, "bench: pthread_create: %s\n", strerror(ret));
        abort();
    }
    /* The join orders whatever the thread wrote before our reads. */
    pthread_join(th, NULL);
    return call.ns;
}

static double peer_bh_home(const BenchCase *bc, uint64_t iters)
{
    const PeerCase *pc = bc->opaque;

    return pc->ops->bh(pc->param, iters);
}

static double peer_bh_run(const BenchCase *bc, uint64_t iters)
{
    return peer_on_fresh_thread(peer_bh_home, bc, iters);
}

static double peer_wake_run(const BenchCase *bc, uint64_t iters)
{
    const PeerCase *pc = bc->opaque;

    return pc->ops->wake(bc, iters);
}

static double peer_fds_home(const BenchCase *bc, uint64_t iters)
{
    const PeerCase *pc = bc->opaque;

    return pc->ops->fds(pc->param, iters);
}

static double peer_fds_run(const BenchCase *bc, uint64_t iters)
{
    const PeerCase *pc = bc->opaque;

    if (!bench_nofile_allows(pc->param)) {
        bench_skip("RLIMIT_NOFILE too low for %d fds", pc->param);
        return 0;
    }
    return peer_on_fresh_thread(peer_fds_home, bc, iters);
}

static double peer_timer_fire_home(const BenchCase *bc, uint64_t iters)
{
    const PeerCase *pc = bc->opaque;

    return pc->ops->timer_fire(pc->param);
}

static double peer_timer_fire_run(const BenchCase *bc, uint64_t iters)
{
    return peer_on_fresh_thread(peer_timer_fire_home, bc, iters);
}

static double peer_timer_churn_home(const BenchCase *bc, uint64_t iters)
{
    const PeerCase *pc = bc->opaque;

    return pc->ops->timer_churn(pc->param, iters);
}

static double peer_timer_churn_run(const BenchCase *bc, uint64_t iters)
{
    return peer_on_fresh_thread(peer_timer_churn_home, bc, iters);
}

static const PeerCase *peer_case(const PeerOps *ops, int param)
{
    PeerCase *pc = g_new(PeerCase, 1);    /* lives as long as the table */

    pc->ops = ops;
    pc->param = param;
    return pc;
}

static void register_peer(const PeerOps *ops)
{
    int i;

    for (i = 0; i < 2; i++) {
        g_autofree char *name = g_strdup_printf("peer %s%s", ops->bh_what,
            i ? BENCH_PEER_ONEFD : BENCH_PEER_NOFD);
        BenchCase bc = {
            .group = BENCH_GROUP_BH, .name = name, .label = ops->label,
            .fn = peer_bh_run, .opaque = (void *)peer_case(ops, i),
        };
        bench_register(&bc);
    }
    {
        g_autofree char *name = g_strdup_printf("peer %s", ops->wake_what);
        BenchCase bc = {
            .group = BENCH_GROUP_WAKE, .name = name, .label = ops->label,
            .fn = peer_wake_run, .opaque = (void *)peer_case(ops, 0),
        };
        bench_register_pinned(&bc, BENCH_PIN_MASK(BENCH_PIN_SAME) |
                                   BENCH_PIN_MASK(BENCH_PIN_TWO));
    }
    for (i = 0; i < ARRAY_SIZE(bench_fd_counts); i++) {
        int k = bench_fd_counts[i];
        g_autofree char *name = g_strdup_printf("peer %s, K=%d idle fds",
                                                ops->fd_what, k);
        g_autofree char *label = g_strdup_printf("%s K=%d", ops->label, k);
        BenchCase bc = {
            .group = BENCH_GROUP_FDS, .name = name, .label = label,
            .fn = peer_fds_run, .opaque = (void *)peer_case(ops, k),
        };
        bench_register(&bc);
    }
    for (i = 0; i < ARRAY_SIZE(bench_timer_fire_counts); i++) {
        int n = bench_timer_fire_counts[i];
        g_autofree char *count = bench_count_text(n);
        g_autofree char *name = g_strdup_printf("peer %s: arm+fire %s timers",
                                                ops->timer_what, count);
        BenchCase bc = {
            .group = BENCH_GROUP_TIMERS, .name = name, .label = ops->label,
            .fn = peer_timer_fire_run, .opaque = (void *)peer_case(ops, n),
            .iters = n,
        };
        bench_register(&bc);
    }
    for (i = 0; i < ARRAY_SIZE(bench_timer_churn_counts); i++) {
        int n = bench_timer_churn_counts[i];
        g_autofree char *count = bench_count_text(n);
        g_autofree char *name = g_strdup_printf(
            "peer %s: del/mod churn, %s armed", ops->timer_what, count);
        BenchCase bc = {
            .group = BENCH_GROUP_TIMERS, .name = name, .label = ops->label,
            .fn = peer_timer_churn_run, .opaque = (void *)peer_case(ops, n),
        };
        bench_register(&bc);
    }
}

static void register_peers(void)
{
    bench_raise_nofile();
    register_peer(&glib_ops);
#ifdef HAVE_LIBUV
    register_peer(&uv_ops);
#endif
#ifdef HAVE_LIBEVENT
    register_peer(&ev_ops);
#endif
}

BENCH_INIT(register_peers)
