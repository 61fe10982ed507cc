/*
 * qemuutil tests: aio_poll() and main_loop_wait() under injected faults
 * (run with the libfault shim preloaded).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each fd monitor (poll, epoll, io_uring) has its blocking wait cut short
 * by EINTR; the loop must carry on and still deliver the wake-up that
 * follows, and must not fire a timer early.  A context that cannot get an
 * epoll instance must fall back to poll(2) and keep working with many fds.
 * A handler whose fd is closed under it must cause neither a crash nor a
 * hang.
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "../../util/aio-posix.h"
#include "fault-test.h"

/* How many times each blocking wait is interrupted. */
#define N_EINTR 5

/*
 * data for the EINTR cases: the fd monitor, and the call its blocking wait
 * goes through (without a timer: no timeout; with one: a finite timeout).
 */
typedef struct WaitCase {
    const char *fdmon;
    const char *call_untimed;
    const char *call_timed;
} WaitCase;

static const WaitCase wait_cases[] = {
    { "poll", "ppoll", "ppoll" },
    { "epoll", "epoll_wait", "epoll_pwait2" },
    { "io_uring", "io_uring_enter", "io_uring_enter" },
};

/* A context on @fdmon, or NULL (case skipped) if the host lacks it. */
static AioContext *context_on(const char *fdmon)
{
    AioContext *ctx;

    init_clocks(NULL);
    g_setenv("QEMUUTIL_FDMON", fdmon, TRUE);
    ctx = aio_context_new(&error_abort);
    g_unsetenv("QEMUUTIL_FDMON");
    if (strcmp(fdmon, "io_uring") == 0 &&
        ctx->fdmon_ops->need_wait == aio_poll_disabled) {
        aio_context_unref(ctx);
        g_test_skip("io_uring unavailable here");
        return NULL;
    }
    if (strcmp(fdmon, "epoll") == 0) {
        g_assert_cmpint(ctx->epollfd, >=, 0);
    }
    return ctx;
}

/* ---------------------------------------------------------------------- */
/* EINTR in the blocking wait                                               */
/* ---------------------------------------------------------------------- */

typedef struct Kick {
    EventNotifier e;
    const char *call;
    bool seen;
} Kick;

static void kick_read(EventNotifier *e)
{
    Kick *k = container_of(e, Kick, e);

    g_assert_true(event_notifier_test_and_clear(e));
    qatomic_set(&k->seen, true);
}

/*
 * Set the notifier only once every injected EINTR has been consumed, so
 * that the wait which finally gets it is a real, blocking one.
 */
static void *late_kicker(void *opaque)
{
    Kick *k = opaque;

    while (fault_injected(k->call) < N_EINTR) {
        sched_yield();
    }
    event_notifier_set(&k->e);
    return NULL;
}

static void test_eintr_untimed(gconstpointer data)
{
    const WaitCase *wc = data;
    AioContext *ctx;
    QemuThread thread;
    Kick k = { .call = wc->call_untimed };
    char *spec;

    if (!fault_in_child()) {
        return;
    }
    ctx = context_on(wc->fdmon);
    if (!ctx) {
        return;
    }
    qemu_set_current_aio_context(ctx);
    g_assert_cmpint(event_notifier_init(&k.e, false), ==, 0);
    aio_set_event_notifier(ctx, &k.e, kick_read, NULL, NULL);
    while (aio_poll(ctx, false)) {
        /* settle: no pending BHs or events */
    }

    spec = g_strdup_printf("%s:EINTR:count=%d", k.call, N_EINTR);
    fault_arm(spec);
    qemu_thread_create(&thread, "kicker", late_kicker, &k,
                       QEMU_THREAD_JOINABLE);
    while (!qatomic_read(&k.seen)) {
        aio_poll(ctx, true);
    }
    qemu_thread_join(&thread);
    g_assert_cmpuint(fault_injected(k.call), ==, N_EINTR);
    fault_disarm();

    aio_set_event_notifier(ctx, &k.e, NULL, NULL, NULL);
    event_notifier_cleanup(&k.e);
    aio_context_unref(ctx);
    g_free(spec);
}

static void timer_fired(void *opaque)
{
    qatomic_set((bool *)opaque, true);
}

/* A timed wait, interrupted: the timer fires, and not before its time. */
static void test_eintr_timed(gconstpointer data)
{
    const WaitCase *wc = data;
    AioContext *ctx;
    QEMUTimer *timer;
    int64_t deadline;
    bool fired = false;
    char *spec;

    if (!fault_in_child()) {
        return;
    }
    ctx = context_on(wc->fdmon);
    if (!ctx) {
        return;
    }
    qemu_set_current_aio_context(ctx);
    while (aio_poll(ctx, false)) {
        /* settle */
    }

    timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_NS, timer_fired,
                          &fired);
    spec = g_strdup_printf("%s:EINTR:count=%d", wc->call_timed, N_EINTR);
    fault_arm(spec);
    deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + 20 * SCALE_MS;
    timer_mod(timer, deadline);
    while (!fired) {
        aio_poll(ctx, true);
    }
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_REALTIME), >=, deadline);
    g_assert_cmpuint(fault_injected(wc->call_timed), ==, N_EINTR);
    fault_disarm();

    timer_free(timer);
    aio_context_unref(ctx);
    g_free(spec);
}

