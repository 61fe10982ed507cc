/*
 * test-gobject.c: the QemuUtil-1.0 GObject library from C.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Counts every callback and destroy notify exactly (a notify called twice
 * or never fails here, where Python could only see a refcount), checks
 * the GError domain and codes, the GSource door inside a GMainLoop, and
 * the rule that a destroy notify never overlaps its callback when another
 * thread deletes the handle.  Links only libqemuutil-gobject (and, through
 * it, the shim); qemu/osdep.h is included for the build's conventions.
 */
#include "qemu/osdep.h"
#include <sys/socket.h>
#include "qemuutil-gobject.h"

#define NS_PER_SEC G_GINT64_CONSTANT(1000000000)

/* A callback's counters; the notify also records whether a call ran. */
typedef struct {
    int calls;                  /* atomic: callbacks may run in a thread */
    int destroys;               /* atomic */
    int calls_at_destroy;       /* calls seen when the notify ran */
} Counter;

static void count_cb(gpointer opaque)
{
    Counter *c = opaque;

    g_atomic_int_inc(&c->calls);
}

static void count_destroy(gpointer opaque)
{
    Counter *c = opaque;

    c->calls_at_destroy = g_atomic_int_get(&c->calls);
    g_atomic_int_inc(&c->destroys);
}

static void count_fd_cb(gint fd, QemuUtilFdEvents events, gpointer opaque)
{
    Counter *c = opaque;
    char buf[16];

    g_assert_cmpint(events, ==, QEMU_UTIL_FD_READ);
    g_assert_cmpint(read(fd, buf, sizeof(buf)), >, 0);
    g_atomic_int_inc(&c->calls);
}

static QemuUtilAioContext *new_ctx(void)
{
    GError *err = NULL;
    QemuUtilAioContext *ctx = qemu_util_aio_context_new(&err);

    g_assert_no_error(err);
    g_assert_nonnull(ctx);
    return ctx;
}

static void drain(QemuUtilAioContext *ctx)
{
    while (qemu_util_aio_context_poll(ctx, FALSE, NULL)) {
        /* run everything that is ready */
    }
}

/* ---------------------------------------------------------------------- */

/*
 * Another thread deletes a BH while its callback runs here: the notify
 * must wait until the callback returned, then run exactly once.
 */
typedef struct {
    QemuUtilBH *bh;
    Counter c;
    gint in_cb;                 /* atomic */
    gint deleted;               /* atomic */
} OverlapState;

static void overlap_cb(gpointer opaque)
{
    OverlapState *s = opaque;

    g_atomic_int_set(&s->in_cb, 1);
    while (!g_atomic_int_get(&s->deleted)) {
        g_thread_yield();
    }
    /* The delete returned in the other thread: the notify must not have. */
    g_assert_cmpint(g_atomic_int_get(&s->c.destroys), ==, 0);
    g_atomic_int_inc(&s->c.calls);
}

static void overlap_destroy(gpointer opaque)
{
    OverlapState *s = opaque;

    count_destroy(&s->c);
}

static gpointer overlap_deleter(gpointer opaque)
{
    OverlapState *s = opaque;

    while (!g_atomic_int_get(&s->in_cb)) {
        g_thread_yield();
    }
    qemu_util_bh_delete(s->bh);
    g_atomic_int_set(&s->deleted, 1);
    return NULL;
}

static void test_delete_during_callback_other_thread(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    gint64 live0 = qemu_util_live_handles();
    OverlapState s = { 0 };
    GThread *t;
    int round;

    for (round = 0; round < 50; round++) {
        memset(&s, 0, sizeof(s));
        s.bh = qemu_util_bh_new(ctx, overlap_cb, &s, overlap_destroy);
        qemu_util_bh_schedule(s.bh);
        t = g_thread_new("deleter", overlap_deleter, &s);
        g_assert_true(qemu_util_aio_context_poll(ctx, TRUE, NULL));
        g_thread_join(t);
        drain(ctx);             /* a deferred notify runs here at last */
        g_assert_cmpint(s.c.calls, ==, 1);
        g_assert_cmpint(s.c.destroys, ==, 1);
        g_assert_cmpint(s.c.calls_at_destroy, ==, 1);
        qemu_util_bh_unref(s.bh);
    }
    g_assert_cmpint(qemu_util_live_handles(), ==, live0);
    qemu_util_aio_context_unref(ctx);
}

