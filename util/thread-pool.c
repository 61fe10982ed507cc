/*
 * qemuutil: worker thread pools (see include/block/thread-pool.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The AioContext pool, one request's life:
 *
 *   1. submit (home thread): the request joins pool->queue under pool->lock;
 *      if there are more queued requests than idle and starting workers and
 *      the pool may grow, a worker is added to the spawn backlog.
 *   2. a worker takes it off the queue under the lock ("claimed"); from then
 *      on it can no longer be cancelled.
 *   3. the worker runs the function without the lock, stores the result,
 *      pushes the request on the lock-free pool->done stack and schedules
 *      the completion BH.  A cancelled request takes the same path from
 *      thread_pool_cancel(), with -ECANCELED, without running.
 *   4. the completion BH (home thread) moves pool->done to pool->ready and
 *      delivers the ready requests one at a time, then drops the pool's
 *      reference to each.
 *
 * Workers are created lazily and not by the submitter: the spawn BH (in the
 * home thread, so workers inherit its CPU affinity) creates one, and each
 * new worker creates the next while the backlog lasts.  A worker idle for
 * 10 s exits if the pool holds more than thread_pool_min workers; workers
 * above thread_pool_max exit as soon as they are idle.
 */
#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/coroutine-core.h"
#include "qemu/defer-call.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "qemu/tsan.h"
#include "block/thread-pool.h"

/* How long an idle worker above thread_pool_min waits before exiting. */
#define WORKER_IDLE_TIMEOUT_MS  10000

typedef struct ThreadPoolRequest ThreadPoolRequest;

struct ThreadPoolRequest {
    BlockAIOCB common;          /* first: allocated by qemu_aio_get() */
    ThreadPoolAio *pool;
    ThreadPoolFunc *func;
    void *arg;

    /*
     * Written by whoever completes the request (the worker, or the
     * canceller under pool->lock) before pushing it on pool->done; read by
     * the home thread after taking it off pool->done.  The push's cmpxchg
     * and the BH's xchg order the two.
     */
    int ret;

    /* true while on pool->queue; protected by pool->lock */
    bool queued;

    /* link in pool->queue; protected by pool->lock */
    QTAILQ_ENTRY(ThreadPoolRequest) queue_link;

    /* link in pool->done (lock-free) and then pool->ready (home thread) */
    union {
        QSLIST_ENTRY(ThreadPoolRequest) done_link;
        QSIMPLEQ_ENTRY(ThreadPoolRequest) ready_link;
    };
};

struct ThreadPoolAio {
    AioContext *ctx;
    QEMUBH *completion_bh;
    QEMUBH *spawn_bh;

    /* Requests finished or cancelled, not yet seen by the home thread. */
    QSLIST_HEAD(, ThreadPoolRequest) done;            /* lock-free */

    /* Home thread only. */
    QSIMPLEQ_HEAD(, ThreadPoolRequest) ready;  /* taken off done, FIFO */
    unsigned inflight;          /* submitted, completion not delivered */

    QemuMutex lock;
    QemuCond work_cond;         /* workers wait here for requests */
    QemuCond exit_cond;         /* thread_pool_free_aio() waits for exits */

    /* The rest is protected by lock. */
    QTAILQ_HEAD(, ThreadPoolRequest) queue;
    int queue_len;
    int workers;                /* alive, starting or still to be created */
    int idle;                   /* workers waiting on work_cond */
    int backlog;                /* workers counted but not created yet */
    int starting;               /* created, not yet running */
    int min_workers;
    int max_workers;
};

static void *thread_pool_worker(void *opaque);

/*
 * Create one worker from the backlog, if any.  Called with pool->lock held,
 * by the spawn BH and by every worker as it starts, which is how a backlog
 * of several workers gets created one after the other.
 */
