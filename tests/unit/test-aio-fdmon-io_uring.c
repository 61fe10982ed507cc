/*
 * qemuutil: the io_uring fd monitor: handlers changed from their own
 * callbacks, removal with a request in the kernel, nanosecond timeouts,
 * cross-thread wake-ups, many fds, the GSource fallback and the fallbacks
 * when io_uring is refused or not wanted.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The cases share one AioContext created with QEMUUTIL_FDMON=io_uring
 * (a thread's current context can be set only once); the ones that change
 * the monitor for good run in a subprocess.  Everything is skipped, with a
 * message, where the kernel refuses io_uring.
 */
#include "qemu/osdep.h"
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#ifdef __linux__
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#endif
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "../../util/aio-posix.h"
#ifdef CONFIG_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

static AioContext *ctx;
static const char *no_uring_reason;

/* io_uring is the only monitor that lets aio_poll() poll fds itself. */
static bool ctx_uses_io_uring(AioContext *c)
{
    return c->fdmon_ops->need_wait != aio_poll_disabled;
}

/*
 * The shared io_uring context, created on first use; false (and the case
 * skipped) if this kernel refuses io_uring.
 */
static bool get_uring_ctx(void)
{
    if (no_uring_reason) {
        g_test_skip(no_uring_reason);
        return false;
    }
    if (!ctx) {
        g_setenv("QEMUUTIL_FDMON", "io_uring", TRUE);
        ctx = aio_context_new(&error_abort);
        g_unsetenv("QEMUUTIL_FDMON");
        qemu_set_current_aio_context(ctx);
    }
    g_assert_true(ctx_uses_io_uring(ctx));
    return true;
}

static void settle(void)
{
    while (aio_poll(ctx, false)) {
        continue;
    }
}

typedef struct Probe {
    EventNotifier e;
    int reads;
    bool keep_set;              /* do not clear the notifier when read */
    struct Probe *victim;       /* removed by this probe's callback */
    EventNotifierHandler *replacement;
} Probe;

static void probe_init(Probe *p)
{
    memset(p, 0, sizeof(*p));
    g_assert_cmpint(event_notifier_init(&p->e, false), ==, 0);
}

static void probe_fini(Probe *p)
{
    aio_set_event_notifier(ctx, &p->e, NULL, NULL, NULL);
    event_notifier_cleanup(&p->e);
}

static void probe_read(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    p->reads++;
    if (!p->keep_set) {
        event_notifier_test_and_clear(e);
    }
    if (p->victim) {
        aio_set_event_notifier(ctx, &p->victim->e, NULL, NULL, NULL);
    }
}

static void probe_read_remove_self(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    p->reads++;
    /* The fd stays readable: a stale request would call us again. */
    aio_set_event_notifier(ctx, e, NULL, NULL, NULL);
}

static void probe_read_replace_self(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    p->reads++;
    aio_set_event_notifier(ctx, e, p->replacement, NULL, NULL);
}

static int replacement_reads;

static void replacement_read(EventNotifier *e)
{
    replacement_reads++;
    event_notifier_test_and_clear(e);
}

/* Hard cases first. */

static void test_delete_in_own_callback(void)
{
    Probe p;
    int i;

    if (!get_uring_ctx()) {
        return;
    }
    probe_init(&p);
    aio_set_event_notifier(ctx, &p.e, probe_read_remove_self, NULL, NULL);
    settle();                           /* the POLL_ADD is in the kernel */
    event_notifier_set(&p.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.reads, ==, 1);
    for (i = 0; i < 5; i++) {
        aio_poll(ctx, false);
    }
    g_assert_cmpint(p.reads, ==, 1);
    event_notifier_cleanup(&p.e);
}

