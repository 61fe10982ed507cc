/*
 * qemuutil: coroutine life cycle (create, enter, yield, terminate) and
 * the pool of terminated coroutines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Stack switching itself is the backend's job (coroutine-ucontext.c);
 * this file decides who runs next.
 *
 * Entering.  qemu_aio_coroutine_enter() keeps a local run list.  When the
 * coroutine it switched to comes back (yield or end), the coroutines that
 * one woke meanwhile (its co_queue_wakeup) are put at the front of the
 * list and entered next, from the same loop.  Chains of wake-ups thus run
 * one after the other on the caller's stack instead of nesting.
 *
 * The pool.  Making a coroutine costs an mmap'ed stack, so terminated
 * coroutines are kept.  Each thread has a private pool: a "hot" list of
 * up to POOL_BATCH coroutines plus at most one full spare batch.  When
 * both are full, the spare batch moves to the process-wide pool (a mutex
 * protected list of batches, capped); a thread whose private pool runs dry
 * takes a whole batch back from there.  A coroutine terminating in another
 * thread than it started in simply joins that thread's pool.  Terminated
 * coroutines in a pool are only linked through their own pool_next field
 * and never read while they sit there.
 */
#include "qemu/osdep.h"
#include <pthread.h>
#include "qemu/coroutine_int.h"
#include "qemu/coroutine-tls.h"
#include "qemu/thread.h"
#include "block/aio.h"

/* Coroutines per batch moved between a thread pool and the global pool. */
#define POOL_BATCH 128

typedef QSLIST_HEAD(, Coroutine) CoroutineList;

/* A full batch of terminated coroutines. */
typedef struct PoolBatch {
    QSLIST_ENTRY(PoolBatch) link;
    CoroutineList members;
    unsigned count;
} PoolBatch;

/* One thread's private pool; only its thread touches it. */
typedef struct CoThreadPool {
    CoroutineList hot;
    unsigned hot_count;
    PoolBatch *spare;
} CoThreadPool;

/* Process-wide pool. */
static QemuMutex global_lock;
/* Batches given up by threads; protected by global_lock. */
static QSLIST_HEAD(, PoolBatch) global_batches =
    QSLIST_HEAD_INITIALIZER(global_batches);
/* Coroutines in global_batches; protected by global_lock. */
static unsigned global_count;
/* Cap on global_count, see qemu_coroutine_inc_pool_size(); global_lock. */
static unsigned global_cap = POOL_BATCH;
/* Cap the host imposes (memory map count); fixed at start-up. */
static unsigned global_host_cap;

/*
 * The calling thread's pool.  Coroutine TLS: code running in a coroutine
 * may resume in another thread, so the variable's address must never be
 * cached across a switch.
 */
QEMU_DEFINE_STATIC_CO_TLS(CoThreadPool *, my_pool)

/* Destructor of thread_pool_key: frees a dying thread's private pool. */
static pthread_key_t thread_pool_key;

static void free_coroutine_list(CoroutineList *list)
{
    Coroutine *co;

    while ((co = QSLIST_FIRST(list)) != NULL) {
        QSLIST_REMOVE_HEAD(list, pool_next);
        qemu_coroutine_delete(co);
    }
}

static void free_batch(PoolBatch *batch)
{
    free_coroutine_list(&batch->members);
    g_free(batch);
}

static void thread_pool_destroy(void *opaque)
{
    CoThreadPool *pool = opaque;

    /* Runs in the exiting thread; a later pool_get() starts afresh. */
    set_my_pool(NULL);
    free_coroutine_list(&pool->hot);
    if (pool->spare) {
        free_batch(pool->spare);
    }
    g_free(pool);
}

/* The calling thread's pool, created on first use. */
static CoThreadPool *thread_pool_get(void)
{
    CoThreadPool *pool = get_my_pool();

    if (unlikely(!pool)) {
        pool = g_new0(CoThreadPool, 1);
        QSLIST_INIT(&pool->hot);
        set_my_pool(pool);
        /* Freed by the key's destructor when the thread exits. */
        pthread_setspecific(thread_pool_key, pool);
    }
    return pool;
}

