/*
 * qemuutil: aio_wait_kick() and aio_wait_bh_oneshot().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "block/aio-wait.h"

/* Waiter count shared by every AIO_WAIT_WHILE() in the process. */
AioWait global_aio_wait;

static void wake_only_bh(void *opaque)
{
    /* Running at all makes the waiter's aio_poll() return. */
}

void aio_wait_kick(void)
{
    /*
     * The caller's condition change is ordered before our read of
     * num_waiters; AIO_WAIT_WHILE() orders its increment before reading the
     * condition.  One of the two sides sees the other.
     */
    smp_mb();
    if (qatomic_read(&global_aio_wait.num_waiters)) {
        aio_bh_schedule_oneshot(qemu_get_aio_context(), wake_only_bh, NULL);
    }
}

typedef struct {
    QEMUBHFunc *cb;
    void *opaque;
    bool done;              /* store-release in @ctx, load-acquire by the
                             * waiting main loop */
} OneshotWait;

static void oneshot_wait_bh(void *opaque)
{
    OneshotWait *w = opaque;

    w->cb(w->opaque);
    /*
     * Release: pairs with the load-acquire in aio_wait_bh_oneshot(), so
     * everything @cb did happens before the waiter returns to its caller.
     */
    qatomic_store_release(&w->done, true);
    aio_wait_kick();
}

void aio_wait_bh_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque)
{
    OneshotWait w = { .cb = cb, .opaque = opaque, .done = false };

    assert(qemu_get_current_aio_context() == qemu_get_aio_context());
    aio_bh_schedule_oneshot(ctx, oneshot_wait_bh, &w);
    /* Acquire: pairs with the store-release in oneshot_wait_bh(). */
    AIO_WAIT_WHILE_UNLOCKED(NULL, !qatomic_load_acquire(&w.done));
}
