/*
 * qemuutil: adaptive userspace polling: per-handler poll time growth and
 * shrinking, the io_poll_ready path, io_poll_begin/end, and the
 * zero-system-call non-blocking aio_poll().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * White-box: the test wraps the context's fd monitor to count waits (each
 * one is a poll(2) system call; QEMUUTIL_FDMON=poll keeps it that way) and
 * reads a handler's poll time from util/aio-posix.h.
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"
#include "../../util/aio-posix.h"
#ifdef CONFIG_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

static AioContext *ctx;
static const FDMonOps *real_ops;
static int waits;

static int counting_wait(AioContext *c, AioHandlerList *ready, int64_t t)
{
    waits++;
    return real_ops->wait(c, ready, t);
}

static void counting_update(AioContext *c, AioHandler *o, AioHandler *n)
{
    real_ops->update(c, o, n);
}

static const FDMonOps counting_ops = {
    .update = counting_update,
    .wait = counting_wait,
    .need_wait = aio_poll_disabled,     /* like poll/epoll */
};

static void settle(void)
{
    while (aio_poll(ctx, false)) {
        continue;
    }
}

static AioHandler *handler_of(EventNotifier *e)
{
    AioHandler *node;

    QLIST_FOREACH(node, &ctx->aio_handlers, node) {
        if (node->pfd.fd == event_notifier_get_fd(e) &&
            !QLIST_IS_INSERTED(node, node_deleted)) {
            return node;
        }
    }
    g_assert_not_reached();
}

typedef struct {
    EventNotifier e;
    bool work;              /* what io_poll sees */
    int reads;
    int ready;
    int begins;
    int ends;
} Dev;

static Dev dev;

static void dev_read(EventNotifier *e)
{
    event_notifier_test_and_clear(e);
    dev.reads++;
}

static bool dev_poll(void *opaque)
{
    return qatomic_read(&dev.work);
}

static void dev_ready(EventNotifier *e)
{
    qatomic_set(&dev.work, false);
    dev.ready++;
}

static void dev_begin(EventNotifier *e)
{
    dev.begins++;
}

static void dev_end(EventNotifier *e)
{
    dev.ends++;
}

static void dev_setup(void)
{
    memset(&dev, 0, sizeof(dev));
    g_assert_cmpint(event_notifier_init(&dev.e, false), ==, 0);
    aio_set_event_notifier(ctx, &dev.e, dev_read, dev_poll, dev_ready);
    settle();
}

static void dev_teardown(void)
{
    aio_set_event_notifier(ctx, &dev.e, NULL, NULL, NULL);
    event_notifier_cleanup(&dev.e);
    aio_context_set_poll_params(ctx, 0, 0, 0, &error_abort);
    settle();
}

/*
 * Make the next blocking aio_poll() block for at least @ns: a helper
 * thread waits until the home thread is in its wait, spins @ns more, then
 * sets the device's notifier.  Only the measured block time depends on the
 * spin; the hand-off itself is synchronised through notify_me.
 */
typedef struct {
    int64_t ns;
} Delay;

static void *late_setter(void *opaque)
{
    Delay *d = opaque;
    int64_t until;

    while (qatomic_read(&ctx->notify_me) < 2) {
        g_usleep(0);
    }
    until = g_get_monotonic_time() * 1000 + d->ns;
    while (g_get_monotonic_time() * 1000 < until) {
        continue;
    }
    event_notifier_set(&dev.e);
    return NULL;
}

static void poll_after_block(int64_t ns)
{
    Delay d = { .ns = ns };
    QemuThread t;

    qemu_thread_create(&t, "late-setter", late_setter, &d,
                       QEMU_THREAD_JOINABLE);
    g_assert_true(aio_poll(ctx, true));
    qemu_thread_join(&t);
}

/*
 * Dispatch the device through its fd right away (nothing blocks), until the
 * poll time reads @expect.  Growth needs the measured block time to stay
 * under poll_max_ns, which a loaded machine can exceed once in a while; a
 * retry keeps the check meaningful without depending on timing.
 */
