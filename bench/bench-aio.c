/*
 * qemuutil benchmarks: the AioContext (bottom halves, cross-thread
 * wake-ups, fd monitors, timers).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Four groups, the cases (a)-(d) of the event-loop issue:
 *   bh      a BH that re-schedules itself, one non-blocking aio_poll() per
 *           dispatch, with only pollable handlers and with one that is not;
 *   wake    a oneshot BH round trip between two AioContexts, each run by
 *           its own thread blocking in aio_poll();
 *   fds     one active EventNotifier plus K idle fds, one blocking
 *           aio_poll() per iteration, for each fd monitor;
 *   timers  N timers armed with random deadlines and fired, and
 *           timer_del/timer_mod churn over N armed timers.
 * The same source is linked against QEMU's original libqemuutil.a by
 * scripts/bench-qemu-ref.sh (BENCH_QEMU_REF is then defined), so it uses
 * only API that both libraries share; `make bench` merges those rows as
 * "... [qemu]".  bench-peers.c does the same work with GLib, libuv and
 * libevent.
 *
 * Every measurement runs on a fresh thread that creates its own
 * AioContext and makes it the thread's current context, because a thread
 * can be given a current context only once and aio_poll() must run in the
 * context's home thread.  Set-up and tear-down are outside the timed loop.
 */
#include "qemu/osdep.h"

#include <sys/eventfd.h>

#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/event_notifier.h"
#include "qemu/rcu.h"
#include "qemu/timer.h"
#include "block/aio.h"
#include "bench.h"
#include "bench-aio.h"

#ifdef BENCH_QEMU_REF
#define LIB_LABEL "QEMU 10.0.13"
#else
#define LIB_LABEL "qemuutil"
#endif

/* Iterations before the clock starts: caches, handler lists and rings. */
#define WARMUP 64

/* ------------------------------------------------------------------ */
/* Common helpers                                                       */
/* ------------------------------------------------------------------ */

typedef struct HomeCall {
    double (*fn)(void *arg);
    void *arg;
    double ns;
} HomeCall;

static void *home_thread(void *opaque)
{
    HomeCall *hc = opaque;

    rcu_register_thread();
    hc->ns = hc->fn(hc->arg);
    rcu_unregister_thread();
    return NULL;
}

/*
 * Runs @fn(@arg) on a new thread and returns its result.  bench_skip()
 * may be called from there: the join orders it before the caller reads
 * the reason.  A QemuThread, not a bare pthread: the library frees its
 * per-thread state (fdmon-poll's pollfd array...) from the thread-exit
 * notifiers, which only QemuThreads run.
 */
static double run_at_home(double (*fn)(void *), void *arg)
{
    HomeCall hc = { .fn = fn, .arg = arg };
    QemuThread th;

    qemu_thread_create(&th, "bench-home", home_thread, &hc,
                       QEMU_THREAD_JOINABLE);
    qemu_thread_join(&th);
    return hc.ns;
}

/* The clocks and main_loop_tlg; both libraries need them before timers. */
static void bench_init_clocks_once(void)
{
    static bool done;

    if (!done) {
        init_clocks(NULL);
        done = true;
    }
}

/*
 * Sets QEMUUTIL_FDMON to @fdmon (unsets it for NULL) and returns the old
 * value for fdmon_env_pop().  qemuutil reads the variable when a context
 * is created; for QEMU's original, bench/qemu-ref-shims.c reads it in
 * io_uring and epoll set-up, which happens when the context is created
 * and again when it upgrades to epoll at 64 fds.
 */
static char *fdmon_env_push(const char *fdmon)
{
    char *saved = g_strdup(g_getenv("QEMUUTIL_FDMON"));

    if (fdmon) {
        g_setenv("QEMUUTIL_FDMON", fdmon, true);
    } else {
        g_unsetenv("QEMUUTIL_FDMON");
    }
    return saved;
}

static void fdmon_env_pop(char *saved)
{
    if (saved) {
        g_setenv("QEMUUTIL_FDMON", saved, true);
    } else {
        g_unsetenv("QEMUUTIL_FDMON");
    }
    g_free(saved);
}

