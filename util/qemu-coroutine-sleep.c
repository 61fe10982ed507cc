/*
 * qemuutil: sleeping coroutines (qemu_co_sleep(), the timed variant and
 * qemu_co_sleep_wake()).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QemuCoSleep.to_wake has three states:
 *   NULL          idle: nobody sleeps, no wake pending;
 *   WAKE_PENDING  a wake came while nobody slept (or the sleeper has been
 *                 woken and has not run yet);
 *   a coroutine   that coroutine sleeps on the slot.
 * Wakers swap WAKE_PENDING in; whoever finds a coroutine there owns its
 * wake-up.  The sleeper installs itself with a cmpxchg from NULL, so a
 * wake that arrived first is seen and consumed without yielding (the
 * "sticky" wake of this QEMU tree; see /locking/co-sleep/wake-before-sleep
 * in tests/unit/test-coroutine.c).  Whichever way the sleep ends, the
 * sleeper leaves the slot NULL (util/qemu-co-timeout.c asserts this).
 */
#include "qemu/osdep.h"
#include "qemu/coroutine_int.h"
#include "qemu/timer.h"
#include "block/aio.h"

/* Marks a coroutine as parked here in Coroutine.scheduled. */
static const char co_sleep_scheduler[] = "qemu_co_sleep_ns";

/* The "wake pending" value of QemuCoSleep.to_wake; never a real pointer. */
#define WAKE_PENDING ((Coroutine *)(uintptr_t)1)

void qemu_co_sleep_wake(QemuCoSleep *w)
{
    Coroutine *sleeper = qatomic_xchg(&w->to_wake, WAKE_PENDING);
    const char *was;

    if (sleeper == NULL || sleeper == WAKE_PENDING) {
        /* Left pending for the next sleep, or merged with the last wake. */
        return;
    }

    /*
     * We own the wake-up.  Clear the "scheduled" mark before entering,
     * which qemu_aio_coroutine_enter() checks; the xchg above ordered our
     * read of @sleeper after the sleeper's cmpxchg published it.
     */
    was = qatomic_cmpxchg(&sleeper->scheduled, co_sleep_scheduler, NULL);
    if (was != co_sleep_scheduler) {
        fprintf(stderr, "qemu_co_sleep_wake: coroutine %p sleeps but is "
                "marked as scheduled by %s\n", (void *)sleeper,
                was ? was : "nobody");
        abort();
    }
    aio_co_wake(sleeper);
}

void coroutine_fn qemu_co_sleep(QemuCoSleep *w)
{
    Coroutine *self = qemu_coroutine_self();
    const char *was;
    Coroutine *found;

    /*
     * Mark ourselves first: a wake-up from elsewhere must not enter us
     * through another path while we are parked here.
     */
    was = qatomic_cmpxchg(&self->scheduled, NULL, co_sleep_scheduler);
    if (was) {
        fprintf(stderr, "qemu_co_sleep: coroutine %p is already scheduled "
                "by %s(); it cannot sleep as well\n", (void *)self, was);
        abort();
    }

    found = qatomic_cmpxchg(&w->to_wake, NULL, self);
    if (found == WAKE_PENDING) {
        /* A wake beat us here: take it and do not sleep. */
        qatomic_set(&w->to_wake, NULL);
        qatomic_set(&self->scheduled, NULL);
        return;
    }
    if (found != NULL) {
        fprintf(stderr, "qemu_co_sleep: coroutine %p sleeps on a "
                "QemuCoSleep that coroutine %p already sleeps on\n",
                (void *)self, (void *)found);
        abort();
    }

    qemu_coroutine_yield();

    /* The waker left WAKE_PENDING behind; back to idle. */
    qatomic_set(&w->to_wake, NULL);
}

/* Timer callback of qemu_co_sleep_ns_wakeable(). */
static void co_sleep_timer_cb(void *opaque)
{
    qemu_co_sleep_wake(opaque);
}

void coroutine_fn qemu_co_sleep_ns_wakeable(QemuCoSleep *w,
                                            QEMUClockType type, int64_t ns)
{
    QEMUTimer timer;
    AioContext *ctx = qemu_get_current_aio_context();

    aio_timer_init(ctx, &timer, type, SCALE_NS, co_sleep_timer_cb, w);
    timer_mod(&timer, qemu_clock_get_ns(type) + ns);

    /*
     * Should the timer fire (in another thread's context) before we are
     * parked, its wake stays pending and qemu_co_sleep() returns at once.
     */
    qemu_co_sleep(w);
    timer_del(&timer);
}
