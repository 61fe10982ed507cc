/*
 * qemuutil: worker thread pools for blocking work.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Two pools live here.
 *
 * ThreadPoolAio belongs to one AioContext (aio_get_thread_pool() creates it
 * on first use).  Code running in that context hands it a function that may
 * block (a read(), an fsync()...); a worker thread runs the function and the
 * result comes back as a callback, or a coroutine wake-up, in the context
 * that submitted it.  Requests still waiting for a worker can be cancelled.
 *
 * ThreadPool is a plain pool of GLib threads with no AioContext: work is
 * fire-and-forget and the owner waits for all of it with thread_pool_wait().
 *
 * Unless a function says otherwise, the AioContext API is "home thread
 * only": call it from the thread running the pool's AioContext.
 */
#ifndef QEMU_THREAD_POOL_H
#define QEMU_THREAD_POOL_H

#include "block/aio.h"

/* Default upper bound on an AioContext pool's workers (thread-pool-max). */
/*
 * ThreadPoolFunc: work run in a worker thread.
 * @opaque: the argument given at submission
 *
 * Returns: the result passed on to the completion (0 or -errno by the
 * convention of the block layer, but any int goes through unchanged).
 */
typedef int ThreadPoolFunc(void *opaque);

/* ------------------------------------------------------------------ */
/* Per-AioContext pool                                                */
/* ------------------------------------------------------------------ */

/* The per-AioContext pool; its layout is private to util/thread-pool.c. */
typedef struct ThreadPoolAio ThreadPoolAio;

#define THREAD_POOL_MAX_THREADS_DEFAULT         64

/**
 * thread_pool_submit_co:
 * @func: the work, run in a worker thread
 * @arg: argument for @func
 *
 * Coroutine version of thread_pool_submit_aio(): the calling coroutine
 * yields until @func has run, and is re-entered from the completion bottom
 * half of its current AioContext.  Must be called in a coroutine.
 *
 * Returns: @func's result.
 */
int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *func, void *arg);

/**
 * thread_pool_submit_aio:
 * @func: the work, run in a worker thread
 * @arg: argument for @func
 * @cb: completion callback, or NULL when nobody needs the result
 * @opaque: argument for @cb
 *
 * Queue @func(@arg) on the pool of the calling thread's current AioContext
 * (qemu_get_current_aio_context(); the thread must have one).  When it has
 * run, @cb(@opaque, result) is called from a bottom half of that same
 * context, never from inside this function, even if the work is already
 * done by the time it returns.
 *
 * The returned request belongs to the pool: it stays valid until @cb has
 * returned.  It can be passed to bdrv_aio_cancel_async() (or
 * bdrv_aio_cancel()) before then: a request that no worker has picked up
 * yet completes with -ECANCELED without running @func; one that is running
 * or finished completes normally.  Either way @cb is called exactly once.
 *
 * Returns: the request.
 */
BlockAIOCB *thread_pool_submit_aio(ThreadPoolFunc *func, void *arg,
                                   BlockCompletionFunc *cb,
                                   void *opaque);

/**
 * thread_pool_update_params:
 * @pool: a pool
 * @ctx: the context whose thread_pool_min and thread_pool_max to apply
 *
 * Apply new bounds: start workers up to the minimum, and make workers
 * above the maximum exit once they are idle.  Called by
 * aio_context_set_thread_pool_params().  Thread-safe.
 */
void thread_pool_update_params(ThreadPoolAio *pool,
                               struct AioContext *ctx);

/**
 * thread_pool_new_aio:
 * @ctx: the context completions are delivered to; NULL means the main
 *       loop's context
 *
 * Create a pool bound to @ctx, sized by @ctx's thread-pool-min and
 * thread-pool-max.  Workers are started lazily, from a bottom half in @ctx,
 * so they inherit the affinity of @ctx's thread rather than the caller's.
 * Normally called only by aio_get_thread_pool(), which owns the result.
 *
 * Returns: the new pool (never NULL).
 */
ThreadPoolAio *thread_pool_new_aio(struct AioContext *ctx);

/**
 * thread_pool_free_aio:
 * @pool: the pool, or NULL (nothing happens)
 *
 * Stop every worker, wait until they have all exited, then free @pool.
 * Aborts if a submitted request has not completed yet: wait for your
 * requests (or cancel them and poll until their callbacks ran) first.
 * Called by the AioContext when it is finalized.
 */
void thread_pool_free_aio(ThreadPoolAio *pool);

/* ------------------------------------------------------------------ */
/* Generic pool (GThreadPool based, no AioContext)                    */
/* ------------------------------------------------------------------ */

/* A generic pool; its layout is private to util/thread-pool.c. */
typedef struct ThreadPool ThreadPool;

/**
 * thread_pool_new:
 *
 * Create a generic pool.  It starts with a maximum of zero threads: work
 * submitted with thread_pool_submit() waits until the maximum is raised
 * with thread_pool_set_max_threads() or
 * thread_pool_adjust_max_threads_to_work(), or until work is submitted with
 * thread_pool_submit_immediate().
 *
 * Returns: the new pool (never NULL); free it with thread_pool_free().
 */
ThreadPool *thread_pool_new(void);

/**
 * thread_pool_set_max_threads:
 * @pool: the pool
 * @max_threads: new maximum, at least 1
 *
 * Returns: true on success, false if GLib could not start a thread (the
 * work stays queued for the threads that exist).  Thread-safe.
 */
bool thread_pool_set_max_threads(ThreadPool *pool, int max_threads);

/**
 * thread_pool_adjust_max_threads_to_work:
 * @pool: the pool
 *
 * Set the maximum to the number of pieces of work not yet finished, so each
 * gets its own thread.  There must be some.  Thread-safe.
 *
 * Returns: as thread_pool_set_max_threads().
 */
bool thread_pool_adjust_max_threads_to_work(ThreadPool *pool);

/**
 * thread_pool_submit_immediate:
 * @pool: the pool
 * @func: the work; its result is ignored
 * @opaque: argument for @func
 * @opaque_destroy: as for thread_pool_submit()
 *
 * Like thread_pool_submit(), then raise the maximum to the amount of work
 * in flight, so this work gets a thread of its own and starts at once.
 * Thread-safe.
 */
void thread_pool_submit_immediate(ThreadPool *pool, ThreadPoolFunc *func,
                                  void *opaque,
                                  GDestroyNotify opaque_destroy);

/**
 * thread_pool_submit:
 * @pool: the pool
 * @func: the work; its result is ignored
 * @opaque: argument for @func
 * @opaque_destroy: if not NULL, called with @opaque in the worker thread
 *                  once @func has returned
 *
 * Queue @func(@opaque) for one of @pool's threads.  Thread-safe.
 */
void thread_pool_submit(ThreadPool *pool, ThreadPoolFunc *func,
                        void *opaque, GDestroyNotify opaque_destroy);

/**
 * thread_pool_wait:
 * @pool: the pool
 *
 * Block until every piece of work submitted before the call has run (and
 * its destroy notify returned).  The pool stays usable: this is a barrier
 * between two batches of work.  Must not be called from @pool's threads.
 */
void thread_pool_wait(ThreadPool *pool);

/**
 * thread_pool_free:
 * @pool: the pool
 *
 * Wait until every piece of work submitted so far has run, then free @pool.
 * Must not be called from one of @pool's own threads.
 */
void thread_pool_free(ThreadPool *pool);

#endif /* QEMU_THREAD_POOL_H */