/*
 * A new context for the calling thread, made its current context, with
 * the fd monitor @fdmon (NULL: the library's default).
 */
static AioContext *home_context_new(const char *fdmon)
{
    char *saved = fdmon_env_push(fdmon);
    AioContext *ctx;

    ctx = aio_context_new(&error_abort);
    fdmon_env_pop(saved);
    qemu_set_current_aio_context(ctx);
    return ctx;
}

/*
 * How many io_uring instances this process holds.  Neither library says
 * which monitor a context chose, but an io_uring shows up as an
 * "anon_inode:[io_uring]" descriptor.
 */
static int count_io_uring_fds(void)
{
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    const char *name;
    int n = 0;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_strdup_printf("/proc/self/fd/%s", name);
        g_autofree char *target = g_file_read_link(path, NULL);

        if (target && strstr(target, "io_uring")) {
            n++;
        }
    }
    return n;
}

static int idle_eventfd(void)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    if (fd < 0) {
        fprintf(stderr, "bench: eventfd: %s\n", strerror(errno));
        abort();
    }
    return fd;
}

/* Handlers of fds that never become readable. */
static void idle_read(void *opaque)
{
    fprintf(stderr, "bench: an idle fd became readable\n");
    abort();
}

static void notifier_never(EventNotifier *e)
{
    fprintf(stderr, "bench: an idle notifier fired\n");
    abort();
}

static bool notifier_never_ready(void *opaque)
{
    return false;
}

/* ------------------------------------------------------------------ */
/* (a) a BH that re-schedules itself                                    */
/* ------------------------------------------------------------------ */

typedef struct BhParams {
    bool one_fd_without_poll;
    const char *fdmon;          /* NULL: the library's default monitor */
} BhParams;

typedef struct BhRun {
    const BhParams *p;
    uint64_t iters;
    QEMUBH *bh;
    uint64_t count;             /* home thread only */
} BhRun;

static void bh_again(void *opaque)
{
    BhRun *st = opaque;

    st->count++;
    qemu_bh_schedule(st->bh);
}

static double bh_home(void *arg)
{
    BhRun *st = arg;
    AioContext *ctx = home_context_new(st->p->fdmon);
    EventNotifier pollable;
    int fd = -1;
    uint64_t t0, t1;

    /* A pollable handler that is never ready keeps aio_poll() syscall-free. */
    if (event_notifier_init(&pollable, false) < 0) {
        abort();
    }
    aio_set_event_notifier(ctx, &pollable, notifier_never,
                           notifier_never_ready, NULL);
    if (st->p->one_fd_without_poll) {
        fd = idle_eventfd();
        aio_set_fd_handler(ctx, fd, idle_read, NULL, NULL, NULL, NULL);
    }

    st->bh = aio_bh_new(ctx, bh_again, st);
    qemu_bh_schedule(st->bh);
    while (st->count < WARMUP) {
        aio_poll(ctx, false);
    }

    st->count = 0;
    t0 = bench_now_ns();
    while (st->count < st->iters) {
        aio_poll(ctx, false);
    }
    t1 = bench_now_ns();

    qemu_bh_delete(st->bh);
    if (fd >= 0) {
        aio_set_fd_handler(ctx, fd, NULL, NULL, NULL, NULL, NULL);
        close(fd);
    }
    aio_set_event_notifier(ctx, &pollable, NULL, NULL, NULL);
    event_notifier_cleanup(&pollable);
    aio_context_unref(ctx);
    return (double)(t1 - t0) / st->iters;
}

static double bh_run(const BenchCase *bc, uint64_t iters)
{
    BhRun st = { .p = bc->opaque, .iters = iters };

    return run_at_home(bh_home, &st);
}

/* ------------------------------------------------------------------ */
/* (b) cross-thread oneshot BH round trip                               */
/* ------------------------------------------------------------------ */

typedef struct WakeRun {
    const BenchCase *bc;
    uint64_t iters;
    AioContext *ctx_a;          /* the measuring thread's context */
    AioContext *ctx_b;          /* set once by the partner (release) */
    bool done;                  /* thread A only: the reply arrived */
    bool stop;                  /* thread B only */
} WakeRun;