static void test_replace_in_own_callback(void)
{
    Probe p;

    if (!get_uring_ctx()) {
        return;
    }
    probe_init(&p);
    replacement_reads = 0;
    p.replacement = replacement_read;
    aio_set_event_notifier(ctx, &p.e, probe_read_replace_self, NULL, NULL);
    settle();
    event_notifier_set(&p.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.reads, ==, 1);
    g_assert_cmpint(replacement_reads, ==, 0);
    /* Still readable: the new handler's own request sees it. */
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(replacement_reads, ==, 1);
    g_assert_cmpint(p.reads, ==, 1);
    settle();
    event_notifier_set(&p.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(replacement_reads, ==, 2);
    g_assert_cmpint(p.reads, ==, 1);
    probe_fini(&p);
    settle();
}

/* Both fds ready in one wait; whichever runs first removes the other. */
static void test_remove_other_same_dispatch(void)
{
    Probe a, b;

    if (!get_uring_ctx()) {
        return;
    }
    probe_init(&a);
    probe_init(&b);
    a.victim = &b;
    b.victim = &a;
    a.keep_set = b.keep_set = true;
    aio_set_event_notifier(ctx, &a.e, probe_read, NULL, NULL);
    aio_set_event_notifier(ctx, &b.e, probe_read, NULL, NULL);
    settle();
    event_notifier_set(&a.e);
    event_notifier_set(&b.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(a.reads + b.reads, ==, 1);

    /* The removed one never runs again; the survivor still works. */
    a.keep_set = b.keep_set = false;
    a.victim = b.victim = NULL;
    settle();
    g_assert_cmpint(MIN(a.reads, b.reads), ==, 0);
    g_assert_cmpint(MAX(a.reads, b.reads), ==, 2);
    probe_fini(&a);
    probe_fini(&b);
    settle();
}

/*
 * Remove a handler whose POLL_ADD is in the kernel, close its fd and let
 * the number be reused by a new handler: the old request must neither run
 * the old callback nor disturb the new one.
 */
static void test_remove_armed_reuse_fd(void)
{
    Probe old, fresh;
    int old_fd, round;

    if (!get_uring_ctx()) {
        return;
    }
    for (round = 0; round < 50; round++) {
        probe_init(&old);
        aio_set_event_notifier(ctx, &old.e, probe_read, NULL, NULL);
        settle();
        old_fd = event_notifier_get_fd(&old.e);
        probe_fini(&old);               /* removal, fd closed at once */

        probe_init(&fresh);
        if (round % 2) {
            settle();                   /* let the POLL_REMOVE go first */
        }
        aio_set_event_notifier(ctx, &fresh.e, probe_read, NULL, NULL);
        if (event_notifier_get_fd(&fresh.e) != old_fd) {
            g_test_message("fd number not reused in round %d", round);
        }
        event_notifier_set(&fresh.e);
        g_assert_true(aio_poll(ctx, true));
        g_assert_cmpint(fresh.reads, ==, 1);
        g_assert_cmpint(old.reads, ==, 0);
        probe_fini(&fresh);
        settle();
    }
}

/* Removal from another thread while the home thread is blocked. */
typedef struct Remover {
    Probe *p;
    bool done;
} Remover;

static void *remover_thread(void *opaque)
{
    Remover *r = opaque;

    aio_set_event_notifier(ctx, &r->p->e, NULL, NULL, NULL);
    /* Then make the fd readable: a leftover request would fire. */
    event_notifier_set(&r->p->e);
    qatomic_store_release(&r->done, true);
    aio_notify(ctx);
    return NULL;
}

static void test_remove_from_other_thread(void)
{
    Remover r;
    Probe p;
    QemuThread t;
    int round;

    if (!get_uring_ctx()) {
        return;
    }
    for (round = 0; round < 200; round++) {
        probe_init(&p);
        aio_set_event_notifier(ctx, &p.e, probe_read, NULL, NULL);
        settle();
        r.p = &p;
        r.done = false;
        qemu_thread_create(&t, "remover", remover_thread, &r,
                           QEMU_THREAD_JOINABLE);
        while (!qatomic_load_acquire(&r.done)) {
            aio_poll(ctx, true);
        }
        qemu_thread_join(&t);
        settle();
        g_assert_cmpint(p.reads, ==, 0);
        event_notifier_cleanup(&p.e);
    }
}

static int rw_pipe[2];

static void count_write(void *opaque)
{
    (*(int *)opaque)++;
}

static void count_read(void *opaque)
{
    char buf;

    g_assert_cmpint(read(rw_pipe[0], &buf, 1), ==, 1);
    (*(int *)opaque)++;
}

static void test_read_write_handlers(void)
{
    int reads = 0, writes = 0;
    char c = 'x';

    if (!get_uring_ctx()) {
        return;
    }
    g_assert_cmpint(pipe(rw_pipe), ==, 0);

    /* The write end of an empty pipe is writable at once... */
    aio_set_fd_handler(ctx, rw_pipe[1], NULL, count_write, NULL, NULL,
                       &writes);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(writes, ==, 1);
    /* ...and stays so: level-triggered, it fires again. */
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(writes, ==, 2);
    aio_set_fd_handler(ctx, rw_pipe[1], NULL, NULL, NULL, NULL, NULL);

    aio_set_fd_handler(ctx, rw_pipe[0], count_read, NULL, NULL, NULL,
                       &reads);
    settle();
    g_assert_cmpint(reads, ==, 0);
    g_assert_cmpint(write(rw_pipe[1], &c, 1), ==, 1);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(reads, ==, 1);
    g_assert_false(aio_poll(ctx, false));
    aio_set_fd_handler(ctx, rw_pipe[0], NULL, NULL, NULL, NULL, NULL);
    settle();
    g_assert_cmpint(writes, ==, 2);
    close(rw_pipe[0]);
    close(rw_pipe[1]);
}

/* Timeouts. */

static bool timer_fired;

static void set_flag_cb(void *opaque)
{
    qatomic_set((bool *)opaque, true);
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * A blocking aio_poll() with only a timer pending returns when the timer
 * fires, not before, and not rounded up to milliseconds: the median wait
 * for a 200 us timer stays well under 1 ms (an epoll_wait()-style
 * millisecond timeout would make it >= 1 ms).
 */
static void test_timeout_ns(void)
{
    enum { RUNS = 21, DELAY_NS = 200 * 1000 };
    int64_t waited[RUNS];
    QEMUTimer *t;
    Probe idle;
    bool progress;
    int i;

    if (!get_uring_ctx()) {
        return;
    }
    probe_init(&idle);                  /* one fd in the ring, never set */
    aio_set_event_notifier(ctx, &idle.e, probe_read, NULL, NULL);
    settle();

    t = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_NS, set_flag_cb,
                      &timer_fired);
    for (i = 0; i < RUNS; i++) {
        int64_t start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

        timer_fired = false;
        timer_mod(t, start + DELAY_NS);
        while (!timer_fired) {
            aio_poll(ctx, true);
        }
        waited[i] = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - start;
        g_assert_cmpint(waited[i], >=, DELAY_NS);
    }
    qsort(waited, RUNS, sizeof(waited[0]), cmp_int64);
    g_test_message("200 us timer: median wait %" PRId64 " ns",
                   waited[RUNS / 2]);
    g_assert_cmpint(waited[RUNS / 2], <, 900 * 1000);

    /*
     * The blocking poll that runs the timer reports progress.  timer_mod()
     * notified the context: consume that first.
     */
    timer_fired = false;
    timer_mod(t, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + DELAY_NS);
    progress = aio_poll(ctx, false);
    if (!timer_fired) {
        progress = aio_poll(ctx, true);
    }
    g_assert_true(progress);
    g_assert_true(timer_fired);

    timer_free(t);
    probe_fini(&idle);
    settle();
    g_assert_cmpint(idle.reads, ==, 0);
}

/*
 * aio_notify() from another thread wakes a blocked aio_poll(), round after
 * round.  A lost wake-up leaves a round that only the watchdog ends: a
 * timer that runs every second (re-armed from its callback only, so that
 * its own notification cannot hide lost ones).  A round takes
 * microseconds; one that took over 100 ms was ended by the watchdog, and
 * fails the case instead of hanging it.
 */
static bool go;
static int rounds_done;
static bool stop_notifier;

typedef struct Watchdog {
    QEMUTimer *timer;
    int64_t round_start;        /* ms; home thread only */
    bool stalled;
} Watchdog;

static void watchdog_cb(void *opaque)
{
    Watchdog *w = opaque;
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

    if (now - w->round_start > 100) {
        w->stalled = true;
        return;
    }
    timer_mod(w->timer, now + 1000);
}

static void *notifier_thread(void *opaque)
{
    int seen = 0;

    while (!qatomic_read(&stop_notifier)) {
        /* Wait until the home thread starts round seen + 1. */
        if (qatomic_load_acquire(&rounds_done) != seen) {
            continue;
        }
        seen++;
        qatomic_store_release(&go, true);
        aio_notify(ctx);
    }
    return NULL;
}

static void test_notify_other_thread(void)
{
    enum { ROUNDS = 5000 };
    Watchdog w = { 0 };
    QemuThread t;
    int i;

    if (!get_uring_ctx()) {
        return;
    }
    go = false;
    rounds_done = 0;
    stop_notifier = false;
    w.timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS,
                            watchdog_cb, &w);
    w.round_start = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    timer_mod(w.timer, w.round_start + 1000);
    settle();
    qemu_thread_create(&t, "notifier", notifier_thread, NULL,
                       QEMU_THREAD_JOINABLE);
    for (i = 0; i < ROUNDS && !w.stalled; i++) {
        w.round_start = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
        while (!qatomic_load_acquire(&go) && !w.stalled) {
            aio_poll(ctx, true);
        }
        qatomic_set(&go, false);
        if (qemu_clock_get_ms(QEMU_CLOCK_REALTIME) - w.round_start > 100) {
            w.stalled = true;
        }
        qatomic_store_release(&rounds_done, i + 1);
    }
    qatomic_set(&stop_notifier, true);
    qemu_thread_join(&t);
    timer_free(w.timer);
    settle();
    if (w.stalled) {
        g_test_message("wake-up lost in round %d", i);
    }
    g_assert_false(w.stalled);
    g_assert_cmpint(i, ==, ROUNDS);
}

/* Many fds. */

#define MANY_FDS 1024

static int raise_fd_limit(int want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        return 0;
    }
    if (rl.rlim_cur < (rlim_t)want) {
        rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)want);
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