/* Hands @batch to the global pool, or frees it if that is full. */
static void global_pool_put(PoolBatch *batch)
{
    bool kept = false;

    WITH_QEMU_LOCK_GUARD(&global_lock) {
        if (global_count < MIN(global_cap, global_host_cap)) {
            QSLIST_INSERT_HEAD(&global_batches, batch, link);
            global_count += batch->count;
            kept = true;
        }
    }
    if (!kept) {
        free_batch(batch);
    }
}

static PoolBatch *global_pool_take(void)
{
    PoolBatch *batch;

    QEMU_LOCK_GUARD(&global_lock);
    batch = QSLIST_FIRST(&global_batches);
    if (batch) {
        QSLIST_REMOVE_HEAD(&global_batches, link);
        global_count -= batch->count;
    }
    return batch;
}

/* Moves @batch's coroutines to the (empty) hot list and frees @batch. */
static void thread_pool_adopt(CoThreadPool *pool, PoolBatch *batch)
{
    assert(pool->hot_count == 0);
    pool->hot = batch->members;
    pool->hot_count = batch->count;
    g_free(batch);
}

static Coroutine *pool_get(void)
{
    CoThreadPool *pool = thread_pool_get();
    Coroutine *co;

    if (pool->hot_count == 0) {
        PoolBatch *batch = pool->spare;

        if (batch) {
            pool->spare = NULL;
        } else {
            batch = global_pool_take();
            if (!batch) {
                return NULL;
            }
        }
        thread_pool_adopt(pool, batch);
    }
    co = QSLIST_FIRST(&pool->hot);
    QSLIST_REMOVE_HEAD(&pool->hot, pool_next);
    pool->hot_count--;
    return co;
}

static void pool_put(Coroutine *co)
{
    CoThreadPool *pool = thread_pool_get();

    if (pool->hot_count == POOL_BATCH) {
        /* The hot list becomes a batch; the older spare goes global. */
        PoolBatch *batch = g_new(PoolBatch, 1);

        batch->members = pool->hot;
        batch->count = pool->hot_count;
        QSLIST_INIT(&pool->hot);
        pool->hot_count = 0;
        if (pool->spare) {
            global_pool_put(pool->spare);
        }
        pool->spare = batch;
    }
    /* Only @co and the list head are written: see the file comment. */
    QSLIST_INSERT_HEAD(&pool->hot, co, pool_next);
    pool->hot_count++;
}

Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque)
{
    Coroutine *co = IS_ENABLED(CONFIG_COROUTINE_POOL) ? pool_get() : NULL;

    if (co == NULL) {
        /* Pool empty (or disabled): a fresh stack. */
        co = qemu_coroutine_new();
    }
    QSIMPLEQ_INIT(&co->co_queue_wakeup);
    co->entry_arg = opaque;
    co->entry = entry;
    return co;
}

/* @co has returned from its entry function. */
static void coroutine_release(Coroutine *co)
{
    if (co->locks_held) {
        fprintf(stderr, "coroutine %p terminated while holding %zu "
                "CoMutex/CoRwlock lock(s); unlock before returning\n",
                (void *)co, co->locks_held);
        abort();
    }
    co->caller = NULL;
    if (IS_ENABLED(CONFIG_COROUTINE_POOL)) {
        pool_put(co);
    } else {
        qemu_coroutine_delete(co);
    }
}

/* Aborts if @co may not be entered now (see qemu_aio_coroutine_enter()). */
static void check_enterable(Coroutine *co)
{
    const char *scheduled;

    /*
     * The cmpxchg that set @scheduled (aio_co_schedule(), qemu_co_sleep())
     * published @co; read the pointer before the field.
     */
    smp_read_barrier_depends();
    scheduled = qatomic_read(&co->scheduled);
    if (scheduled) {
        fprintf(stderr, "qemu_aio_coroutine_enter: coroutine %p is still "
                "scheduled by %s(); entering it now would run it twice, "
                "possibly after it has been freed\n", (void *)co, scheduled);
        abort();
    }
    if (co->caller) {
        fprintf(stderr, "qemu_aio_coroutine_enter: coroutine %p is already "
                "running (entered again before it yielded)\n", (void *)co);
        abort();
    }
}

