/*
 * qemuutil: allocation and reference counting of BlockAIOCB requests.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A request type embeds BlockAIOCB as its first member and describes its
 * size in an AIOCBInfo.  The reference count is not atomic: a request is
 * referenced and released only in the AioContext it was submitted from.
 */
#include "qemu/osdep.h"
#include "block/aio.h"

/* Zeroed, so request types start from a known state. */
void *qemu_aio_get(const AIOCBInfo *aiocb_info, BlockDriverState *bs,
                   BlockCompletionFunc *cb, void *opaque)
{
    BlockAIOCB *head;

    /* The request type's own fields follow the common head. */
    assert(aiocb_info->aiocb_size >= sizeof(BlockAIOCB));
    head = g_malloc0(aiocb_info->aiocb_size);
    head->refcnt = 1;           /* the submitter's reference */
    head->aiocb_info = aiocb_info;
    head->cb = cb;
    head->opaque = opaque;
    head->bs = bs;
    return head;
}

void qemu_aio_ref(void *p)
{
    BlockAIOCB *acb = p;

    assert(acb->refcnt > 0);
    acb->refcnt++;
}

void qemu_aio_unref(void *p)
{
    BlockAIOCB *acb = p;

    if (acb->refcnt <= 0) {
        fprintf(stderr, "qemu_aio_unref: request %p has no reference left "
                "(released once too often)\n", p);
        abort();
    }
    acb->refcnt--;
    if (acb->refcnt == 0) {
        g_free(acb);
    }
}
