/*
 * qemuutil: the part of QEMU's block layer API the event loop code uses.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Standalone support layer.  In QEMU, block/block.h is the block layer's
 * umbrella header and block/io.c implements these two functions; here they
 * live in util/block-aio-cancel.c, so that programs (and QEMU's own
 * test-thread-pool.c) can cancel thread-pool requests.
 */
#ifndef BLOCK_H
#define BLOCK_H

#include "block/aio.h"
#include "block/aio-wait.h"
#include "qemu/main-loop.h"

/**
 * bdrv_aio_cancel:
 * @acb: a request that has not completed yet
 *
 * Ask for @acb to be cancelled and wait until its completion callback has
 * run (with -ECANCELED, or with its normal result if it was too late to
 * stop it).  Runs the main loop's AioContext while waiting, so it must be
 * called from the main loop thread, for a request that completes there.
 * Prefer bdrv_aio_cancel_async().
 */
void bdrv_aio_cancel(BlockAIOCB *acb);

/**
 * bdrv_aio_cancel_async:
 * @acb: a request that has not completed yet
 *
 * Ask for @acb to be cancelled, without waiting.  Its completion callback
 * is still called later, exactly once.  Request types without a
 * cancel_async hook simply complete normally.  Home thread of the request.
 */
void bdrv_aio_cancel_async(BlockAIOCB *acb);

#endif /* BLOCK_H */
