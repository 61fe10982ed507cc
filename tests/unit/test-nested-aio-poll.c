/*
 * qemuutil: a poll-ready handler that runs a nested aio_poll() must not be
 * re-entered by it (the scenario of QEMU's test-nested-aio-poll).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Two notifiers: "busy" is always ready from userspace (its io_poll returns
 * true) and its io_poll_ready runs a blocking nested aio_poll(); "kick" is
 * never ready from userspace and is only set to end that nested wait.  The
 * nested loop must return progress through "kick" without calling busy's
 * io_poll_ready again.
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"

/* State shared by the two notifiers' callbacks. */
typedef struct {
    AioContext *ctx;
    EventNotifier busy;
    EventNotifier kick;
    bool in_ready;
    int ready_calls;
} Nested;

static Nested nested;

static void drain(EventNotifier *e)
{
    event_notifier_test_and_clear(e);
}

static bool always(void *opaque)
{
    return true;
}

static bool never(void *opaque)
{
    return false;
}

static void busy_ready(EventNotifier *e)
{
    g_assert_false(nested.in_ready);
    nested.in_ready = true;
    nested.ready_calls++;

    event_notifier_set(&nested.kick);
    /* Must be satisfied by "kick", not by calling us again. */
    g_assert_true(aio_poll(nested.ctx, true));

    nested.in_ready = false;
}

static void kick_ready(EventNotifier *e)
{
    g_assert_not_reached();
}

static void test_nested_poll_ready(void)
{
    GSource *src;

    nested.ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(nested.ctx);
    /*
     * A generous maximum (1 s): polling starts only if the first blocking
     * poll below took less than this, which must hold on a slow run too
     * (valgrind takes well over a millisecond).
     */
    aio_context_set_poll_params(nested.ctx, NANOSECONDS_PER_SECOND, 2, 2,
                                &error_abort);

    /* Unused, but it switches the context to a glib-compatible monitor. */
    src = aio_get_g_source(nested.ctx);

    g_assert_cmpint(event_notifier_init(&nested.busy, true), ==, 0);
    aio_set_event_notifier(nested.ctx, &nested.busy, drain, always,
                           busy_ready);
    g_assert_cmpint(event_notifier_init(&nested.kick, false), ==, 0);
    aio_set_event_notifier(nested.ctx, &nested.kick, drain, never,
                           kick_ready);

    /* Registration notified the context; that alone is not progress. */
    g_assert_false(aio_poll(nested.ctx, false));

    /* First blocking poll: busy's fd is readable, io_read runs; polling of
     * the handler starts from here on. */
    g_assert_true(aio_poll(nested.ctx, true));
    g_assert_cmpint(nested.ready_calls, ==, 0);

    /* Now the userspace poll finds busy ready; twice, to show it lasts. */
    g_assert_true(aio_poll(nested.ctx, true));
    g_assert_cmpint(nested.ready_calls, ==, 1);
    g_assert_true(aio_poll(nested.ctx, true));
    g_assert_cmpint(nested.ready_calls, ==, 2);

    aio_set_event_notifier(nested.ctx, &nested.kick, NULL, NULL, NULL);
    aio_set_event_notifier(nested.ctx, &nested.busy, NULL, NULL, NULL);
    event_notifier_cleanup(&nested.kick);
    event_notifier_cleanup(&nested.busy);
    g_source_unref(src);
    aio_context_unref(nested.ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nested-aio-poll", test_nested_poll_ready);
    return g_test_run();
}
