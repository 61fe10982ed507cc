/*
 * qemuutil: main-loop declarations (PROVISIONAL subset).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Provisional: only the declarations the AioContext code needs before the
 * main-loop issue lands.  That issue replaces this file with QEMU 10.0's
 * full include/qemu/main-loop.h (qemu_init_main_loop(), main_loop_wait(),
 * the BQL, iohandlers...).  Until then stubs/main-loop-stub.c defines the
 * functions: there is no main AioContext and the BQL is never held.
 */
#ifndef QEMU_MAIN_LOOP_H
#define QEMU_MAIN_LOOP_H

#include "block/aio.h"

/**
 * qemu_get_aio_context:
 *
 * Returns: the main loop's AioContext (NULL before qemu_init_main_loop()).
 */
AioContext *qemu_get_aio_context(void);

/**
 * iohandler_get_aio_context:
 *
 * Returns: the context of the main loop's fd handlers (qemu_set_fd_handler()),
 * which runs in the main thread without being its current context.
 */
AioContext *iohandler_get_aio_context(void);

/**
 * bql_locked:
 *
 * Returns: true if the calling thread holds the Big QEMU Lock.
 */
bool bql_locked(void);

/**
 * qemu_notify_event:
 *
 * Wake the main loop so it recomputes its timeouts.  Thread-safe; does
 * nothing before qemu_init_main_loop().
 */
void qemu_notify_event(void);

/**
 * qemu_bh_schedule_idle:
 * @bh: a bottom half
 *
 * Schedule @bh as an idle BH: it runs within about 10 ms even if nothing
 * else wakes the loop, and running it is not progress for aio_poll().
 * Thread-safe.
 */
void qemu_bh_schedule_idle(QEMUBH *bh);

#endif /* QEMU_MAIN_LOOP_H */