/* ---------------------------------------------------------------------- */
/* No epoll instance: fall back to poll(2)                                  */
/* ---------------------------------------------------------------------- */

#define MANY_FDS 70     /* past fdmon-poll's switch to epoll at 64 */

static void count_read(void *opaque)
{
    int *fds = opaque;
    char buf[8];

    g_assert_cmpint(read(fds[0], buf, sizeof(buf)), ==, 1);
    fds[2]++;
}

/*
 * data: "epoll:ERRNO" (epoll forced) or "poll-epoll:ERRNO" (the upgrade at
 * 64 fds).  Either way the context must end on poll(2), say so on stderr,
 * and dispatch every one of many fds.
 */
static void test_no_epoll(gconstpointer data)
{
    const char *fdmon = data;
    int fds[MANY_FDS][3];
    AioContext *ctx;
    char *spec, *mode;
    int i, round;

    if (!fault_in_child_stderr(strncmp(fdmon, "epoll", 5) == 0 ?
                               "*epoll is unavailable, using poll*" :
                               "*epoll_create1 failed*")) {
        return;
    }
    init_clocks(NULL);
    spec = g_strdup_printf("epoll_create1:%s", strchr(fdmon, ':') + 1);
    mode = g_strndup(fdmon, strchr(fdmon, ':') - fdmon);
    fault_arm(spec);
    g_setenv("QEMUUTIL_FDMON", mode, TRUE);
    ctx = aio_context_new(&error_abort);
    g_unsetenv("QEMUUTIL_FDMON");
    g_assert_cmpuint(fault_injected("epoll_create1"), ==, 1);
    fault_disarm();

    qemu_set_current_aio_context(ctx);
    g_assert_cmpint(ctx->epollfd, ==, -1);
    g_assert_true(ctx->fdmon_ops == &fdmon_poll_ops);

    for (i = 0; i < MANY_FDS; i++) {
        g_assert_cmpint(pipe2(fds[i], O_NONBLOCK | O_CLOEXEC), ==, 0);
        fds[i][2] = 0;
        aio_set_fd_handler(ctx, fds[i][0], count_read, NULL, NULL, NULL,
                           fds[i]);
    }
    /* One fd at a time, the last ones too, in a blocking wait each. */
    for (round = 0; round < 3; round++) {
        for (i = round; i < MANY_FDS; i += 3) {
            g_assert_cmpint(write(fds[i][1], "x", 1), ==, 1);
            while (fds[i][2] == 0) {
                aio_poll(ctx, true);
            }
        }
    }
    for (i = 0; i < MANY_FDS; i++) {
        g_assert_cmpint(fds[i][2], ==, 1);
    }
    g_assert_true(ctx->fdmon_ops == &fdmon_poll_ops);

    for (i = 0; i < MANY_FDS; i++) {
        aio_set_fd_handler(ctx, fds[i][0], NULL, NULL, NULL, NULL, NULL);
        close(fds[i][0]);
        close(fds[i][1]);
    }
    aio_context_unref(ctx);
    g_free(spec);
    g_free(mode);
}

/* ---------------------------------------------------------------------- */
/* An fd closed under its handler                                           */
/* ---------------------------------------------------------------------- */

/* Counts calls; never touches the (closed) fd. */
static void count_call(void *opaque)
{
    (*(int *)opaque)++;
}

/*
 * data: the fd monitor.  Close both ends of a pipe whose read end has a
 * handler, then wait on a timer: the wait must end when the timer fires
 * (no hang, whatever the monitor makes of the dead fd), and removing the
 * handler afterwards must be harmless.
 *
 * poll(2) reports POLLNVAL for the dead fd, which is no readiness to read:
 * the handler must not run.  epoll drops a closed fd from its interest
 * set: nothing happens either.  An io_uring poll request keeps its own
 * reference to the pipe, so it completes with the POLLHUP caused by
 * closing the write end, and the handler runs for that HUP (as QEMU's
 * fdmon-io_uring does); re-arming then fails with EBADF, which must not
 * turn into a busy loop of calls.
 */