static void spawn_one_locked(ThreadPoolAio *pool)
{
    QemuThread thread;

    if (pool->backlog == 0) {
        return;
    }
    pool->backlog--;
    pool->starting++;
    qemu_thread_create(&thread, "worker", thread_pool_worker, pool,
                       QEMU_THREAD_DETACHED);
}

static void spawn_bh_cb(void *opaque)
{
    ThreadPoolAio *pool = opaque;

    qemu_mutex_lock(&pool->lock);
    spawn_one_locked(pool);
    qemu_mutex_unlock(&pool->lock);
}

/*
 * Count one more worker and make sure somebody will create it: a worker
 * still starting will (it spawns the next one first thing), otherwise the
 * spawn BH does.  Called with pool->lock held, from any thread.
 */
static void add_worker_locked(ThreadPoolAio *pool)
{
    pool->workers++;
    pool->backlog++;
    if (pool->starting == 0) {
        qemu_bh_schedule(pool->spawn_bh);
    }
}

/* Hand a finished or cancelled request to the home thread.  Thread-safe. */
static void request_complete(ThreadPoolAio *pool, ThreadPoolRequest *req)
{
    /* The cmpxchg publishes req->ret; pairs with the xchg in the BH. */
    QSLIST_INSERT_HEAD_ATOMIC(&pool->done, req, done_link);
    qemu_bh_schedule(pool->completion_bh);
}

static void *thread_pool_worker(void *opaque)
{
    ThreadPoolAio *pool = opaque;

    qemu_mutex_lock(&pool->lock);
    pool->starting--;
    spawn_one_locked(pool);

    while (pool->workers <= pool->max_workers) {
        ThreadPoolRequest *req = QTAILQ_FIRST(&pool->queue);
        int ret;

        if (!req) {
            bool woken;

            pool->idle++;
            woken = qemu_cond_timedwait(&pool->work_cond, &pool->lock,
                                        WORKER_IDLE_TIMEOUT_MS);
            pool->idle--;
            if (!woken && QTAILQ_EMPTY(&pool->queue) &&
                pool->workers > pool->min_workers) {
                break;
            }
            /* Re-check the maximum before taking work. */
            continue;
        }

        QTAILQ_REMOVE(&pool->queue, req, queue_link);
        pool->queue_len--;
        req->queued = false;
        qemu_mutex_unlock(&pool->lock);

        ret = req->func(req->arg);
        req->ret = ret;
        /* @req may be freed by the home thread from here on. */
        request_complete(pool, req);

        qemu_mutex_lock(&pool->lock);
    }

    pool->workers--;
    qemu_cond_signal(&pool->exit_cond);
    /*
     * We may have consumed a wake-up meant for a request, then left because
     * the pool shrank: pass it on so the request is not stranded.  Not
     * otherwise, as it would restart another idle worker's timeout.
     */
    if (!QTAILQ_EMPTY(&pool->queue)) {
        qemu_cond_signal(&pool->work_cond);
    }
    qemu_mutex_unlock(&pool->lock);
    return NULL;
}

/* Take the next delivered-but-unseen request, oldest first; home thread. */
static ThreadPoolRequest *take_ready(ThreadPoolAio *pool)
{
    ThreadPoolRequest *req;

    if (QSIMPLEQ_EMPTY(&pool->ready)) {
        QSLIST_HEAD(, ThreadPoolRequest) stack;

        /* Pairs with the cmpxchg in request_complete(). */
        QSLIST_MOVE_ATOMIC(&stack, &pool->done);
        /* The stack is newest first: prepending one by one restores order. */
        while ((req = QSLIST_FIRST(&stack)) != NULL) {
            QSLIST_REMOVE_HEAD(&stack, done_link);
            QSIMPLEQ_INSERT_HEAD(&pool->ready, req, ready_link);
        }
    }
    req = QSIMPLEQ_FIRST(&pool->ready);
    if (req) {
        QSIMPLEQ_REMOVE_HEAD(&pool->ready, ready_link);
    }
    return req;
}