/*
 * 1024 fds, more than the submission queue (256) and the completion queue
 * (512) hold: one active at a time runs alone; then all of them ready at
 * once each run exactly once (completion-queue overflow).
 */
static void test_many_fds(void)
{
    Probe *probes;
    int i, round, n = MANY_FDS;

    if (!get_uring_ctx()) {
        return;
    }
    if (raise_fd_limit(n + 64) < n + 64) {
        g_test_skip("RLIMIT_NOFILE too low for 1024 eventfds");
        return;
    }
    probes = g_new0(Probe, n);
    for (i = 0; i < n; i++) {
        probe_init(&probes[i]);
        aio_set_event_notifier(ctx, &probes[i].e, probe_read, NULL, NULL);
    }
    settle();

    for (round = 0; round < 300; round++) {
        Probe *hot = &probes[(round * 37) % n];
        int before = hot->reads;

        event_notifier_set(&hot->e);
        g_assert_true(aio_poll(ctx, true));
        g_assert_cmpint(hot->reads, ==, before + 1);
    }
    for (i = 0; i < n; i++) {
        g_assert_cmpint(probes[i].reads, <=, 1);
        probes[i].reads = 0;
    }

    for (i = 0; i < n; i++) {
        event_notifier_set(&probes[i].e);
    }
    g_assert_true(aio_poll(ctx, true));
    settle();
    for (i = 0; i < n; i++) {
        g_assert_cmpint(probes[i].reads, ==, 1);
    }

    /* Half of them removed in one go while the other half is ready. */
    for (i = 0; i < n; i += 2) {
        event_notifier_set(&probes[i + 1].e);
        probe_fini(&probes[i]);
    }
    settle();
    for (i = 0; i < n; i += 2) {
        g_assert_cmpint(probes[i].reads, ==, 1);
        g_assert_cmpint(probes[i + 1].reads, ==, 2);
        probe_fini(&probes[i + 1]);
    }
    settle();
    g_free(probes);
}