static void test_closed_fd(gconstpointer data)
{
    const char *fdmon = data;
    AioContext *ctx;
    QEMUTimer *timer;
    int fds[2];
    bool fired = false;
    int i, calls = 0;

    if (!fault_in_child()) {
        return;
    }
    ctx = context_on(fdmon);
    if (!ctx) {
        return;
    }
    qemu_set_current_aio_context(ctx);
    g_assert_cmpint(pipe2(fds, O_NONBLOCK | O_CLOEXEC), ==, 0);
    aio_set_fd_handler(ctx, fds[0], count_call, NULL, NULL, NULL, &calls);
    /* Let the monitor arm the fd (io_uring submits on the next wait). */
    for (i = 0; i < 3; i++) {
        aio_poll(ctx, false);
    }

    close(fds[0]);
    close(fds[1]);
    timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS, timer_fired,
                          &fired);
    timer_mod(timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 20);
    while (!fired) {
        aio_poll(ctx, true);
    }
    if (strcmp(fdmon, "io_uring") == 0) {
        g_assert_cmpint(calls, <=, 1);
    } else {
        g_assert_cmpint(calls, ==, 0);
    }

    aio_set_fd_handler(ctx, fds[0], NULL, NULL, NULL, NULL, NULL);
    for (i = 0; i < 3; i++) {
        aio_poll(ctx, false);
    }

    /* The context still works after the cleanup. */
    fired = false;
    timer_mod(timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 1);
    while (!fired) {
        aio_poll(ctx, true);
    }
    timer_free(timer);
    aio_context_unref(ctx);
}

/* ---------------------------------------------------------------------- */
/* main_loop_wait()                                                         */
/* ---------------------------------------------------------------------- */

static bool main_done;

static void *late_notifier(void *opaque)
{
    while (fault_injected("ppoll") < N_EINTR) {
        sched_yield();
    }
    qatomic_set(&main_done, true);
    qemu_notify_event();
    return NULL;
}

/*
 * The main loop's poll is interrupted: main_loop_wait() returns and the
 * caller's loop goes on; a cross-thread qemu_notify_event() after the
 * interruptions still wakes it, and a main-loop timer fires on time.
 */
static void test_main_loop_eintr(void)
{
    QemuThread thread;
    QEMUTimer *timer;
    int64_t deadline;
    bool fired = false;

    if (!fault_in_child()) {
        return;
    }
    /* qemu_init_main_loop() starts the clocks. */
    g_setenv("QEMUUTIL_FDMON", "poll", TRUE);
    g_assert_cmpint(qemu_init_main_loop(&error_abort), ==, 0);
    main_loop_wait(true);

    fault_arm("ppoll:EINTR:count=5");
    qemu_thread_create(&thread, "notifier", late_notifier, NULL,
                       QEMU_THREAD_JOINABLE);
    while (!qatomic_read(&main_done)) {
        main_loop_wait(false);
    }
    qemu_thread_join(&thread);
    g_assert_cmpuint(fault_injected("ppoll"), ==, N_EINTR);

    fault_arm("ppoll:EINTR:count=5");
    timer = timer_new_ns(QEMU_CLOCK_REALTIME, timer_fired, &fired);
    deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + 20 * SCALE_MS;
    timer_mod(timer, deadline);
    while (!fired) {
        main_loop_wait(false);
    }
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_REALTIME), >=, deadline);
    g_assert_cmpuint(fault_injected("ppoll"), ==, N_EINTR);
    fault_disarm();
    timer_free(timer);
}

int main(int argc, char **argv)
{
    static const char *const no_epoll[] = {
        "epoll:ENFILE", "epoll:EMFILE", "poll-epoll:ENFILE",
        "poll-epoll:ENOMEM",
    };
    unsigned i;
    char *path;

    g_test_init(&argc, &argv, NULL);
    /* Each child starts the clocks itself: the main-loop case must not. */

    for (i = 0; i < ARRAY_SIZE(wait_cases); i++) {
        path = g_strdup_printf("/fault/aio/%s/untimed-wait/%s:EINTR",
                               wait_cases[i].fdmon,
                               wait_cases[i].call_untimed);
        g_test_add_data_func(path, &wait_cases[i], test_eintr_untimed);
        g_free(path);
        path = g_strdup_printf("/fault/aio/%s/timed-wait/%s:EINTR",
                               wait_cases[i].fdmon,
                               wait_cases[i].call_timed);
        g_test_add_data_func(path, &wait_cases[i], test_eintr_timed);
        g_free(path);
        path = g_strdup_printf("/fault/aio/%s/fd-closed-under-handler",
                               wait_cases[i].fdmon);
        g_test_add_data_func(path, wait_cases[i].fdmon, test_closed_fd);
        g_free(path);
    }
    for (i = 0; i < ARRAY_SIZE(no_epoll); i++) {
        path = g_strdup_printf("/fault/aio/%s/epoll_create1-fails",
                               no_epoll[i]);
        g_test_add_data_func(path, no_epoll[i], test_no_epoll);
        g_free(path);
    }
    g_test_add_func("/fault/main-loop/wait/ppoll:EINTR",
                    test_main_loop_eintr);
    return g_test_run();
}