static void quick_dispatch_expect(int64_t expect)
{
    int tries;

    for (tries = 0; tries < 1000; tries++) {
        event_notifier_set(&dev.e);
        g_assert_true(aio_poll(ctx, true));
        if (handler_of(&dev.e)->poll.ns == expect) {
            return;
        }
    }
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, expect);
}

/* Hard cases first. */

/* With every handler pollable, aio_poll(false) makes no fd wait. */
static void test_no_syscall_when_all_pollable(void)
{
    EventNotifier plain;
    int before;

    dev_setup();
    g_assert_false(aio_poll_disabled(ctx));
    before = waits;
    g_assert_false(aio_poll(ctx, false));
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(waits, ==, before);

    /* One handler without io_poll: every aio_poll() must wait (poll). */
    event_notifier_init(&plain, false);
    aio_set_event_notifier(ctx, &plain, dev_read, NULL, NULL);
    g_assert_true(aio_poll_disabled(ctx));
    before = waits;
    aio_poll(ctx, false);
    aio_poll(ctx, false);
    g_assert_cmpint(waits, ==, before + 2);

    /* Removing it restores the fast path. */
    aio_set_event_notifier(ctx, &plain, NULL, NULL, NULL);
    event_notifier_cleanup(&plain);
    g_assert_false(aio_poll_disabled(ctx));
    settle();
    before = waits;
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(waits, ==, before);
    dev_teardown();
}

typedef struct {
    QEMUBH *bh;
    int runs;
} SelfBh;

static void self_bh(void *opaque)
{
    SelfBh *s = opaque;

    s->runs++;
    qemu_bh_schedule(s->bh);
}

/* A self-rescheduling BH driven by aio_poll(ctx, true): no wait either. */
static void test_bh_loop_no_syscall(void)
{
    SelfBh s = { 0 };
    int before, i;

    dev_setup();
    s.bh = aio_bh_new(ctx, self_bh, &s);
    qemu_bh_schedule(s.bh);
    before = waits;
    for (i = 0; i < 1000; i++) {
        g_assert_true(aio_poll(ctx, true));
    }
    g_assert_cmpint(s.runs, ==, 1000);
    g_assert_cmpint(waits, ==, before);
    /* And no eventfd write from qemu_bh_schedule(): nobody waited. */
    g_assert_cmpint(event_notifier_test_and_clear(&ctx->notifier), ==, 0);
    qemu_bh_delete(s.bh);
    dev_teardown();
}

/* Poll time starts at 0, becomes 4000 ns on the first quick dispatch. */
static void test_grows_from_zero(void)
{
    dev_setup();
    aio_context_set_poll_params(ctx, NANOSECONDS_PER_SECOND, 0, 0,
                                &error_abort);
    settle();
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 0);

    event_notifier_set(&dev.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(dev.reads, ==, 1);
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 4000);

    /* Blocked longer than the poll time, less than the max: doubles. */
    poll_after_block(200 * 1000);
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 8000);

    /* set_poll_params restarts every handler from 0. */
    aio_context_set_poll_params(ctx, NANOSECONDS_PER_SECOND, 3, 0,
                                &error_abort);
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 0);
    settle();
    event_notifier_set(&dev.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 4000);
    poll_after_block(200 * 1000);
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 12000);
    dev_teardown();
}

static void test_capped_and_shrinks(void)
{
#ifdef CONFIG_VALGRIND_H
    if (RUNNING_ON_VALGRIND) {
        /* The 3000 ns cap below needs a dispatch faster than that. */
        g_test_skip("needs dispatches within 3 us: too fast for valgrind");
        return;
    }
#endif
    dev_setup();
    /* Blocking beyond poll_max_ns shrinks the poll time. */
    aio_context_set_poll_params(ctx, 100 * 1000, 2, 2, &error_abort);
    settle();
    quick_dispatch_expect(4000);

    /* Blocked beyond the max: shrink by the divisor... */
    poll_after_block(1000 * 1000);
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 2000);

    /* ...or to 0 with shrink == 0. */
    aio_context_set_poll_params(ctx, 100 * 1000, 2, 0, &error_abort);
    settle();
    quick_dispatch_expect(4000);
    poll_after_block(1000 * 1000);
    g_assert_cmpint(handler_of(&dev.e)->poll.ns, ==, 0);

    /* A max of 3000 caps the very first step. */
    aio_context_set_poll_params(ctx, 3000, 2, 0, &error_abort);
    settle();
    quick_dispatch_expect(3000);
    dev_teardown();
}