static void completion_bh_cb(void *opaque)
{
    ThreadPoolAio *pool = opaque;
    ThreadPoolRequest *req;

    /* Callbacks may use defer_call() to batch follow-up work. */
    defer_call_begin();
    while ((req = take_ready(pool)) != NULL) {
        pool->inflight--;
        if (req->common.cb) {
            /*
             * The callback may run a nested aio_poll() waiting for another
             * request that is already done: keep the BH scheduled so that
             * nested poll delivers it.  We loop anyway, so whatever
             * scheduling happened meanwhile can be dropped afterwards.
             */
            qemu_bh_schedule(pool->completion_bh);
            req->common.cb(req->common.opaque, req->ret);
            qemu_bh_cancel(pool->completion_bh);
        }
        /* bdrv_aio_cancel() may still hold a reference. */
        qemu_aio_unref(req);
    }
    defer_call_end();
}

/* AIOCBInfo.cancel_async: only a request no worker has claimed stops. */
static void thread_pool_cancel(BlockAIOCB *acb)
{
    ThreadPoolRequest *req = container_of(acb, ThreadPoolRequest, common);
    ThreadPoolAio *pool = req->pool;

    qemu_mutex_lock(&pool->lock);
    if (req->queued) {
        QTAILQ_REMOVE(&pool->queue, req, queue_link);
        pool->queue_len--;
        req->queued = false;
        req->ret = -ECANCELED;
        request_complete(pool, req);
    }
    qemu_mutex_unlock(&pool->lock);
}

static const AIOCBInfo thread_pool_aiocb_info = {
    .aiocb_size = sizeof(ThreadPoolRequest),
    .cancel_async = thread_pool_cancel,
};

BlockAIOCB *thread_pool_submit_aio(ThreadPoolFunc *func, void *arg,
                                   BlockCompletionFunc *cb, void *opaque)
{
    AioContext *ctx = qemu_get_current_aio_context();
    ThreadPoolRequest *req;
    ThreadPoolAio *pool;

    if (!ctx) {
        fprintf(stderr, "thread_pool_submit_aio: the calling thread has no "
                "AioContext (call it from an event loop thread)\n");
        abort();
    }
    pool = aio_get_thread_pool(ctx);
    assert(pool->ctx == ctx);

    req = qemu_aio_get(&thread_pool_aiocb_info, NULL, cb, opaque);
    req->pool = pool;
    req->func = func;
    req->arg = arg;
    req->ret = -EINPROGRESS;
    pool->inflight++;

    qemu_mutex_lock(&pool->lock);
    QTAILQ_INSERT_TAIL(&pool->queue, req, queue_link);
    req->queued = true;
    pool->queue_len++;
    /*
     * Idle workers and those still being created will all come for work;
     * add one only if they are not enough.
     */
    if (pool->queue_len > pool->idle + pool->backlog + pool->starting &&
        pool->workers < pool->max_workers) {
        add_worker_locked(pool);
    }
    qemu_mutex_unlock(&pool->lock);

    /* Pairs with the wait under pool->lock in thread_pool_worker(). */
    qemu_cond_signal(&pool->work_cond);
    return &req->common;
}

typedef struct {
    Coroutine *co;
    int ret;
} ThreadPoolCoWait;

static void thread_pool_co_done(void *opaque, int ret)
{
    ThreadPoolCoWait *wait = opaque;

    wait->ret = ret;
    aio_co_wake(wait->co);
}

int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *func, void *arg)
{
    ThreadPoolCoWait wait = { .ret = -EINPROGRESS };

    if (!qemu_in_coroutine()) {
        fprintf(stderr, "thread_pool_submit_co: called outside a coroutine; "
                "use thread_pool_submit_aio() instead\n");
        abort();
    }
    wait.co = qemu_coroutine_self();
    thread_pool_submit_aio(func, arg, thread_pool_co_done, &wait);
    /* Entered again by thread_pool_co_done(), from the completion BH. */
    qemu_coroutine_yield();
    return wait.ret;
}