static void test_bh_destroy_once(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    Counter c = { 0 };
    QemuUtilBH *bh = qemu_util_bh_new(ctx, count_cb, &c, count_destroy);

    qemu_util_bh_schedule(bh);
    qemu_util_bh_schedule(bh);          /* coalesces */
    g_assert_true(qemu_util_aio_context_poll(ctx, FALSE, NULL));
    g_assert_cmpint(c.calls, ==, 1);
    qemu_util_bh_schedule(bh);
    qemu_util_bh_cancel(bh);
    g_assert_false(qemu_util_aio_context_poll(ctx, FALSE, NULL));
    g_assert_false(qemu_util_bh_is_deleted(bh));
    qemu_util_bh_delete(bh);
    g_assert_cmpint(c.destroys, ==, 1);
    qemu_util_bh_delete(bh);            /* idempotent */
    g_assert_true(qemu_util_bh_is_deleted(bh));
    qemu_util_bh_unref(bh);
    g_assert_cmpint(c.destroys, ==, 1);
    qemu_util_aio_context_unref(ctx);
}

static void test_bh_last_unref_deletes(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    Counter c = { 0 };
    QemuUtilBH *bh = qemu_util_bh_new(ctx, count_cb, &c, count_destroy);

    qemu_util_bh_ref(bh);
    qemu_util_bh_schedule(bh);
    qemu_util_bh_unref(bh);
    g_assert_cmpint(c.destroys, ==, 0);
    qemu_util_bh_unref(bh);             /* the last one: deleted */
    g_assert_cmpint(c.destroys, ==, 1);
    g_assert_false(qemu_util_aio_context_poll(ctx, FALSE, NULL));
    g_assert_cmpint(c.calls, ==, 0);
    qemu_util_aio_context_unref(ctx);
}

typedef struct {
    QemuUtilBH *bh;
    Counter c;
} SelfDelete;

static void self_delete_cb(gpointer opaque)
{
    SelfDelete *s = opaque;

    s->c.calls++;
    qemu_util_bh_delete(s->bh);
    /* Still inside the callback: the notify waits for us. */
    g_assert_cmpint(s->c.destroys, ==, 0);
}

static void self_delete_destroy(gpointer opaque)
{
    SelfDelete *s = opaque;

    count_destroy(&s->c);
}

static void test_bh_delete_in_own_callback(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    SelfDelete s = { 0 };

    s.bh = qemu_util_bh_new(ctx, self_delete_cb, &s, self_delete_destroy);
    qemu_util_bh_schedule(s.bh);
    g_assert_true(qemu_util_aio_context_poll(ctx, FALSE, NULL));
    g_assert_cmpint(s.c.calls, ==, 1);
    g_assert_cmpint(s.c.destroys, ==, 1);
    qemu_util_bh_unref(s.bh);
    qemu_util_aio_context_unref(ctx);
}

static void test_invoke_never_run_destroyed_once(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    gint64 live0 = qemu_util_live_handles();
    Counter c = { 0 }, once = { 0 };

    qemu_util_aio_context_invoke(ctx, count_cb, &c, count_destroy);
    qemu_util_aio_context_schedule_oneshot(ctx, count_cb, &once);
    g_assert_cmpint(qemu_util_live_handles(), ==, live0 + 2);
    qemu_util_aio_context_unref(ctx);   /* finalized before they ran */
    g_assert_cmpint(c.calls, ==, 0);
    g_assert_cmpint(c.destroys, ==, 1);
    g_assert_cmpint(once.calls, ==, 0);
    g_assert_cmpint(qemu_util_live_handles(), ==, live0 - 1);
}

static void test_invoke_runs_then_destroys(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    Counter c = { 0 }, once = { 0 };

    qemu_util_aio_context_invoke(ctx, count_cb, &c, count_destroy);
    qemu_util_aio_context_schedule_oneshot(ctx, count_cb, &once);
    drain(ctx);
    g_assert_cmpint(c.calls, ==, 1);
    g_assert_cmpint(c.destroys, ==, 1);
    g_assert_cmpint(c.calls_at_destroy, ==, 1);
    g_assert_cmpint(once.calls, ==, 1);
    qemu_util_aio_context_unref(ctx);
}