void qemu_aio_coroutine_enter(AioContext *ctx, Coroutine *co)
{
    QSIMPLEQ_HEAD(, Coroutine) run = QSIMPLEQ_HEAD_INITIALIZER(run);
    Coroutine *self = qemu_coroutine_self();

    QSIMPLEQ_INSERT_TAIL(&run, co, co_queue_next);
    while (!QSIMPLEQ_EMPTY(&run)) {
        Coroutine *next = QSIMPLEQ_FIRST(&run);
        CoroutineAction why;

        QSIMPLEQ_REMOVE_HEAD(&run, co_queue_next);
        check_enterable(next);

        next->caller = self;
        qatomic_set(&next->ctx, ctx);
        /*
         * @ctx is visible before anybody can learn about @next from what
         * it does once running; pairs with smp_read_barrier_depends() in
         * aio_co_wake() and in the CoMutex wake-up.
         */
        smp_wmb();

        why = qemu_coroutine_switch(self, next, COROUTINE_ENTER);

        /*
         * What @next woke runs before the rest of our list (depth first).
         * Read before releasing @next: a pooled coroutine is not touched.
         */
        QSIMPLEQ_PREPEND(&run, &next->co_queue_wakeup);

        switch (why) {
        case COROUTINE_YIELD:
            break;
        case COROUTINE_TERMINATE:
            coroutine_release(next);
            break;
        default:
            fprintf(stderr, "qemu_aio_coroutine_enter: backend returned "
                    "unexpected action %d\n", why);
            abort();
        }
    }
}

/* The coroutine adopts the caller's current AioContext. */
void qemu_coroutine_enter(Coroutine *co)
{
    AioContext *ctx = qemu_get_current_aio_context();

    qemu_aio_coroutine_enter(ctx, co);
}

void qemu_coroutine_enter_if_inactive(Coroutine *co)
{
    /* Running or on the current call chain: nothing to do. */
    if (qemu_coroutine_entered(co)) {
        return;
    }
    qemu_coroutine_enter(co);
}

void coroutine_fn qemu_coroutine_yield(void)
{
    Coroutine *self = qemu_coroutine_self();
    Coroutine *back_to = self->caller;

    if (!back_to) {
        fprintf(stderr, "qemu_coroutine_yield: called outside a coroutine "
                "(there is nobody to yield to)\n");
        abort();
    }
    self->caller = NULL;
    qemu_coroutine_switch(self, back_to, COROUTINE_YIELD);
}

bool qemu_coroutine_entered(Coroutine *co)
{
    return co->caller != NULL;
}

AioContext *qemu_coroutine_get_aio_context(Coroutine *co)
{
    return qatomic_read(&co->ctx);
}

void qemu_coroutine_inc_pool_size(unsigned int additional_pool_size)
{
    QEMU_LOCK_GUARD(&global_lock);
    global_cap += additional_pool_size;
}

void qemu_coroutine_dec_pool_size(unsigned int removing_pool_size)
{
    QEMU_LOCK_GUARD(&global_lock);
    assert(global_cap >= removing_pool_size);
    global_cap -= removing_pool_size;
}

/*
 * Every pooled coroutine holds two memory mappings (stack and guard
 * page).  Linux refuses new mappings beyond vm.max_map_count, so leave
 * room for everything else in the process and keep the global pool under
 * what is left.
 */
static unsigned host_pool_cap(void)
{
    g_autofree char *text = NULL;
    char *end;
    gint64 max_maps;
    const gint64 reserve = 5000;

    if (!g_file_get_contents("/proc/sys/vm/max_map_count", &text, NULL,
                             NULL)) {
        return UINT_MAX;
    }
    max_maps = g_ascii_strtoll(text, &end, 10);
    if (end == text || max_maps < 0 || max_maps > INT_MAX) {
        return UINT_MAX;
    }
    /* Small limits: no global pool; threads keep their private pools. */
    return max_maps > reserve ? (max_maps - reserve) / 2 : 0;
}

static void __attribute__((constructor)) coroutine_pool_init(void)
{
    qemu_mutex_init(&global_lock);
    global_host_cap = host_pool_cap();
    if (pthread_key_create(&thread_pool_key, thread_pool_destroy) != 0) {
        fprintf(stderr, "qemu-coroutine: pthread_key_create failed\n");
        abort();
    }
}