/* Runs in thread A: the reply is home. */
static void wake_ping_back(void *opaque)
{
    WakeRun *st = opaque;

    st->done = true;
}

/* Runs in thread B: answer at once. */
static void wake_pong(void *opaque)
{
    WakeRun *st = opaque;

    aio_bh_schedule_oneshot(st->ctx_a, wake_ping_back, st);
}

static void wake_stop(void *opaque)
{
    WakeRun *st = opaque;

    st->stop = true;
}

static void *wake_partner(void *opaque)
{
    WakeRun *st = opaque;
    AioContext *ctx;

    rcu_register_thread();
    ctx = home_context_new(NULL);
    /* Pairs with the load_acquire in wake_home(). */
    qatomic_store_release(&st->ctx_b, ctx);
    while (!st->stop) {
        aio_poll(ctx, true);
    }
    aio_context_unref(ctx);
    rcu_unregister_thread();
    return NULL;
}

static void wake_round_trip(WakeRun *st, AioContext *ctx_b)
{
    st->done = false;
    aio_bh_schedule_oneshot(ctx_b, wake_pong, st);
    while (!st->done) {
        aio_poll(st->ctx_a, true);
    }
}

static double wake_home(void *arg)
{
    WakeRun *st = arg;
    AioContext *ctx_b;
    BenchPair pair;
    uint64_t i, t0, t1;

    st->ctx_a = home_context_new(NULL);
    if (!bench_pair_start(&pair, st->bc, wake_partner, st)) {
        aio_context_unref(st->ctx_a);
        return 0;
    }
    /* Pairs with the store_release in wake_partner(). */
    while (!(ctx_b = qatomic_load_acquire(&st->ctx_b))) {
        sched_yield();
    }

    for (i = 0; i < WARMUP; i++) {
        wake_round_trip(st, ctx_b);
    }
    t0 = bench_now_ns();
    for (i = 0; i < st->iters; i++) {
        wake_round_trip(st, ctx_b);
    }
    t1 = bench_now_ns();

    /*
     * B touches ctx_a (aio_notify() after queueing the reply) until its
     * BH returns: join it before ctx_a goes away.
     */
    aio_bh_schedule_oneshot(ctx_b, wake_stop, st);
    bench_pair_finish(&pair);
    aio_context_unref(st->ctx_a);
    return (double)(t1 - t0) / st->iters;
}

static double wake_run(const BenchCase *bc, uint64_t iters)
{
    WakeRun st = { .bc = bc, .iters = iters };

    return run_at_home(wake_home, &st);
}

/* ------------------------------------------------------------------ */
/* (c) one active EventNotifier plus K idle fds                         */
/* ------------------------------------------------------------------ */

typedef struct FdParams {
    int k;
    const char *fdmon;          /* QEMUUTIL_FDMON value */
} FdParams;

typedef struct FdRun {
    const FdParams *p;
    uint64_t iters;
    EventNotifier active;
    uint64_t count;             /* home thread only */
} FdRun;

/* Consume the event and raise it again: ready at every iteration. */
static void fd_active_read(EventNotifier *e)
{
    FdRun *st = container_of(e, FdRun, active);

    event_notifier_test_and_clear(e);
    st->count++;
    event_notifier_set(e);
}