void thread_pool_update_params(ThreadPoolAio *pool, AioContext *ctx)
{
    int excess;

    qemu_mutex_lock(&pool->lock);
    pool->min_workers = ctx->thread_pool_min;
    pool->max_workers = ctx->thread_pool_max;

    /* Grow to the minimum now; anything between min and max is lazy. */
    while (pool->workers < pool->min_workers) {
        add_worker_locked(pool);
    }
    /*
     * Wake idle workers so the ones above the maximum notice and exit.
     * Busy ones check the maximum when they finish their request.
     */
    for (excess = pool->workers - pool->max_workers; excess > 0; excess--) {
        qemu_cond_signal(&pool->work_cond);
    }
    qemu_mutex_unlock(&pool->lock);
}

ThreadPoolAio *thread_pool_new_aio(AioContext *ctx)
{
    ThreadPoolAio *pool = g_new0(ThreadPoolAio, 1);

    pool->ctx = ctx ? ctx : qemu_get_aio_context();
    assert(pool->ctx);
    pool->completion_bh = aio_bh_new(pool->ctx, completion_bh_cb, pool);
    pool->spawn_bh = aio_bh_new(pool->ctx, spawn_bh_cb, pool);
    QSLIST_INIT(&pool->done);
    QSIMPLEQ_INIT(&pool->ready);
    qemu_mutex_init(&pool->lock);
    qemu_cond_init(&pool->work_cond);
    qemu_cond_init(&pool->exit_cond);
    QTAILQ_INIT(&pool->queue);

    thread_pool_update_params(pool, pool->ctx);
    return pool;
}

void thread_pool_free_aio(ThreadPoolAio *pool)
{
    if (pool == NULL) {
        return;                 /* the context never needed a pool */
    }
    if (pool->inflight) {
        fprintf(stderr, "thread_pool_free_aio: %u request(s) have not "
                "completed yet; wait for them before freeing the pool (or "
                "its AioContext)\n", pool->inflight);
        abort();
    }

    qemu_mutex_lock(&pool->lock);
    /* Workers not created yet never will be. */
    qemu_bh_delete(pool->spawn_bh);
    pool->workers -= pool->backlog;
    pool->backlog = 0;

    /* A maximum of zero makes every worker leave its loop. */
    pool->max_workers = 0;
    qemu_cond_broadcast(&pool->work_cond);
    while (pool->workers > 0) {
        qemu_cond_wait(&pool->exit_cond, &pool->lock);
    }
    qemu_mutex_unlock(&pool->lock);

    qemu_bh_delete(pool->completion_bh);
    qemu_cond_destroy(&pool->exit_cond);
    qemu_cond_destroy(&pool->work_cond);
    qemu_mutex_destroy(&pool->lock);
    g_free(pool);
}

/* ------------------------------------------------------------------ */
/* Generic pool                                                        */
/* ------------------------------------------------------------------ */

struct ThreadPool {
    GThreadPool *gpool;

    QemuMutex lock;
    QemuCond idle_cond;         /* signalled when unfinished drops to 0 */
    size_t unfinished;          /* submitted, not yet run; protected by lock */
};

typedef struct {
    ThreadPoolFunc *func;
    void *opaque;
    GDestroyNotify opaque_destroy;
} ThreadPoolWork;

/* GThreadPool's worker function: @data is one ThreadPoolWork. */
static void thread_pool_run_work(gpointer data, gpointer user_data)
{
    ThreadPool *pool = user_data;
    ThreadPoolWork *work = data;

    /*
     * Partner of the HAPPENS_BEFORE in thread_pool_submit(): GLib's queue
     * hands @work over through its own futex-based GMutex/GCond, which
     * ThreadSanitizer does not see inside the uninstrumented libglib.
     */
    QEMU_TSAN_ANNOTATE_HAPPENS_AFTER(work);
    work->func(work->opaque);
    if (work->opaque_destroy) {
        work->opaque_destroy(work->opaque);
    }
    g_free(work);

    qemu_mutex_lock(&pool->lock);
    assert(pool->unfinished > 0);
    if (--pool->unfinished == 0) {
        qemu_cond_broadcast(&pool->idle_cond);
    }
    qemu_mutex_unlock(&pool->lock);
}

