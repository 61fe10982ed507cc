/*
 * qemuutil: the block-graph lock hooks that block/aio.h exposes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * In QEMU, block/graph-lock.c keeps one reader counter per AioContext so
 * the block layer can change its graph while no AioContext reads it.  The
 * event loop only has to announce each context it creates and destroys
 * (register_aiocontext()/unregister_aiocontext()) and keep a
 * BdrvGraphRWlock pointer for the block layer.  qemuutil has no block layer:
 * the two hooks are no-ops in stubs/graph-lock.c, and the lock annotations
 * below only exist so code written for QEMU's header compiles.  A QEMU build
 * uses QEMU's header and its real block/graph-lock.c.
 */
#ifndef GRAPH_LOCK_H
#define GRAPH_LOCK_H

#include "qemu/compiler.h"

/* Per-AioContext reader state of the graph lock; owned by the block layer. */
typedef struct BdrvGraphRWlock BdrvGraphRWlock;

/*
 * Clang thread-safety annotations of graph-lock users.  There is no
 * graph_lock capability in qemuutil, so they expand to nothing.
 */
#define GRAPH_WRLOCK
#define GRAPH_RDLOCK
#define GRAPH_UNLOCKED
#define GRAPH_RDLOCK_PTR
#define GRAPH_WRLOCK_PTR
#define GRAPH_UNLOCKED_PTR

/**
 * register_aiocontext:
 * @ctx: a context that was just created
 *
 * Called by aio_context_new() once @ctx is usable; the block layer
 * allocates ctx->bdrv_graph here.  Home thread of @ctx or the main thread.
 */
void register_aiocontext(AioContext *ctx);

/**
 * unregister_aiocontext:
 * @ctx: a context being finalized
 *
 * Called while @ctx is finalized; the block layer folds @ctx's reader
 * count into its global state and frees ctx->bdrv_graph.
 */
void unregister_aiocontext(AioContext *ctx);

#endif /* GRAPH_LOCK_H */
