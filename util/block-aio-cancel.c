/*
 * qemuutil: cancelling BlockAIOCB requests (see include/block/block.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Standalone support layer: QEMU has these in block/io.c.
 */
#include "qemu/osdep.h"
#include "block/block.h"

void bdrv_aio_cancel(BlockAIOCB *acb)
{
    /*
     * Our reference keeps @acb alive through its completion; once the
     * completion has dropped the submitter's reference, ours is the last.
     */
    qemu_aio_ref(acb);
    bdrv_aio_cancel_async(acb);
    AIO_WAIT_WHILE_UNLOCKED(NULL, acb->refcnt > 1);
    qemu_aio_unref(acb);
}

void bdrv_aio_cancel_async(BlockAIOCB *acb)
{
    if (acb->aiocb_info->cancel_async) {
        acb->aiocb_info->cancel_async(acb);
    }
}