static double fd_home(void *arg)
{
    FdRun *st = arg;
    int k = st->p->k;
    bool want_uring = !strcmp(st->p->fdmon, "io_uring");
    int rings_before = count_io_uring_fds();
    /* Kept for the whole case: QEMU's epoll upgrade happens later. */
    char *saved = fdmon_env_push(st->p->fdmon);
    AioContext *ctx = home_context_new(st->p->fdmon);
    bool has_uring = count_io_uring_fds() > rings_before;
    int *fds;
    uint64_t t0, t1;
    int i;

    if (want_uring != has_uring) {
        fdmon_env_pop(saved);
        if (want_uring) {
            bench_skip("io_uring is not available here");
        } else {
            bench_skip("could not keep the context off io_uring");
        }
        aio_context_unref(ctx);
        return 0;
    }

    fds = g_new(int, k);
    for (i = 0; i < k; i++) {
        fds[i] = idle_eventfd();
        aio_set_fd_handler(ctx, fds[i], idle_read, NULL, NULL, NULL, NULL);
    }
    /* No io_poll: each iteration must ask the monitor. */
    if (event_notifier_init(&st->active, true) < 0) {
        abort();
    }
    aio_set_event_notifier(ctx, &st->active, fd_active_read, NULL, NULL);

    while (st->count < WARMUP) {
        aio_poll(ctx, true);
    }
    st->count = 0;
    t0 = bench_now_ns();
    while (st->count < st->iters) {
        aio_poll(ctx, true);
    }
    t1 = bench_now_ns();

    aio_set_event_notifier(ctx, &st->active, NULL, NULL, NULL);
    event_notifier_cleanup(&st->active);
    for (i = 0; i < k; i++) {
        aio_set_fd_handler(ctx, fds[i], NULL, NULL, NULL, NULL, NULL);
        close(fds[i]);
    }
    g_free(fds);
    aio_context_unref(ctx);
    fdmon_env_pop(saved);
    return (double)(t1 - t0) / st->iters;
}

static double fd_run(const BenchCase *bc, uint64_t iters)
{
    FdRun *st = g_new0(FdRun, 1);
    double ns;

    st->p = bc->opaque;
    st->iters = iters;
    if (!bench_nofile_allows(st->p->k)) {
        bench_skip("RLIMIT_NOFILE too low for %d fds", st->p->k);
        g_free(st);
        return 0;
    }
    ns = run_at_home(fd_home, st);
    g_free(st);
    return ns;
}

/* ------------------------------------------------------------------ */
/* (d) timers                                                           */
/* ------------------------------------------------------------------ */

typedef struct TimerRun {
    int n;
    uint64_t iters;
    QEMUTimer *timers;
    uint64_t fired;             /* home thread only */
} TimerRun;

static void timer_fired(void *opaque)
{
    TimerRun *st = opaque;

    st->fired++;
}

static void timers_init(TimerRun *st, AioContext *ctx)
{
    int i;

    st->timers = g_new0(QEMUTimer, st->n);
    for (i = 0; i < st->n; i++) {
        aio_timer_init(ctx, &st->timers[i], QEMU_CLOCK_REALTIME, SCALE_NS,
                       timer_fired, st);
    }
}

static void timers_destroy(TimerRun *st)
{
    int i;

    for (i = 0; i < st->n; i++) {
        timer_del(&st->timers[i]);
    }
    g_free(st->timers);
}

/*
 * Arm all N timers (random deadlines within the window), wait untimed
 * until every one is due, then fire them with non-blocking aio_poll().
 * The result is (arm time + fire time) / N.
 */
static double timer_fire_home(void *arg)
{
    TimerRun *st = arg;
    AioContext *ctx = home_context_new(NULL);
    uint64_t seed = BENCH_RAND_SEED;
    uint64_t t0, t1, t2, t3;
    int64_t now;
    int i;

    timers_init(st, ctx);
    now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    t0 = bench_now_ns();
    for (i = 0; i < st->n; i++) {
        timer_mod_ns(&st->timers[i],
                     now + bench_rand(&seed) % BENCH_TIMER_WINDOW_NS);
        if ((i & 1023) == 1023 && bench_now_ns() - t0 > BENCH_SLOW_SETUP_NS) {
            bench_skip("arming gave up after %d timers, %.0f ns each "
                       "(ordered-list insertion: O(n) per timer)", i + 1,
                       (double)(bench_now_ns() - t0) / (i + 1));
            timers_destroy(st);
            aio_context_unref(ctx);
            return 0;
        }
    }
    t1 = bench_now_ns();

    while (qemu_clock_get_ns(QEMU_CLOCK_REALTIME) <
           now + BENCH_TIMER_WINDOW_NS) {
        /* untimed: let every deadline pass */
    }
    t2 = bench_now_ns();
    while (st->fired < st->n) {
        aio_poll(ctx, false);
    }
    t3 = bench_now_ns();

    timers_destroy(st);
    aio_context_unref(ctx);
    return (double)((t1 - t0) + (t3 - t2)) / st->n;
}