/* The cases below change the monitor for good: one subprocess each. */

static AioContext *new_ctx_with(const char *fdmon)
{
    AioContext *c;

    if (fdmon) {
        g_setenv("QEMUUTIL_FDMON", fdmon, TRUE);
    } else {
        g_unsetenv("QEMUUTIL_FDMON");
    }
    c = aio_context_new(&error_abort);
    g_unsetenv("QEMUUTIL_FDMON");
    qemu_set_current_aio_context(c);
    ctx = c;
    return c;
}

/* One handler fires through aio_poll() on whatever monitor ctx uses. */
static void check_handlers_work(void)
{
    Probe p;

    probe_init(&p);
    aio_set_event_notifier(ctx, &p.e, probe_read, NULL, NULL);
    settle();
    event_notifier_set(&p.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.reads, ==, 1);
    probe_fini(&p);
    settle();
}

static gboolean gsource_timeout(gpointer opaque)
{
    g_error("GLib iteration did not dispatch the handler");
    return G_SOURCE_REMOVE;
}

/*
 * aio_get_g_source() leaves io_uring; handlers registered before (one of
 * them removed with its request still in the kernel) and after keep
 * working through g_main_context_iteration() and through aio_poll().
 */
static void test_gsource_fallback(void)
{
    GMainContext *gctx;
    GSource *src;
    Probe before, removed, after;
    guint guard;

    if (no_uring_reason) {
        g_test_skip(no_uring_reason);
        return;
    }
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        return;
    }
    new_ctx_with("io_uring");
    g_assert_true(ctx_uses_io_uring(ctx));

    probe_init(&before);
    probe_init(&removed);
    aio_set_event_notifier(ctx, &before.e, probe_read, NULL, NULL);
    aio_set_event_notifier(ctx, &removed.e, probe_read, NULL, NULL);
    settle();
    aio_set_event_notifier(ctx, &removed.e, NULL, NULL, NULL);

    gctx = g_main_context_new();
    src = aio_get_g_source(ctx);
    g_assert_false(ctx_uses_io_uring(ctx));
    g_source_attach(src, gctx);
    guard = g_timeout_add_seconds(5, gsource_timeout, NULL);

    event_notifier_set(&before.e);
    while (before.reads == 0) {
        g_main_context_iteration(gctx, TRUE);
    }
    probe_init(&after);
    aio_set_event_notifier(ctx, &after.e, probe_read, NULL, NULL);
    event_notifier_set(&after.e);
    event_notifier_set(&removed.e);
    while (after.reads == 0) {
        g_main_context_iteration(gctx, TRUE);
    }
    g_assert_cmpint(removed.reads, ==, 0);

    /* aio_poll() on the same context, now on poll(2). */
    event_notifier_set(&before.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(before.reads, ==, 2);

    g_source_remove(guard);
    probe_fini(&before);
    probe_fini(&after);
    event_notifier_cleanup(&removed.e);
    while (g_main_context_iteration(gctx, FALSE)) {
        continue;
    }
    g_source_destroy(src);
    g_source_unref(src);
    aio_context_unref(ctx);
    ctx = NULL;
    g_main_context_unref(gctx);
}

