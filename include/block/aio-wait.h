/*
 * qemuutil: AIO_WAIT_WHILE(), waiting for a condition while running an
 * event loop, and the kick that re-evaluates it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A thread that must wait for work done in another AioContext (an IOThread,
 * say) cannot block: it keeps running its own event loop until the
 * condition holds.  Whoever makes the condition true calls aio_wait_kick(),
 * which schedules a no-op BH in the main loop so that a waiting aio_poll()
 * returns and the condition is evaluated again.
 */
#ifndef QEMU_AIO_WAIT_H
#define QEMU_AIO_WAIT_H

#include "block/aio.h"
/* qemu_get_aio_context(), bql_locked() */
#include "qemu/main-loop.h"

/**
 * AioWait: the global waiter count.
 * @num_waiters: AIO_WAIT_WHILE() callers currently looping; atomic.  When
 *   zero, aio_wait_kick() does nothing.
 */
typedef struct {
    unsigned num_waiters;
} AioWait;


/**
 * AIO_WAIT_WHILE_INTERNAL:
 * @ctx: the context whose work we wait for, or NULL for the main loop
 * @cond: re-evaluated after every event-loop iteration
 *
 * In @ctx's home thread, run @ctx's loop; anywhere else the caller must be
 * in the main loop (current context == main context) and runs the main
 * loop, relying on aio_wait_kick() from the other side.  Raising
 * num_waiters before the first evaluation of @cond (full barrier, pairs
 * with aio_wait_kick()) ensures a kick cannot fall between the two.
 *
 * Returns (as an expression): true if it had to wait at all.
 */
#define AIO_WAIT_WHILE_INTERNAL(ctx, cond) ({                       \
    AioContext *aww_ctx_ = (ctx);                                   \
    AioWait *aww_wait_ = &global_aio_wait;                          \
    bool aww_waited_ = false;                                       \
    qatomic_inc(&aww_wait_->num_waiters);                           \
    smp_mb__after_rmw();                                            \
    if (!aww_ctx_ || !in_aio_context_home_thread(aww_ctx_)) {       \
        assert(qemu_get_current_aio_context() ==                    \
               qemu_get_aio_context());                             \
        aww_ctx_ = qemu_get_aio_context();                          \
    }                                                               \
    for (; (cond); aww_waited_ = true) {                            \
        aio_poll(aww_ctx_, true);                                   \
    }                                                               \
    qatomic_dec(&aww_wait_->num_waiters);                           \
    aww_waited_; })

/* The one instance, defined in util/aio-wait.c. */
extern AioWait global_aio_wait;

/* AIO_WAIT_WHILE: see AIO_WAIT_WHILE_INTERNAL(). */
#define AIO_WAIT_WHILE(ctx, cond) AIO_WAIT_WHILE_INTERNAL(ctx, cond)

/* Same as AIO_WAIT_WHILE() in QEMU 10.0 (no context lock to drop). */
#define AIO_WAIT_WHILE_UNLOCKED(ctx, cond) AIO_WAIT_WHILE_INTERNAL(ctx, cond)

/**
 * aio_wait_kick:
 *
 * Wake every AIO_WAIT_WHILE() caller so it re-evaluates its condition.
 * Call it after changing state a condition depends on.  Thread-safe; free
 * when nobody waits.
 */
void aio_wait_kick(void);

/**
 * aio_wait_bh_oneshot:
 * @ctx: context to run @cb in
 * @cb: callback
 * @opaque: argument for @cb
 *
 * Run @cb(@opaque) in @ctx's home thread and wait for it to finish.  Must
 * be called from the main loop (current context == main context).
 */
void aio_wait_bh_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque);

/**
 * in_aio_context_home_thread:
 * @ctx: an AioContext
 *
 * Returns: true if the calling thread may run @ctx's event loop: it is the
 * thread's current context, or @ctx is the main context and the caller
 * holds the BQL.
 */
static inline bool in_aio_context_home_thread(AioContext *ctx)
{
    AioContext *mine = qemu_get_current_aio_context();

    return ctx == mine || (ctx == qemu_get_aio_context() && bql_locked());
}

#endif /* QEMU_AIO_WAIT_H */
