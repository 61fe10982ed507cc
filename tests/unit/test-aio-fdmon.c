/*
 * qemuutil: fd monitor selection (QEMUUTIL_FDMON), the poll -> epoll switch
 * at 64 fds with handlers added and removed mid-dispatch, and identical
 * behaviour under every monitor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each case runs in a fresh thread with a fresh AioContext, because a
 * thread's current context can only be set once and the monitor is chosen
 * when the context is created.
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/thread.h"
#include "../../util/aio-posix.h"

/*
 * MON_POLL_EPOLL is QEMU's default without io_uring: poll(2) with the
 * upgrade to epoll at 64 handlers.  MON_DEFAULT is io_uring where it is
 * built and allowed, else the same as MON_POLL_EPOLL.
 */
typedef enum { MON_DEFAULT, MON_POLL, MON_EPOLL, MON_POLL_EPOLL } Monitor;

static AioContext *ctx;

static void *case_thread(void *opaque)
{
    void (*body)(void) = opaque;

    ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(ctx);
    while (aio_poll(ctx, false)) {
        continue;
    }
    body();
    aio_context_unref(ctx);
    ctx = NULL;
    return NULL;
}

static void run_case(Monitor mon, void (*body)(void))
{
    QemuThread t;

    switch (mon) {
    case MON_DEFAULT:
        g_unsetenv("QEMUUTIL_FDMON");
        break;
    case MON_POLL:
        g_setenv("QEMUUTIL_FDMON", "poll", TRUE);
        break;
    case MON_EPOLL:
        g_setenv("QEMUUTIL_FDMON", "epoll", TRUE);
        break;
    case MON_POLL_EPOLL:
        g_setenv("QEMUUTIL_FDMON", "poll-epoll", TRUE);
        break;
    }
    qemu_thread_create(&t, "case", case_thread, body, QEMU_THREAD_JOINABLE);
    qemu_thread_join(&t);
    g_unsetenv("QEMUUTIL_FDMON");
}

static bool using_epoll(void)
{
    return ctx->fdmon_ops != &fdmon_poll_ops && ctx->epollfd >= 0;
}

static void settle(void)
{
    while (aio_poll(ctx, false)) {
        continue;
    }
}

#define MAX_FDS 256

typedef struct Fd {
    EventNotifier e;
    int reads;
    bool registered;
} Fd;

static Fd fds[MAX_FDS];
static int grow_to;         /* the trigger adds handlers up to this index */
static int shrink_to;       /* ...or removes handlers above this index */

static void fd_read(EventNotifier *e);

static void fd_register(int i)
{
    aio_set_event_notifier(ctx, &fds[i].e, fd_read, NULL, NULL);
    fds[i].registered = true;
}

static void fd_unregister(int i)
{
    aio_set_event_notifier(ctx, &fds[i].e, NULL, NULL, NULL);
    fds[i].registered = false;
}

static void fd_read(EventNotifier *e)
{
    Fd *f = container_of(e, Fd, e);
    int i;

    event_notifier_test_and_clear(e);
    f->reads++;
    /* fds[0] is the trigger: it reshapes the handler set mid-dispatch. */
    if (f != &fds[0]) {
        return;
    }
    for (i = 1; i < grow_to; i++) {
        if (!fds[i].registered) {
            fd_register(i);
        }
    }
    for (i = MAX_FDS - 1; i > shrink_to; i--) {
        if (fds[i].registered) {
            fd_unregister(i);
        }
    }
}

static void fds_init(void)
{
    int i;

    memset(fds, 0, sizeof(fds));
    for (i = 0; i < MAX_FDS; i++) {
        g_assert_cmpint(event_notifier_init(&fds[i].e, false), ==, 0);
    }
    grow_to = 0;
    shrink_to = MAX_FDS;
}

static void fds_fini(void)
{
    int i;

    for (i = 0; i < MAX_FDS; i++) {
        if (fds[i].registered) {
            fd_unregister(i);
        }
        event_notifier_cleanup(&fds[i].e);
    }
    settle();
}