/* QEMUUTIL_FDMON=poll keeps io_uring out even where it works. */
static void test_forced_poll(void)
{
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("");
        return;
    }
    new_ctx_with("poll");
    g_assert_true(ctx->fdmon_ops == &fdmon_poll_ops);
    g_assert_cmpint(ctx->epollfd, <, 0);
    check_handlers_work();
}

/* QEMUUTIL_FDMON=epoll too. */
static void test_forced_epoll(void)
{
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        return;
    }
    new_ctx_with("epoll");
    g_assert_false(ctx_uses_io_uring(ctx));
    g_assert_cmpint(ctx->epollfd, >=, 0);
    check_handlers_work();
}

/* By default a context uses io_uring where the kernel allows it. */
static void test_default_is_io_uring(void)
{
    if (no_uring_reason) {
        g_test_skip(no_uring_reason);
        return;
    }
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        return;
    }
    new_ctx_with(NULL);
    g_assert_true(ctx_uses_io_uring(ctx));
    check_handlers_work();
}

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#if defined(NATIVE_AUDIT_ARCH) && defined(__NR_io_uring_setup)
/*
 * Make io_uring_setup() fail with EPERM in this process, as container
 * runtimes' default seccomp profiles do.
 */
static void refuse_io_uring(void)
{
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                 offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                 offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {
        .len = G_N_ELEMENTS(insns),
        .filter = insns,
    };

    g_assert_cmpint(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
    g_assert_cmpint(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), ==, 0);
}