static void test_timer(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    Counter c = { 0 }, bad = { 0 };
    GError *err = NULL;
    QemuUtilTimer *t;
    gint64 now;

    /* An unknown clock: an error, and the notify already ran. */
    t = qemu_util_timer_new(ctx, (QemuUtilClock)42, count_cb, &bad,
                            count_destroy, &err);
    g_assert_null(t);
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_cmpint(bad.destroys, ==, 1);

    t = qemu_util_timer_new(ctx, QEMU_UTIL_CLOCK_REALTIME, count_cb, &c,
                            count_destroy, &err);
    g_assert_no_error(err);
    g_assert_false(qemu_util_timer_is_pending(t));
    g_assert_cmpint(qemu_util_timer_get_expire_ns(t), ==, -1);
    g_assert_cmpint(qemu_util_aio_context_get_timeout_ns(ctx), ==, -1);
    now = qemu_util_clock_get_ns(QEMU_UTIL_CLOCK_REALTIME);
    qemu_util_timer_mod_ns(t, now + 3600 * NS_PER_SEC);
    g_assert_true(qemu_util_timer_is_pending(t));
    g_assert_cmpint(qemu_util_aio_context_get_timeout_ns(ctx), >,
                    3500 * NS_PER_SEC);
    qemu_util_timer_cancel(t);
    g_assert_false(qemu_util_timer_is_pending(t));
    qemu_util_timer_mod_ns(t, now);
    while (c.calls == 0) {
        qemu_util_aio_context_poll(ctx, TRUE, NULL);
    }
    g_assert_false(qemu_util_timer_is_pending(t));
    qemu_util_timer_delete(t);
    g_assert_cmpint(c.destroys, ==, 1);
    qemu_util_timer_unref(t);
    qemu_util_aio_context_unref(ctx);
}