/*
 * N timers armed far in the future (in decreasing order, which is cheap
 * for any structure), then @iters operations alternating timer_del() of
 * a random timer and timer_mod() of it to a new random deadline.
 */
static double timer_churn_home(void *arg)
{
    TimerRun *st = arg;
    AioContext *ctx = home_context_new(NULL);
    uint64_t seed = BENCH_RAND_SEED;
    int64_t base;
    uint64_t i, t0, t1;
    int j = 0;

    timers_init(st, ctx);
    base = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + BENCH_CHURN_BASE_NS;
    for (j = 0; j < st->n; j++) {
        timer_mod_ns(&st->timers[j],
                     base + (st->n - j) * (BENCH_CHURN_SPAN_NS / st->n));
    }

    t0 = bench_now_ns();
    for (i = 0; i < st->iters; i++) {
        if (!(i & 1)) {
            j = bench_rand(&seed) % st->n;
            timer_del(&st->timers[j]);
        } else {
            timer_mod_ns(&st->timers[j],
                         base + bench_rand(&seed) % BENCH_CHURN_SPAN_NS);
        }
    }
    t1 = bench_now_ns();

    if (st->fired) {
        fprintf(stderr, "bench: a churn timer fired\n");
        abort();
    }
    timers_destroy(st);
    aio_context_unref(ctx);
    return (double)(t1 - t0) / st->iters;
}

static double timer_fire_run(const BenchCase *bc, uint64_t iters)
{
    TimerRun st = { .n = (int)bc->iters, .iters = iters };

    bench_init_clocks_once();
    return run_at_home(timer_fire_home, &st);
}

static double timer_churn_run(const BenchCase *bc, uint64_t iters)
{
    TimerRun st = { .n = GPOINTER_TO_INT(bc->opaque), .iters = iters };

    bench_init_clocks_once();
    return run_at_home(timer_churn_home, &st);
}

/* ------------------------------------------------------------------ */
/* Registration                                                         */
/* ------------------------------------------------------------------ */

static void register_bh(void)
{
    /*
     * QEMU's io_uring monitor needs no syscall to find the ring empty, so
     * a handler without io_poll costs a syscall only with poll/epoll: the
     * variant runs with each, the default monitor and poll forced.
     */
    static const struct {
        const char *variant;
        const char *peers;
        BhParams p;
    } cases[] = {
        { BENCH_BH_NOFD, BENCH_PEER_NOFD, { false, NULL } },
        { BENCH_BH_ONEFD, BENCH_PEER_ONEFD, { true, NULL } },
        { BENCH_BH_ONEFD ", poll monitor", BENCH_PEER_ONEFD,
          { true, "poll" } },
    };
    int i;

    bench_describe_group(BENCH_GROUP_BH,
        "(a) A callback that re-schedules itself; 1 op = 1 dispatch = 1 "
        "non-blocking loop iteration. qemuutil/QEMU: a BH on a fresh "
        "AioContext with one pollable EventNotifier (no syscall needed), "
        "then also one fd handler without io_poll (a syscall unless the "
        "monitor is io_uring). Peers: no fd / one idle fd registered.");
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *name = g_strconcat("BH self-reschedule",
                                            cases[i].variant, NULL);
        g_autofree char *ref = g_strdup_printf("%s [qemu];peer *%s", name,
                                               cases[i].peers);
        BenchCase bc = {
            .group = BENCH_GROUP_BH, .name = name,
            .label = LIB_LABEL, .ref = ref,
            .fn = bh_run, .opaque = (void *)&cases[i].p,
        };
        bench_register(&bc);
    }
}

static void register_wake(void)
{
    BenchCase bc = {
        .group = BENCH_GROUP_WAKE,
        .name = "oneshot BH round trip",
        .label = LIB_LABEL,
        .ref = "oneshot BH round trip%p [qemu];"
               "sync/raw eventfd ping-pong%p;peer *%p",
        .fn = wake_run,
    };

    bench_describe_group(BENCH_GROUP_WAKE,
        "(b) Two threads, each blocking in its own loop; 1 op = A queues a "
        "oneshot callback on B's loop, which queues one back on A's. "
        "Limit: sync/raw eventfd ping-pong with the same pinning.");
    bench_register_pinned(&bc, BENCH_PIN_MASK(BENCH_PIN_SAME) |
                               BENCH_PIN_MASK(BENCH_PIN_TWO));
}

