/*
 * qemuutil: IOThread, a thread that runs its own AioContext until stopped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A small helper for programs and tests, with the interface of QEMU's
 * tests/unit/iothread.h (QEMU's -object iothread is a different, QOM
 * based thing).  The thread creates an AioContext, makes it its current
 * context, attaches its GSource to a GMainContext of its own (which it also
 * pushes as its thread-default context), registers with RCU, and then
 * loops on aio_poll(ctx, true) until iothread_join() stops it.
 *
 * Work reaches the thread through its context: aio_bh_schedule_oneshot(),
 * aio_co_schedule(), fd handlers and timers added with that context.
 *
 * Threading: iothread_new() and iothread_join() are called by the thread
 * that owns the IOThread (usually the main thread), never from inside the
 * IOThread itself.  iothread_get_aio_context() is thread-safe.
 */
#ifndef QEMU_IOTHREAD_H
#define QEMU_IOTHREAD_H

#include "block/aio.h"
#include "qemu/thread.h"

typedef struct IOThread IOThread;

/**
 * iothread_new:
 *
 * Start an IOThread.  Returns once its AioContext exists, so the caller
 * can schedule work on it right away.
 *
 * Returns: the IOThread; the caller owns it and stops it with
 * iothread_join().
 */
IOThread *iothread_new(void);

/**
 * iothread_get_aio_context:
 * @iothread: a running IOThread
 *
 * Returns: the thread's AioContext (no new reference).  Thread-safe.
 */
AioContext *iothread_get_aio_context(IOThread *iothread);

/**
 * iothread_join:
 * @iothread: an IOThread from iothread_new()
 *
 * Stop the thread (a oneshot BH in its context ends its loop after the
 * work already queued before it), wait for it to exit, and free it with
 * its AioContext (the context is only freed once every other reference,
 * aio_context_ref(), is dropped too).
 */
void iothread_join(IOThread *iothread);

#endif /* QEMU_IOTHREAD_H */
