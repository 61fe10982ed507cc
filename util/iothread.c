/*
 * qemuutil: IOThread, a thread that runs its own AioContext until stopped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Standalone support code, not part of the swap set: QEMU builds the same
 * helper from tests/unit/iothread.c.  See include/qemu/iothread.h.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/iothread.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
#include "block/aio.h"

struct IOThread {
    QemuThread thread;

    /*
     * Written by the thread before it sets @ready; constant afterwards.
     * qemu_event_set()/qemu_event_wait() order the writes before the
     * creator's reads.
     */
    AioContext *ctx;
    GMainContext *gctx;     /* holds ctx's GSource; the thread's default */
    QemuEvent ready;

    /* Set by the stop BH in the thread itself; read by its loop. */
    bool stopping;
};

static void *iothread_run(void *opaque)
{
    IOThread *iothread = opaque;
    GSource *src;

    rcu_register_thread();

    iothread->ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(iothread->ctx);

    /*
     * Give the context's GSource a GMainContext: GLib before 2.64 did not
     * make g_source_ref()/unref() thread-safe for sources attached to no
     * context, and BHs take references from any thread.  Making it the
     * thread default also lets GLib code run in this thread find it.
     */
    iothread->gctx = g_main_context_new();
    src = aio_get_g_source(iothread->ctx);
    g_source_attach(src, iothread->gctx);
    g_source_unref(src);
    g_main_context_push_thread_default(iothread->gctx);

    qemu_event_set(&iothread->ready);

    while (!qatomic_read(&iothread->stopping)) {
        aio_poll(iothread->ctx, true);
    }

    g_main_context_pop_thread_default(iothread->gctx);
    rcu_unregister_thread();
    return NULL;
}

/* Runs in the IOThread: ends its loop once aio_poll() returns. */
static void iothread_stop_bh(void *opaque)
{
    IOThread *iothread = opaque;

    qatomic_set(&iothread->stopping, true);
}

IOThread *iothread_new(void)
{
    IOThread *iothread = g_new0(IOThread, 1);

    qemu_event_init(&iothread->ready, false);
    qemu_thread_create(&iothread->thread, "iothread", iothread_run,
                       iothread, QEMU_THREAD_JOINABLE);
    qemu_event_wait(&iothread->ready);
    return iothread;
}

void iothread_join(IOThread *iothread)
{
    aio_bh_schedule_oneshot(iothread->ctx, iothread_stop_bh, iothread);
    qemu_thread_join(&iothread->thread);

    /*
     * Destroying the GMainContext detaches the context's GSource; the
     * AioContext goes when its last reference does.
     */
    g_main_context_unref(iothread->gctx);
    aio_context_unref(iothread->ctx);
    qemu_event_destroy(&iothread->ready);
    g_free(iothread);
}

AioContext *iothread_get_aio_context(IOThread *iothread)
{
    return iothread->ctx;
}