static void register_fds(void)
{
    static const char *const monitors[] = { "poll", "epoll", "io_uring" };
    static FdParams params[ARRAY_SIZE(monitors)][ARRAY_SIZE(bench_fd_counts)];
    int m, i;

    bench_describe_group(BENCH_GROUP_FDS,
        "(c) One active EventNotifier (its handler clears and re-sets it) "
        "plus K idle eventfds; 1 op = 1 blocking aio_poll() iteration. "
        "Monitor forced with QEMUUTIL_FDMON; QEMU's original defaults to "
        "io_uring, is kept on poll/epoll by failing io_uring set-up (and "
        "epoll_ctl for poll), and uses epoll only from 64 fds. Third ratio: "
        "the same monitor at K=1 (flatness).");
    for (m = 0; m < ARRAY_SIZE(monitors); m++) {
        for (i = 0; i < ARRAY_SIZE(bench_fd_counts); i++) {
            int k = bench_fd_counts[i];
            g_autofree char *name = g_strdup_printf(
                "EventNotifier + K=%d idle fds, %s", k, monitors[m]);
            g_autofree char *ref = g_strdup_printf(
                "%s [qemu];peer libuv*K=%d idle fds%s%s", name, k,
                i ? ";EventNotifier + K=1 idle fds, " : "",
                i ? monitors[m] : "");
            g_autofree char *label = g_strdup_printf(
                LIB_LABEL " %s K=%d", monitors[m], k);
            BenchCase bc = {
                .group = BENCH_GROUP_FDS,
                .name = name, .label = label,
                .ref = ref, .fn = fd_run,
                .opaque = &params[m][i],
            };

            params[m][i].k = k;
            params[m][i].fdmon = monitors[m];
            bench_register(&bc);
        }
    }
}

static void register_timers(void)
{
    int i;

    bench_describe_group(BENCH_GROUP_TIMERS,
        "(d) QEMU_CLOCK_REALTIME timers on an AioContext. arm+fire: 1 op = "
        "timer_mod() of one of N timers to a random deadline < 1 ms ahead "
        "plus its share of the non-blocking aio_poll() calls that fire them "
        "all (the wait for the deadlines is not timed). churn: 1 op = one "
        "timer_del() or timer_mod() (alternating) of a random timer among N "
        "armed 10-20 s ahead.");
    for (i = 0; i < ARRAY_SIZE(bench_timer_fire_counts); i++) {
        int n = bench_timer_fire_counts[i];
        g_autofree char *count = bench_count_text(n);
        g_autofree char *name = g_strdup_printf(
            "arm+fire %s timers, deadlines < 1 ms", count);
        g_autofree char *ref = g_strdup_printf(
            "%s [qemu];peer *: arm+fire %s timers", name, count);
        BenchCase bc = {
            .group = BENCH_GROUP_TIMERS,
            .name = name, .label = LIB_LABEL,
            .ref = ref, .fn = timer_fire_run,
            .iters = n,
        };

        bench_register(&bc);
    }
    for (i = 0; i < ARRAY_SIZE(bench_timer_churn_counts); i++) {
        int n = bench_timer_churn_counts[i];
        g_autofree char *count = bench_count_text(n);
        g_autofree char *name = g_strdup_printf(
            "timer_del/timer_mod churn, %s armed", count);
        g_autofree char *ref = g_strdup_printf(
            "%s [qemu];peer *: del/mod churn, %s armed", name, count);
        BenchCase bc = {
            .group = BENCH_GROUP_TIMERS,
            .name = name, .label = LIB_LABEL,
            .ref = ref, .fn = timer_churn_run,
            .opaque = GINT_TO_POINTER(n),
        };

        bench_register(&bc);
    }
}

static void register_aio(void)
{
    bench_raise_nofile();
    register_bh();
    register_wake();
    register_fds();
    register_timers();
}

BENCH_INIT(register_aio)
