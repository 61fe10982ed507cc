/*
 * qemuutil: an AioContext driven by glib through its GSource
 * (prepare/check/dispatch/finalize), the /aio-gsource/ behaviours.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The context is attached to the default GMainContext and nobody calls
 * aio_poll(): g_main_context_iteration() does all the work.  Its return
 * value says whether any source was dispatched, which exposes spurious
 * wake-ups of the context's own notifier.
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"

static AioContext *ctx;

static bool iterate(bool may_block)
{
    return g_main_context_iteration(NULL, may_block);
}

static void drain_glib(void)
{
    while (iterate(false)) {
        continue;
    }
}

typedef struct {
    QEMUBH *bh;
    int runs;
    int limit;
    bool delete_last;
} Counter;

static void counter_cb(void *opaque)
{
    Counter *c = opaque;

    c->runs++;
    if (c->runs < c->limit) {
        qemu_bh_schedule(c->bh);
    } else if (c->delete_last) {
        qemu_bh_delete(c->bh);
        c->bh = NULL;
    }
}

/*
 * Hard case first.  A BH that deletes itself calls aio_notify() from
 * dispatch; glib skipped check() for us (prepare() returned TRUE), so
 * notify_me bit 0 is still set and the eventfd is written: exactly one
 * more iteration reports a dispatch (draining it), then none.
 */
static void test_bh_delete_in_callback_one(void)
{
    Counter c = { .limit = 1, .delete_last = true };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    iterate(true);
    g_assert_cmpint(c.runs, ==, 1);
    g_assert_null(c.bh);
    g_assert_true(iterate(false));
    g_assert_false(iterate(false));
}

static void test_bh_delete_in_callback_many(void)
{
    Counter c[4] = {
        { .limit = 1, .delete_last = true },
        { .limit = 3, .delete_last = true },
        { .limit = 2, .delete_last = true },
        { .limit = 4, .delete_last = true },
    };
    int i;

    for (i = 0; i < 4; i++) {
        c[i].bh = aio_bh_new(ctx, counter_cb, &c[i]);
        qemu_bh_schedule(c[i].bh);
    }
    g_assert_true(iterate(false));
    for (i = 0; i < 4; i++) {
        g_assert_cmpint(c[i].runs, ==, 1);
    }
    drain_glib();
    for (i = 0; i < 4; i++) {
        g_assert_cmpint(c[i].runs, ==, c[i].limit);
        g_assert_null(c[i].bh);
    }
}

/* A plain BH run leaves no spurious wake-up behind. */
static void test_bh_schedule(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    g_assert_true(iterate(true));
    g_assert_cmpint(c.runs, ==, 1);
    g_assert_false(iterate(false));
    qemu_bh_delete(c.bh);
}