ThreadPool *thread_pool_new(void)
{
    ThreadPool *pool = g_new0(ThreadPool, 1);

    qemu_mutex_init(&pool->lock);
    qemu_cond_init(&pool->idle_cond);
    /*
     * Exclusive threads, none to begin with: creation cannot fail here, and
     * nothing runs until the owner sets a maximum.
     */
    pool->gpool = g_thread_pool_new(thread_pool_run_work, pool, 0, TRUE,
                                    NULL);
    assert(pool->gpool);
    return pool;
}

void thread_pool_free(ThreadPool *pool)
{
    /* Not immediate, and wait: everything queued still runs first. */
    g_thread_pool_free(pool->gpool, FALSE, TRUE);
    /*
     * GLib joined its threads through its own futex-based primitives,
     * invisible to ThreadSanitizer; taking @lock orders us after each
     * worker's last unlock in thread_pool_run_work(), so both the check
     * and our caller see everything the work did.
     */
    qemu_mutex_lock(&pool->lock);
    assert(pool->unfinished == 0);
    qemu_mutex_unlock(&pool->lock);
    qemu_cond_destroy(&pool->idle_cond);
    qemu_mutex_destroy(&pool->lock);
    g_free(pool);
}

void thread_pool_submit(ThreadPool *pool, ThreadPoolFunc *func,
                        void *opaque, GDestroyNotify opaque_destroy)
{
    ThreadPoolWork *work = g_new(ThreadPoolWork, 1);

    work->func = func;
    work->opaque = opaque;
    work->opaque_destroy = opaque_destroy;

    qemu_mutex_lock(&pool->lock);
    pool->unfinished++;
    qemu_mutex_unlock(&pool->lock);

    /*
     * An error only means no extra thread could be started; the work is
     * queued anyway and the existing threads will get to it.  The
     * annotation pairs with the one in thread_pool_run_work().
     */
    QEMU_TSAN_ANNOTATE_HAPPENS_BEFORE(work);
    g_thread_pool_push(pool->gpool, work, NULL);
}

void thread_pool_submit_immediate(ThreadPool *pool, ThreadPoolFunc *func,
                                  void *arg, GDestroyNotify arg_destroy)
{
    thread_pool_submit(pool, func, arg, arg_destroy);
    /* One thread per unfinished piece of work, this one included. */
    thread_pool_adjust_max_threads_to_work(pool);
}

void thread_pool_wait(ThreadPool *pool)
{
    qemu_mutex_lock(&pool->lock);
    while (pool->unfinished > 0) {
        qemu_cond_wait(&pool->idle_cond, &pool->lock);
    }
    qemu_mutex_unlock(&pool->lock);
}

bool thread_pool_set_max_threads(ThreadPool *pool, int max_threads)
{
    if (max_threads <= 0) {
        fprintf(stderr, "thread_pool_set_max_threads: the maximum must be at "
                "least 1 (got %d)\n", max_threads);
        abort();
    }
    return g_thread_pool_set_max_threads(pool->gpool, max_threads, NULL);
}

bool thread_pool_adjust_max_threads_to_work(ThreadPool *pool)
{
    bool ok;

    /* Under the lock, so a racing completion cannot shrink us to zero. */
    qemu_mutex_lock(&pool->lock);
    ok = thread_pool_set_max_threads(pool, MIN(pool->unfinished, INT_MAX));
    qemu_mutex_unlock(&pool->lock);
    return ok;
}
