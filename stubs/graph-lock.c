/*
 * qemuutil: no-op block-graph hooks for builds without a block layer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU links its real block/graph-lock.c ahead of the libqemuutil archive,
 * so these archive members are only picked when nothing else defines the
 * hooks (qemuutil itself, and QEMU's tests that do not link the block layer).
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "block/graph-lock.h"

void register_aiocontext(AioContext *ctx)
{
    /* No block graph: nothing to attach to ctx->bdrv_graph. */
}

void unregister_aiocontext(AioContext *ctx)
{
}