static void test_bh_schedule10(void)
{
    Counter c = { .limit = 10 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    g_assert_true(iterate(false));
    g_assert_cmpint(c.runs, ==, 1);
    g_assert_true(iterate(true));
    g_assert_cmpint(c.runs, ==, 2);
    drain_glib();
    g_assert_cmpint(c.runs, ==, 10);
    g_assert_false(iterate(false));
    qemu_bh_delete(c.bh);
}

static void test_bh_cancel(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    qemu_bh_cancel(c.bh);
    drain_glib();
    g_assert_cmpint(c.runs, ==, 0);
    qemu_bh_delete(c.bh);
}

static void test_bh_delete(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    qemu_bh_delete(c.bh);
    drain_glib();
    g_assert_cmpint(c.runs, ==, 0);
}

static void test_bh_flush(void)
{
    Counter c = { .limit = 1 };

    c.bh = aio_bh_new(ctx, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    g_assert_true(iterate(true));
    g_assert_cmpint(c.runs, ==, 1);
    g_assert_false(iterate(false));
    qemu_bh_delete(c.bh);
}

/* A bare aio_notify() is drained and then nothing is left. */
static void test_flush(void)
{
    g_assert_false(iterate(false));
    aio_notify(ctx);
    drain_glib();
    g_assert_false(iterate(false));
}

typedef struct {
    EventNotifier e;
    int reads;
    int rearm;
} Probe;

static void probe_read(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    g_assert_true(event_notifier_test_and_clear(e));
    p->reads++;
    if (p->rearm > 0 && --p->rearm > 0) {
        event_notifier_set(e);
    }
}

static void test_event_add_remove(void)
{
    Probe p = { .reads = 0 };

    event_notifier_init(&p.e, false);
    aio_set_event_notifier(ctx, &p.e, probe_read, NULL, NULL);
    drain_glib();
    aio_set_event_notifier(ctx, &p.e, NULL, NULL, NULL);
    drain_glib();
    g_assert_cmpint(p.reads, ==, 0);
    event_notifier_cleanup(&p.e);
}

static void test_event_wait(void)
{
    Probe p = { .reads = 0 };

    event_notifier_init(&p.e, false);
    aio_set_event_notifier(ctx, &p.e, probe_read, NULL, NULL);
    drain_glib();
    event_notifier_set(&p.e);
    g_assert_true(iterate(false));
    g_assert_cmpint(p.reads, ==, 1);
    drain_glib();
    g_assert_cmpint(p.reads, ==, 1);
    aio_set_event_notifier(ctx, &p.e, NULL, NULL, NULL);
    drain_glib();
    event_notifier_cleanup(&p.e);
}

static void test_event_flush(void)
{
    Probe p = { .rearm = 10 };

    event_notifier_init(&p.e, false);
    aio_set_event_notifier(ctx, &p.e, probe_read, NULL, NULL);
    drain_glib();
    event_notifier_set(&p.e);
    g_assert_true(iterate(false));
    g_assert_cmpint(p.reads, ==, 1);
    drain_glib();
    g_assert_cmpint(p.reads, ==, 10);
    g_assert_false(iterate(false));
    aio_set_event_notifier(ctx, &p.e, NULL, NULL, NULL);
    drain_glib();
    event_notifier_cleanup(&p.e);
}

static void test_event_wait_no_flush(void)
{
    Probe p = { .reads = 0 }, other = { .reads = 0 };

    event_notifier_init(&p.e, false);
    event_notifier_init(&other.e, false);
    aio_set_event_notifier(ctx, &p.e, probe_read, NULL, NULL);
    aio_set_event_notifier(ctx, &other.e, probe_read, NULL, NULL);
    drain_glib();

    event_notifier_set(&p.e);
    g_assert_true(iterate(false));
    g_assert_cmpint(p.reads, ==, 1);
    g_assert_false(iterate(false));
    event_notifier_set(&p.e);
    g_assert_true(iterate(false));
    g_assert_cmpint(p.reads, ==, 2);
    g_assert_false(iterate(false));

    event_notifier_set(&other.e);
    drain_glib();
    g_assert_cmpint(other.reads, ==, 1);
    g_assert_cmpint(p.reads, ==, 2);

    aio_set_event_notifier(ctx, &other.e, NULL, NULL, NULL);
    aio_set_event_notifier(ctx, &p.e, NULL, NULL, NULL);
    drain_glib();
    event_notifier_cleanup(&other.e);
    event_notifier_cleanup(&p.e);
}

static bool remote_done;

static void remote_bh(void *opaque)
{
    qatomic_set(&remote_done, true);
}

static void *schedule_from_thread(void *opaque)
{
    aio_bh_schedule_oneshot(ctx, remote_bh, NULL);
    return NULL;
}

/* A BH scheduled by another thread wakes a blocking glib iteration. */
static void test_cross_thread_wakes_glib(void)
{
    QemuThread t;

    remote_done = false;
    qemu_thread_create(&t, "scheduler", schedule_from_thread, NULL,
                       QEMU_THREAD_JOINABLE);
    while (!qatomic_read(&remote_done)) {
        iterate(true);
    }
    qemu_thread_join(&t);
    drain_glib();
}

static void quit_bh(void *opaque)
{
    g_main_loop_quit(opaque);
}

/* g_main_loop_run() runs the context's BHs. */
static void test_main_loop_run(void)
{
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);

    aio_bh_schedule_oneshot(ctx, quit_bh, loop);
    g_main_loop_run(loop);
    g_main_loop_unref(loop);
    drain_glib();
}

/* Lifetime follows the GSource refcount: destroy + last unref finalizes. */
static void test_private_context_lifecycle(void)
{
    GMainContext *gctx = g_main_context_new();
    AioContext *other = aio_context_new(&error_abort);
    GSource *src = aio_get_g_source(other);
    Counter c = { .limit = 1 };

    g_source_attach(src, gctx);
    c.bh = aio_bh_new(other, counter_cb, &c);
    qemu_bh_schedule(c.bh);
    while (c.runs == 0) {
        g_main_context_iteration(gctx, true);
    }
    qemu_bh_delete(c.bh);
    g_source_destroy(src);
    g_source_unref(src);
    aio_context_unref(other);       /* finalize runs here */
    g_main_context_unref(gctx);
}

int main(int argc, char **argv)
{
    GSource *src;

    g_test_init(&argc, &argv, NULL);

    ctx = aio_context_new(&error_abort);
    src = aio_get_g_source(ctx);
    g_source_attach(src, NULL);
    g_source_unref(src);
    drain_glib();

    g_test_add_func("/aio-gsource/bh/callback-delete/one",
                    test_bh_delete_in_callback_one);
    g_test_add_func("/aio-gsource/bh/callback-delete/many",
                    test_bh_delete_in_callback_many);
    g_test_add_func("/aio-gsource/bh/schedule", test_bh_schedule);
    g_test_add_func("/aio-gsource/bh/schedule10", test_bh_schedule10);
    g_test_add_func("/aio-gsource/bh/cancel", test_bh_cancel);
    g_test_add_func("/aio-gsource/bh/delete", test_bh_delete);
    g_test_add_func("/aio-gsource/bh/flush", test_bh_flush);
    g_test_add_func("/aio-gsource/flush", test_flush);
    g_test_add_func("/aio-gsource/event/add-remove", test_event_add_remove);
    g_test_add_func("/aio-gsource/event/wait", test_event_wait);
    g_test_add_func("/aio-gsource/event/flush", test_event_flush);
    g_test_add_func("/aio-gsource/event/wait/no-flush-cb",
                    test_event_wait_no_flush);
    g_test_add_func("/aio-gsource/cross-thread-wakes-glib",
                    test_cross_thread_wakes_glib);
    g_test_add_func("/aio-gsource/main-loop-run", test_main_loop_run);
    g_test_add_func("/aio-gsource/private-context-lifecycle",
                    test_private_context_lifecycle);
    return g_test_run();
}