static void test_fd_watch_errors_and_dispatch(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    Counter c = { 0 }, bad = { 0 }, dup = { 0 };
    GError *err = NULL;
    QemuUtilFdWatch *w;
    int sv[2];

    g_assert_null(qemu_util_fd_watch_new(ctx, -1, QEMU_UTIL_FD_READ,
                                         count_fd_cb, &bad, count_destroy,
                                         &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BAD_FD);
    g_clear_error(&err);
    g_assert_cmpint(bad.destroys, ==, 1);

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    w = qemu_util_fd_watch_new(ctx, sv[0], QEMU_UTIL_FD_NONE, count_fd_cb,
                               &c, count_destroy, &err);
    g_assert_no_error(err);
    g_assert_null(qemu_util_fd_watch_new(ctx, sv[0], QEMU_UTIL_FD_WRITE,
                                         count_fd_cb, &dup, count_destroy,
                                         &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_cmpint(dup.destroys, ==, 1);

    g_assert_cmpint(write(sv[1], "x", 1), ==, 1);
    drain(ctx);
    g_assert_cmpint(c.calls, ==, 0);    /* paused */
    g_assert_true(qemu_util_fd_watch_set_events(w, QEMU_UTIL_FD_READ,
                                                &err));
    g_assert_cmpint(qemu_util_fd_watch_get_events(w), ==,
                    QEMU_UTIL_FD_READ);
    while (c.calls == 0) {
        qemu_util_aio_context_poll(ctx, TRUE, NULL);
    }
    qemu_util_fd_watch_delete(w);
    g_assert_cmpint(c.destroys, ==, 1);
    qemu_util_fd_watch_unref(w);
    close(sv[0]);
    close(sv[1]);
    qemu_util_aio_context_unref(ctx);
}

/* The watch's notify closes the notifier: re-entry must not deadlock. */
typedef struct {
    QemuUtilEventNotifier *n;
    Counter c;
} NotifierState;

static void notifier_cb(gpointer opaque)
{
    NotifierState *s = opaque;

    if (qemu_util_event_notifier_test_and_clear(s->n)) {
        s->c.calls++;
    }
}

static void notifier_destroy_closes(gpointer opaque)
{
    NotifierState *s = opaque;

    count_destroy(&s->c);
    qemu_util_event_notifier_close(s->n);
}

static void test_event_notifier(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    NotifierState s = { 0 };
    Counter busy = { 0 };
    GError *err = NULL;

    s.n = qemu_util_event_notifier_new(&err);
    g_assert_no_error(err);
    g_assert_cmpint(qemu_util_event_notifier_get_fd(s.n), >=, 0);
    g_assert_false(qemu_util_event_notifier_unwatch(s.n, &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_NOT_FOUND);
    g_clear_error(&err);

    g_assert_true(qemu_util_event_notifier_watch(s.n, ctx, notifier_cb, &s,
                                                 notifier_destroy_closes,
                                                 &err));
    g_assert_false(qemu_util_event_notifier_watch(s.n, ctx, count_cb,
                                                  &busy, count_destroy,
                                                  &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY);
    g_clear_error(&err);
    g_assert_cmpint(busy.destroys, ==, 1);

    g_assert_true(qemu_util_event_notifier_set(s.n, NULL));
    while (s.c.calls == 0) {
        qemu_util_aio_context_poll(ctx, TRUE, NULL);
    }
    g_assert_true(qemu_util_event_notifier_unwatch(s.n, &err));
    g_assert_no_error(err);
    g_assert_cmpint(s.c.destroys, ==, 1);
    /* The notify closed it; closing again is a no-op. */
    qemu_util_event_notifier_close(s.n);
    qemu_util_event_notifier_unref(s.n);
    qemu_util_aio_context_unref(ctx);
}

static void test_error_codes(void)
{
    GError *err = NULL;
    QemuUtilIOThread *io = qemu_util_iothread_new(&err);
    QemuUtilAioContext *ctx;

    g_assert_no_error(err);
    g_assert_cmpstr(g_quark_to_string(QEMU_UTIL_ERROR), ==,
                    "qemu-util-error-quark");
    ctx = qemu_util_iothread_get_aio_context(io);
    g_assert_false(qemu_util_aio_context_poll(ctx, FALSE, &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_WRONG_THREAD);
    g_clear_error(&err);
    g_assert_false(qemu_util_aio_context_attach(ctx, NULL, &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY);
    g_clear_error(&err);
    qemu_util_iothread_join(io);
    qemu_util_iothread_join(io);
    qemu_util_iothread_unref(io);

    /* Every code is its errno, so bindings can map to OSError. */
    g_assert_cmpint(QEMU_UTIL_ERROR_BUSY, ==, EBUSY);
    g_assert_cmpint(QEMU_UTIL_ERROR_WRONG_THREAD, ==, EPERM);
    g_assert_cmpint(QEMU_UTIL_ERROR_EXISTS, ==, EEXIST);
    g_assert_cmpint(QEMU_UTIL_ERROR_INVALID, ==, EINVAL);
    g_assert_true(G_TYPE_IS_ENUM(QEMU_UTIL_TYPE_ERROR));
    g_assert_true(G_TYPE_IS_FLAGS(QEMU_UTIL_TYPE_FD_EVENTS));
}

/* ---------------------------------------------------------------------- */
/* The GSource door                                                       */
/* ---------------------------------------------------------------------- */

typedef struct {
    GMainLoop *loop;
    int hits;                   /* loop thread only */
} LoopState;

static void loop_hit(gpointer opaque)
{
    LoopState *s = opaque;

    if (++s->hits == 3) {
        g_main_loop_quit(s->loop);
    }
}

static gpointer schedule_from_thread(gpointer bh)
{
    qemu_util_bh_schedule(bh);
    return NULL;
}

static gboolean watchdog(gpointer loop)
{
    g_error("watchdog: the GMainLoop never quit");
    return G_SOURCE_REMOVE;
}

static void test_gsource_in_gmainloop(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    GMainContext *mc = g_main_context_new();
    LoopState s = { .loop = g_main_loop_new(mc, FALSE) };
    Counter c = { 0 };
    GError *err = NULL;
    QemuUtilTimer *t;
    QemuUtilBH *bh;
    GSource *dog;
    GThread *th;

    g_assert_true(qemu_util_aio_context_attach(ctx, mc, &err));
    g_assert_true(qemu_util_aio_context_attach(ctx, mc, &err));
    g_assert_false(qemu_util_aio_context_attach(ctx, NULL, &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY);
    g_clear_error(&err);

    bh = qemu_util_bh_new(ctx, loop_hit, &s, NULL);
    t = qemu_util_timer_new(ctx, QEMU_UTIL_CLOCK_REALTIME, loop_hit, &s,
                            NULL, &err);
    qemu_util_timer_mod_ns(t, qemu_util_clock_get_ns(
                                  QEMU_UTIL_CLOCK_REALTIME) + 1000000);
    qemu_util_aio_context_invoke(ctx, loop_hit, &s, NULL);
    th = g_thread_new("scheduler", schedule_from_thread, bh);

    dog = g_timeout_source_new_seconds(10);
    g_source_set_callback(dog, watchdog, NULL, NULL);
    g_source_attach(dog, mc);
    g_main_loop_run(s.loop);
    g_source_destroy(dog);
    g_source_unref(dog);
    g_thread_join(th);
    g_assert_cmpint(s.hits, ==, 3);

    /* A BH deleted while attached: its notify comes (once). */
    qemu_util_bh_unref(bh);
    qemu_util_timer_unref(t);
    bh = qemu_util_bh_new(ctx, count_cb, &c, count_destroy);
    qemu_util_bh_schedule(bh);
    while (c.calls == 0) {
        g_main_context_iteration(mc, TRUE);
    }
    qemu_util_bh_unref(bh);
    g_assert_cmpint(c.destroys, ==, 1);

    qemu_util_aio_context_detach(ctx);
    g_assert_false(qemu_util_aio_context_attach(ctx, mc, &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY);
    g_clear_error(&err);
    qemu_util_aio_context_unref(ctx);
    g_main_loop_unref(s.loop);
    g_main_context_unref(mc);
}

static void test_poller(void)
{
    QemuUtilAioContext *ctx = new_ctx();
    GError *err = NULL;
    QemuUtilPoller *p = qemu_util_poller_new(ctx, &err);
    Counter c = { 0 };
    gint64 timeout;

    g_assert_no_error(err);
    g_assert_null(qemu_util_poller_new(ctx, &err));
    g_assert_error(err, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY);
    g_clear_error(&err);
    g_assert_cmpint(qemu_util_poller_get_fd(p), >=, 0);
    qemu_util_poller_iterate(p, &timeout);
    g_assert_cmpint(timeout, ==, -1);
    qemu_util_aio_context_invoke(ctx, count_cb, &c, count_destroy);
    while (c.calls == 0) {
        GPollFD pfd = { .fd = qemu_util_poller_get_fd(p), .events = G_IO_IN };

        g_assert_cmpint(g_poll(&pfd, 1, 10000), >=, 0);
        qemu_util_poller_iterate(p, &timeout);
    }
    g_assert_cmpint(c.destroys, ==, 1);
    qemu_util_poller_close(p);
    qemu_util_poller_close(p);          /* idempotent */
    qemu_util_poller_unref(p);
    qemu_util_aio_context_unref(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gobject/bh/delete-during-callback-other-thread",
                    test_delete_during_callback_other_thread);
    g_test_add_func("/gobject/bh/delete-in-own-callback",
                    test_bh_delete_in_own_callback);
    g_test_add_func("/gobject/bh/destroy-once", test_bh_destroy_once);
    g_test_add_func("/gobject/bh/last-unref-deletes",
                    test_bh_last_unref_deletes);
    g_test_add_func("/gobject/invoke/never-run-destroyed-once",
                    test_invoke_never_run_destroyed_once);
    g_test_add_func("/gobject/invoke/runs-then-destroys",
                    test_invoke_runs_then_destroys);
    g_test_add_func("/gobject/timer/errors-and-fire", test_timer);
    g_test_add_func("/gobject/fd-watch/errors-and-dispatch",
                    test_fd_watch_errors_and_dispatch);
    g_test_add_func("/gobject/event-notifier/close-from-notify",
                    test_event_notifier);
    g_test_add_func("/gobject/error/codes", test_error_codes);
    g_test_add_func("/gobject/gsource/gmainloop", test_gsource_in_gmainloop);
    g_test_add_func("/gobject/poller/iterate", test_poller);
    return g_test_run();
}