/*
 * Once a handler has poll time, work visible to io_poll is found by
 * busy-polling: io_poll_ready runs (not io_read), and no fd wait happens.
 */
static void test_io_poll_ready_path(void)
{
    int before;

    dev_setup();
    aio_set_event_notifier_poll(ctx, &dev.e, dev_begin, dev_end);
    aio_context_set_poll_params(ctx, NANOSECONDS_PER_SECOND, 2, 2,
                                &error_abort);
    settle();
    event_notifier_set(&dev.e);
    g_assert_true(aio_poll(ctx, true));     /* via the fd; starts polling */
    g_assert_cmpint(dev.reads, ==, 1);

    before = waits;
    qatomic_set(&dev.work, true);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(dev.ready, ==, 1);
    g_assert_cmpint(dev.reads, ==, 1);
    g_assert_cmpint(waits, ==, before);
    g_assert_cmpint(dev.begins, ==, 1);
    g_assert_true(ctx->poll_started);

    /* Nothing to find: polling gives up, io_poll_end, then the fd wait. */
    qatomic_set(&dev.work, true);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(dev.ready, ==, 2);
    g_assert_false(aio_poll(ctx, false));
    dev_teardown();
    g_assert_cmpint(dev.ends, <=, dev.begins);
}

/* Leaving poll mode before a wait calls io_poll_end and polls once more. */
static void test_poll_end_final_poll(void)
{
    dev_setup();
    aio_set_event_notifier_poll(ctx, &dev.e, dev_begin, dev_end);
    aio_context_set_poll_params(ctx, NANOSECONDS_PER_SECOND, 2, 2,
                                &error_abort);
    settle();
    event_notifier_set(&dev.e);
    g_assert_true(aio_poll(ctx, true));
    qatomic_set(&dev.work, true);
    g_assert_true(aio_poll(ctx, true));     /* enters poll mode */
    g_assert_true(ctx->poll_started);
    g_assert_cmpint(dev.begins, ==, 1);

    /* A handler without io_poll forces the fd wait: poll mode ends, and
     * work that io_poll sees at that moment is still dispatched. */
    qatomic_set(&dev.work, true);
    {
        EventNotifier plain;

        event_notifier_init(&plain, false);
        aio_set_event_notifier(ctx, &plain, dev_read, NULL, NULL);
        g_assert_true(aio_poll(ctx, true));
        g_assert_false(ctx->poll_started);
        g_assert_cmpint(dev.ends, ==, 1);
        g_assert_cmpint(dev.ready, ==, 2);
        aio_set_event_notifier(ctx, &plain, NULL, NULL, NULL);
        event_notifier_cleanup(&plain);
    }
    dev_teardown();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_setenv("QEMUUTIL_FDMON", "poll", TRUE);

    ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(ctx);
    real_ops = ctx->fdmon_ops;
    g_assert(real_ops == &fdmon_poll_ops);
    ctx->fdmon_ops = &counting_ops;
    settle();

    g_test_add_func("/aio/poll/no-syscall-when-all-pollable",
                    test_no_syscall_when_all_pollable);
    g_test_add_func("/aio/poll/bh-loop-no-syscall", test_bh_loop_no_syscall);
    g_test_add_func("/aio/poll/io-poll-ready-path", test_io_poll_ready_path);
    g_test_add_func("/aio/poll/poll-end-final-poll",
                    test_poll_end_final_poll);
    g_test_add_func("/aio/poll/grows-from-zero", test_grows_from_zero);
    g_test_add_func("/aio/poll/capped-and-shrinks", test_capped_and_shrinks);
    return g_test_run();
}