/* io_uring refused by the kernel: poll/epoll, silently, and it works. */
static void test_refused_default(void)
{
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("");
        return;
    }
    refuse_io_uring();
    new_ctx_with(NULL);
    g_assert_true(ctx->fdmon_ops == &fdmon_poll_ops);
    g_assert_cmpint(ctx->epollfd, >=, 0);      /* ready for the upgrade */
    check_handlers_work();
}

/* ...and when forced, a warning and the same fallback. */
static void test_refused_forced(void)
{
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("*io_uring*");
        return;
    }
    refuse_io_uring();
    new_ctx_with("io_uring");
    g_assert_true(ctx->fdmon_ops == &fdmon_poll_ops);
    check_handlers_work();
}
#endif

int main(int argc, char **argv)
{
#ifdef CONFIG_LINUX_IO_URING
    struct io_uring probe_ring;
#endif
    int ret;

    g_test_init(&argc, &argv, NULL);
    init_clocks(NULL);

#ifdef CONFIG_LINUX_IO_URING
    ret = io_uring_queue_init(4, &probe_ring, 0);
    if (ret < 0) {
        no_uring_reason = g_strdup_printf("io_uring unavailable here: %s",
                                          strerror(-ret));
    } else {
        io_uring_queue_exit(&probe_ring);
    }
#else
    no_uring_reason = "built without liburing";
#endif
#ifdef CONFIG_VALGRIND_H
    if (RUNNING_ON_VALGRIND) {
        /* fdmon_io_uring_setup() says why it refuses to run here. */
        no_uring_reason = "io_uring waits cannot run under valgrind";
    }
#endif
    if (no_uring_reason && !g_test_subprocess()) {
        g_printerr("# skipping io_uring cases: %s\n", no_uring_reason);
    }

    g_test_add_func("/aio/fdmon/io_uring/delete-in-own-callback",
                    test_delete_in_own_callback);
    g_test_add_func("/aio/fdmon/io_uring/replace-in-own-callback",
                    test_replace_in_own_callback);
    g_test_add_func("/aio/fdmon/io_uring/remove-other-same-dispatch",
                    test_remove_other_same_dispatch);
    g_test_add_func("/aio/fdmon/io_uring/remove-armed-reuse-fd",
                    test_remove_armed_reuse_fd);
    g_test_add_func("/aio/fdmon/io_uring/remove-from-other-thread",
                    test_remove_from_other_thread);
    g_test_add_func("/aio/fdmon/io_uring/notify-other-thread",
                    test_notify_other_thread);
    g_test_add_func("/aio/fdmon/io_uring/timeout-ns", test_timeout_ns);
    g_test_add_func("/aio/fdmon/io_uring/many-fds", test_many_fds);
    g_test_add_func("/aio/fdmon/io_uring/read-write",
                    test_read_write_handlers);
    g_test_add_func("/aio/fdmon/io_uring/gsource-fallback",
                    test_gsource_fallback);
    g_test_add_func("/aio/fdmon/io_uring/default", test_default_is_io_uring);
    g_test_add_func("/aio/fdmon/io_uring/forced-poll", test_forced_poll);
    g_test_add_func("/aio/fdmon/io_uring/forced-epoll", test_forced_epoll);
#if defined(NATIVE_AUDIT_ARCH) && defined(__NR_io_uring_setup)
    g_test_add_func("/aio/fdmon/io_uring/refused/default",
                    test_refused_default);
    g_test_add_func("/aio/fdmon/io_uring/refused/forced",
                    test_refused_forced);
#endif

    ret = g_test_run();
    if (ctx) {
        aio_context_unref(ctx);
    }
    return ret;
}