/* Set fd @i and check that exactly it runs in one blocking aio_poll(). */
static void fire(int i)
{
    int before = fds[i].reads, j, total = 0;

    event_notifier_set(&fds[i].e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(fds[i].reads, ==, before + 1);
    for (j = 0; j < MAX_FDS; j++) {
        total += fds[j].reads;
    }
    settle();
    for (j = 0; j < MAX_FDS; j++) {
        total -= fds[j].reads;
    }
    g_assert_cmpint(total, ==, 0);       /* nothing else ran */
}

/* Hard case first. */
static void body_switch_up_mid_dispatch(void)
{
    int i;

    fds_init();
    for (i = 0; i < 10; i++) {
        fd_register(i);
    }
    fire(3);
    g_assert_false(using_epoll());

    /* The trigger adds 90 handlers from inside its callback. */
    grow_to = 100;
    fire(0);
    /* The next wait sees >= 64 fds and switches for good. */
    fire(57);
    g_assert_true(using_epoll());
    fire(99);
    fire(1);

    /* Remove most handlers mid-dispatch: no switch back. */
    grow_to = 0;
    shrink_to = 2;
    fire(0);
    g_assert_true(using_epoll());
    for (i = 3; i < MAX_FDS; i++) {
        g_assert_false(fds[i].registered);
    }
    fire(1);
    fire(2);

    /* Add again, replace one: still correct under epoll. */
    grow_to = 80;
    shrink_to = MAX_FDS;
    fire(0);
    fd_register(70);                    /* replacement of a live handler */
    fire(70);
    fds_fini();
}

static void test_switch_up_mid_dispatch(void)
{
    run_case(MON_POLL_EPOLL, body_switch_up_mid_dispatch);
}

typedef struct {
    EventNotifier e;
    bool saw_poll_inside;
} Nester;

static Nester nester;

static void nester_read(EventNotifier *e)
{
    int i;

    event_notifier_test_and_clear(e);
    for (i = 1; i < 100; i++) {
        fd_register(i);
    }
    /* A nested wait cannot upgrade: the outer walk holds a count. */
    event_notifier_set(&fds[50].e);
    while (fds[50].reads == 0) {
        aio_poll(ctx, true);
    }
    nester.saw_poll_inside = !using_epoll();
}

static void body_no_switch_when_nested(void)
{
    fds_init();
    event_notifier_init(&nester.e, false);
    aio_set_event_notifier(ctx, &nester.e, nester_read, NULL, NULL);
    event_notifier_set(&nester.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_true(nester.saw_poll_inside);
    /* The outermost loop switches on its next wait. */
    fire(10);
    g_assert_true(using_epoll());
    aio_set_event_notifier(ctx, &nester.e, NULL, NULL, NULL);
    event_notifier_cleanup(&nester.e);
    fds_fini();
}

static void test_no_switch_when_nested(void)
{
    run_case(MON_POLL_EPOLL, body_no_switch_when_nested);
}

static void body_forced_poll(void)
{
    int i;

    g_assert_cmpint(ctx->epollfd, ==, -1);
    fds_init();
    for (i = 0; i < 200; i++) {
        fd_register(i);
    }
    fire(150);
    g_assert_true(ctx->fdmon_ops == &fdmon_poll_ops);
    fds_fini();
}

static void test_forced_poll(void)
{
    run_case(MON_POLL, body_forced_poll);
}

static void body_forced_epoll(void)
{
    int i;

    g_assert_true(using_epoll());
    fds_init();
    for (i = 0; i < 3; i++) {
        fd_register(i);
    }
    fire(2);
    g_assert_true(using_epoll());
    fds_fini();
}

static void test_forced_epoll(void)
{
    run_case(MON_EPOLL, body_forced_epoll);
}

static void never_called(void *opaque)
{
    g_assert_not_reached();
}

/* epoll refuses a closed fd: the context falls back to poll for good. */
static void body_epoll_bad_fd_falls_back(void)
{
    int p[2];

    fds_init();
    fd_register(0);
    g_assert_true(using_epoll());
    g_assert_cmpint(pipe(p), ==, 0);
    close(p[0]);
    close(p[1]);
    aio_set_fd_handler(ctx, p[0], never_called, NULL, NULL, NULL, NULL);
    g_assert_true(ctx->fdmon_ops == &fdmon_poll_ops);
    g_assert_cmpint(ctx->epollfd, ==, -1);
    aio_poll(ctx, false);
    aio_set_fd_handler(ctx, p[0], NULL, NULL, NULL, NULL, NULL);
    fire(0);
    fds_fini();
}

static void test_epoll_bad_fd_falls_back(void)
{
    run_case(MON_EPOLL, body_epoll_bad_fd_falls_back);
}

/* The same script under every monitor, with the same observable results. */
static void remove_self(EventNotifier *e)
{
    Fd *f = container_of(e, Fd, e);

    f->reads++;
    aio_set_event_notifier(ctx, e, NULL, NULL, NULL);
    f->registered = false;
}

static void remove_neighbour(EventNotifier *e)
{
    Fd *f = container_of(e, Fd, e);
    Fd *other = f == &fds[1] ? &fds[2] : &fds[1];

    event_notifier_test_and_clear(e);
    f->reads++;
    aio_set_event_notifier(ctx, &other->e, NULL, NULL, NULL);
    other->registered = false;
}

static void body_same_behaviour(void)
{
    int i;

    fds_init();
    for (i = 0; i < 8; i++) {
        fd_register(i);
    }
    for (i = 0; i < 8; i++) {
        fire(i);
    }

    /* Self-removal from the callback, fd left readable. */
    aio_set_event_notifier(ctx, &fds[5].e, remove_self, NULL, NULL);
    event_notifier_set(&fds[5].e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(fds[5].reads, ==, 2);

    /* Two ready handlers removing each other: exactly one runs. */
    aio_set_event_notifier(ctx, &fds[1].e, remove_neighbour, NULL, NULL);
    aio_set_event_notifier(ctx, &fds[2].e, remove_neighbour, NULL, NULL);
    event_notifier_set(&fds[1].e);
    event_notifier_set(&fds[2].e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(fds[1].reads + fds[2].reads, ==, 3);
    settle();
    g_assert_cmpint(fds[1].reads + fds[2].reads, ==, 3);
    fds_fini();
}

static void test_same_default(void)
{
    run_case(MON_DEFAULT, body_same_behaviour);
}

static void test_same_poll(void)
{
    run_case(MON_POLL, body_same_behaviour);
}

static void test_same_epoll(void)
{
    run_case(MON_EPOLL, body_same_behaviour);
}

/* Every path here is under /aio/fdmon/. */
#define FDMON_TEST(path, fn) g_test_add_func("/aio/fdmon/" path, fn)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    FDMON_TEST("epoll/switch-up-mid-dispatch", test_switch_up_mid_dispatch);
    FDMON_TEST("epoll/no-switch-when-nested", test_no_switch_when_nested);
    FDMON_TEST("epoll/bad-fd-falls-back", test_epoll_bad_fd_falls_back);
    FDMON_TEST("forced/poll", test_forced_poll);
    FDMON_TEST("forced/epoll", test_forced_epoll);
    FDMON_TEST("same-behaviour/default", test_same_default);
    FDMON_TEST("same-behaviour/poll", test_same_poll);
    FDMON_TEST("same-behaviour/epoll", test_same_epoll);
    return g_test_run();
}
