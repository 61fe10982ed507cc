/*
 * qemuutil: AioContext lifecycle, bottom halves, aio_notify() and the
 * GSource glue.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Bottom halves are lock-free: any thread pushes a BH on ctx->bh_list with
 * an atomic flag word deciding who links it; the home thread detaches the
 * whole list at once (aio_bh_poll()).  aio_notify() wakes the home thread,
 * and uses ctx->notify_me to skip the eventfd write when the home thread is
 * certain to look for work before it sleeps.
 *
 * Coroutines are scheduled into a context the same lock-free way: any
 * thread pushes them on ctx->scheduled_coroutines and schedules the
 * context's co_schedule BH, which enters them in the home thread.
 *
 * Each context also owns a worker thread pool (util/thread-pool.c),
 * created by the first aio_get_thread_pool() and freed with the context.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/aio.h"
#include "block/graph-lock.h"
#include "qemu/main-loop.h"
#include "qemu/atomic.h"
#include "qemu/lockcnt.h"
#include "qemu/rcu_queue.h"
#include "qemu/coroutine-tls.h"
#include "qemu/coroutine_int.h"
#if defined(CONFIG_LINUX_AIO) || defined(CONFIG_LINUX_IO_URING)
#include "block/raw-aio.h"      /* the laio_* and luring_* engines */
#endif
#include "block/thread-pool.h"

/* ------------------------------------------------------------------ */
/* Bottom halves                                                       */
/* ------------------------------------------------------------------ */

/*
 * QEMUBH.flags.  PENDING means "linked on a BH list, not yet taken by
 * aio_bh_poll()"; the others say what to do when it is taken.
 */
enum {
    BH_PENDING   = 1 << 0,  /* on ctx->bh_list or a slice */
    BH_SCHEDULED = 1 << 1,  /* run the callback */
    BH_DELETED   = 1 << 2,  /* free without running */
    BH_ONESHOT   = 1 << 3,  /* free after running */
    BH_IDLE      = 1 << 4,  /* not progress; may wait up to 10 ms */
};

/* Flags taken off a BH when aio_bh_poll() detaches it. */
#define BH_CLEARED_ON_TAKE (BH_PENDING | BH_SCHEDULED | BH_IDLE)

/* Idle BHs run at least this often even when nothing else wakes the loop. */
#define BH_IDLE_TIMEOUT_NS (10 * SCALE_MS)

struct QEMUBH {
    AioContext *ctx;
    QEMUBHFunc *cb;
    void *opaque;
    const char *name;
    MemReentrancyGuard *reentrancy_guard;
    /* Link on ctx->bh_list or a slice; written by whoever set PENDING. */
    QSLIST_ENTRY(QEMUBH) next;
    /* BH_* bits; atomic read-modify-write from any thread. */
    unsigned flags;
};

/*
 * Add @set to @bh's flags and make sure it is queued.  Thread-safe.  The
 * thread that turns PENDING on is the only one allowed to link the BH, so
 * a BH is never on two lists; the full barrier of the fetch_or pairs with
 * the fetch_and in bh_take(), which clears PENDING only after unlinking.
 */
static void bh_enqueue(QEMUBH *bh, unsigned set)
{
    AioContext *ctx = bh->ctx;
    unsigned before = qatomic_fetch_or(&bh->flags, BH_PENDING | set);

    if (!(before & BH_PENDING)) {
        /*
         * Publishing the BH pairs with QSLIST_MOVE_ATOMIC in aio_bh_poll():
         * whatever the scheduler wrote before is visible to the callback,
         * and we read ctx above, before the BH could run and be freed.
         */
        QSLIST_INSERT_HEAD_ATOMIC(&ctx->bh_list, bh, next);
    }
    aio_notify(ctx);
}

/*
 * Detach the first BH of @list and return it with the flags it had.  Only
 * the home thread calls it, on lists it detached (or at finalize).
 */
static QEMUBH *bh_take(BHList *list, unsigned *flags)
{
    QEMUBH *bh = QSLIST_FIRST_RCU(list);

    if (bh) {
        QSLIST_REMOVE_HEAD(list, next);
        /* Unlinked before PENDING drops: pairs with bh_enqueue(). */
        *flags = qatomic_fetch_and(&bh->flags, ~BH_CLEARED_ON_TAKE);
    }
    return bh;
}

static QEMUBH *bh_alloc(AioContext *ctx, QEMUBHFunc *cb, void *opaque,
                        const char *name, MemReentrancyGuard *guard)
{
    QEMUBH *bh = g_new(QEMUBH, 1);

    /* Not queued yet: no flags, no link. */
    *bh = (QEMUBH) {
        .ctx = ctx, .cb = cb, .opaque = opaque,
        .name = name, .reentrancy_guard = guard,
    };
    return bh;
}

/* The BH frees itself after running (BH_ONESHOT). */
void aio_bh_schedule_oneshot_full(AioContext *ctx, QEMUBHFunc *cb,
                                  void *opaque, const char *name)
{
    bh_enqueue(bh_alloc(ctx, cb, opaque, name, NULL),
               BH_SCHEDULED | BH_ONESHOT);
}

QEMUBH *aio_bh_new_full(AioContext *ctx, QEMUBHFunc *cb, void *opaque,
                        const char *name,
                        MemReentrancyGuard *reentrancy_guard)
{
    return bh_alloc(ctx, cb, opaque, name, reentrancy_guard);
}

void aio_bh_call(QEMUBH *bh)
{
    /* Copy the guard: the callback may free @bh. */
    MemReentrancyGuard *guard = bh->reentrancy_guard;
    bool outer_state;

    if (!guard) {
        bh->cb(bh->opaque);
        return;
    }
    /* Mark the device busy for the callback, restoring any outer state. */
    outer_state = guard->engaged_in_io;
    guard->engaged_in_io = true;
    bh->cb(bh->opaque);
    guard->engaged_in_io = outer_state;
}

/*
 * Act on a BH that bh_take() returned with @flags: run it if it was
 * scheduled and not deleted, then free it if it is done for good.
 * Returns true if running it counts as progress (idle BHs do not).
 */
static bool bh_run_taken(QEMUBH *bh, unsigned flags)
{
    bool run = (flags & (BH_SCHEDULED | BH_DELETED)) == BH_SCHEDULED;

    if (run) {
        aio_bh_call(bh);
    }
    /* Deleted, or one-shot and done: nobody may touch it again. */
    if (flags & (BH_ONESHOT | BH_DELETED)) {
        g_free(bh);
    }
    return run && !(flags & BH_IDLE);
}

int aio_bh_poll(AioContext *ctx)
{
    bool progress = false;
    BHListSlice *slice;
    BHListSlice mine;

    /*
     * Take everything scheduled so far (pairs with the atomic insertion in
     * bh_enqueue()).  BHs scheduled from now on go to the fresh bh_list and
     * wait for the next call, so a BH that reschedules itself cannot keep
     * this loop (and the fd handlers behind it) busy forever.
     */
    QSLIST_MOVE_ATOMIC(&mine.bh_list, &ctx->bh_list);

    /*
     * The slice lives on our stack but is reachable from ctx while we run:
     * a nested aio_bh_poll() (from a nested aio_poll() in a callback)
     * drains the outer slices first, and the loop below only returns once
     * the queue is empty again, so no dangling pointer survives us.
     */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
    QSIMPLEQ_INSERT_TAIL(&ctx->bh_slice_list, &mine, next);
#pragma GCC diagnostic pop
#else
    QSIMPLEQ_INSERT_TAIL(&ctx->bh_slice_list, &mine, next);
#endif

    /* Oldest slice first; an emptied slice leaves the queue. */
    for (slice = QSIMPLEQ_FIRST(&ctx->bh_slice_list); slice != NULL;
         slice = QSIMPLEQ_FIRST(&ctx->bh_slice_list)) {
        unsigned flags;
        QEMUBH *bh = bh_take(&slice->bh_list, &flags);

        if (bh) {
            progress |= bh_run_taken(bh, flags);
        } else {
            QSIMPLEQ_REMOVE_HEAD(&ctx->bh_slice_list, next);
        }
    }
    return progress ? 1 : 0;
}

void qemu_bh_schedule(QEMUBH *bh)
{
    bh_enqueue(bh, BH_SCHEDULED);
}

void qemu_bh_schedule_idle(QEMUBH *bh)
{
    bh_enqueue(bh, BH_SCHEDULED | BH_IDLE);
}

void qemu_bh_cancel(QEMUBH *bh)
{
    /* Stays queued if it was; aio_bh_poll() then just drops it. */
    qatomic_and(&bh->flags, ~BH_SCHEDULED);
}

void qemu_bh_delete(QEMUBH *bh)
{
    /* The BH is freed by the aio_bh_poll() that takes it. */
    bh_enqueue(bh, BH_DELETED);
}

/* True if a BH on @list would run; sets *idle_only if only idle ones do. */
static bool bh_list_has_work(BHList *list, bool *idle_seen)
{
    QEMUBH *bh;

    QSLIST_FOREACH_RCU(bh, list, next) {
        unsigned flags = qatomic_load_acquire(&bh->flags);

        if ((flags & (BH_SCHEDULED | BH_DELETED)) != BH_SCHEDULED) {
            continue;
        }
        if (!(flags & BH_IDLE)) {
            return true;
        }
        *idle_seen = true;
    }
    return false;
}

/* True if any scheduled, non-idle BH is queued; notes idle ones. */
static bool bhs_have_work(AioContext *ctx, bool *idle_seen)
{
    BHListSlice *slice;

    if (bh_list_has_work(&ctx->bh_list, idle_seen)) {
        return true;
    }
    QSIMPLEQ_FOREACH(slice, &ctx->bh_slice_list, next) {
        if (bh_list_has_work(&slice->bh_list, idle_seen)) {
            return true;
        }
    }
    return false;
}

int64_t aio_compute_timeout(AioContext *ctx)
{
    bool idle_seen = false;
    int64_t deadline;

    if (bhs_have_work(ctx, &idle_seen)) {
        return 0;
    }
    deadline = timerlistgroup_deadline_ns(&ctx->tlg);
    if (deadline == 0) {
        return 0;
    }
    return qemu_soonest_timeout(idle_seen ? BH_IDLE_TIMEOUT_NS : -1,
                                deadline);
}

/* ------------------------------------------------------------------ */
/* aio_notify                                                          */
/* ------------------------------------------------------------------ */

void aio_notify(AioContext *ctx)
{
    /*
     * What the caller queued (a BH, a timer) before notified: pairs with
     * the smp_mb() in aio_notify_accept().
     */
    smp_wmb();
    qatomic_set(&ctx->notified, true);

    /*
     * notified before notify_me: pairs with the smp_mb() after notify_me is
     * raised in aio_poll() and in aio_ctx_prepare().  Either they see
     * notified (and do not sleep), or we see their notify_me and kick.
     */
    smp_mb();
    if (qatomic_read(&ctx->notify_me) != 0) {
        /* Somebody may sleep on the eventfd (aio_poll or glib). */
        event_notifier_set(&ctx->notifier);
    }
}

/* Home thread: called right before looking for work. */
void aio_notify_accept(AioContext *ctx)
{
    qatomic_set(&ctx->notified, false);

    /*
     * Clear notified before looking at BH flags and the like, so a
     * notification that comes after the look is not lost: pairs with the
     * smp_wmb() in aio_notify().
     */
    smp_mb();
}

/* fd path of the context's own notifier: drain it; never progress. */
static void ctx_notifier_read(EventNotifier *e)
{
    event_notifier_test_and_clear(e);
}

/*
 * Userspace-poll path of the context's own notifier, so that a context
 * whose handlers can all be polled never needs a system call to notice
 * aio_notify().  A plain read suffices: aio_notify_accept() orders the
 * loop against the producers.
 */
static bool ctx_notifier_poll(void *opaque)
{
    AioContext *ctx = container_of(opaque, AioContext, notifier);

    return qatomic_read(&ctx->notified);
}

static void ctx_notifier_poll_ready(EventNotifier *e)
{
    /* Waking the loop was the whole point. */
}

/* ------------------------------------------------------------------ */
/* GSource                                                             */
/* ------------------------------------------------------------------ */

static gboolean aio_ctx_prepare(GSource *source, gint *timeout)
{
    AioContext *ctx = (AioContext *)source;
    bool ready;

    /* Bit 0: glib may be about to sleep on our fds; aio_notify must kick. */
    qatomic_set(&ctx->notify_me, qatomic_read(&ctx->notify_me) | 1);

    /*
     * notify_me before reading BH flags and timers: pairs with the smp_mb()
     * in aio_notify().
     */
    smp_mb();

    /* A handler with events ready (found by polling) means no wait. */
    ready = aio_prepare(ctx);
    *timeout = ready ? 0 : qemu_timeout_ns_to_ms(aio_compute_timeout(ctx));
    return *timeout == 0;
}

static gboolean aio_ctx_check(GSource *source)
{
    AioContext *ctx = (AioContext *)source;
    bool idle_seen = false;

    /*
     * glib has finished waiting; the timeout computed in prepare() has been
     * used, so bit 0 can drop (release store orders it after that).
     */
    qatomic_store_release(&ctx->notify_me, qatomic_read(&ctx->notify_me) & ~1);
    aio_notify_accept(ctx);

    if (bhs_have_work(ctx, &idle_seen) || idle_seen) {
        return true;
    }
    return aio_pending(ctx) || timerlistgroup_deadline_ns(&ctx->tlg) == 0;
}

static gboolean aio_ctx_dispatch(GSource *source, GSourceFunc callback,
                                 gpointer user_data)
{
    AioContext *ctx = (AioContext *)source;

    if (callback) {
        fprintf(stderr, "AioContext GSource: g_source_set_callback() is "
                "not supported on an AioContext\n");
        abort();
    }
    aio_dispatch(ctx);
    return G_SOURCE_CONTINUE;
}

/*
 * Free every BH left on a dying context's list.  Each must have been
 * deleted: one still queued means somebody expects it to run, which would
 * now hang or leak, so its owner's lifecycle is broken.
 */
static void bh_list_free_deleted(AioContext *ctx)
{
    unsigned flags;
    QEMUBH *bh;

    for (bh = bh_take(&ctx->bh_list, &flags); bh;
         bh = bh_take(&ctx->bh_list, &flags)) {
        if (flags & BH_DELETED) {
            g_free(bh);
            continue;
        }
        fprintf(stderr, "aio_context_unref: BH '%s' leaked (not deleted "
                "before its AioContext was finalized), aborting\n",
                bh->name);
        abort();
    }
}

static void aio_ctx_finalize(GSource *source)
{
    AioContext *ctx = (AioContext *)source;

    if (!ctx->fdmon_ops) {
        /* aio_context_new() failed before the context was set up. */
        return;
    }

    /*
     * Stop the pool's workers and delete its BHs before the BH list is
     * emptied below.  All its requests must have completed already.
     */
    thread_pool_free_aio(ctx->thread_pool);
    ctx->thread_pool = NULL;

    /* The I/O engines go first: they may still own handlers and BHs. */
#ifdef CONFIG_LINUX_AIO
    if (ctx->linux_aio) {
        struct LinuxAioState *engine = ctx->linux_aio;

        ctx->linux_aio = NULL;
        laio_detach_aio_context(engine, ctx);
        laio_cleanup(engine);
    }
#endif
#ifdef CONFIG_LINUX_IO_URING
    if (ctx->linux_io_uring) {
        LuringState *engine = ctx->linux_io_uring;

        ctx->linux_io_uring = NULL;
        luring_detach_aio_context(engine, ctx);
        luring_cleanup(engine);
    }
#endif

    assert(QSLIST_EMPTY(&ctx->scheduled_coroutines));
    if (ctx->co_schedule_bh) {
        qemu_bh_delete(ctx->co_schedule_bh);
    }

    /* Finalizing from inside aio_bh_poll() would free a running loop. */
    assert(QSIMPLEQ_EMPTY(&ctx->bh_slice_list));

    bh_list_free_deleted(ctx);
    timerlistgroup_deinit(&ctx->tlg);

    /* Our own notifier is the last handler left. */
    aio_set_event_notifier(ctx, &ctx->notifier, NULL, NULL, NULL);
    event_notifier_cleanup(&ctx->notifier);

    unregister_aiocontext(ctx);
    aio_context_destroy(ctx);
    qemu_lockcnt_destroy(&ctx->list_lock);
    qemu_rec_mutex_destroy(&ctx->lock);
}

static GSourceFuncs aio_source_funcs = {
    .prepare = aio_ctx_prepare,
    .check = aio_ctx_check,
    .dispatch = aio_ctx_dispatch,
    .finalize = aio_ctx_finalize,
};

/* The context is its GSource: its references are the GSource's. */
void aio_context_ref(AioContext *ctx)
{
    g_source_ref(&ctx->source);
}

/* The last reference runs aio_ctx_finalize(). */
void aio_context_unref(AioContext *ctx)
{
    g_source_unref(&ctx->source);
}

GSource *aio_get_g_source(AioContext *ctx)
{
    GSource *source = &ctx->source;

    /* glib will poll our fds itself: use a monitor it can stand in for. */
    aio_context_use_g_source(ctx);
    return g_source_ref(source);
}

#ifdef CONFIG_LINUX_AIO
struct LinuxAioState *aio_setup_linux_aio(AioContext *ctx, Error **errp)
{
    struct LinuxAioState *engine = ctx->linux_aio;

    if (engine) {
        return engine;
    }
    engine = laio_init(errp);
    if (engine) {
        laio_attach_aio_context(engine, ctx);
        ctx->linux_aio = engine;
    }
    return engine;
}

/* Only valid after a successful aio_setup_linux_aio(). */
struct LinuxAioState *aio_get_linux_aio(AioContext *ctx)
{
    g_assert(ctx->linux_aio != NULL);
    return ctx->linux_aio;
}
#endif /* CONFIG_LINUX_AIO */

#ifdef CONFIG_LINUX_IO_URING
LuringState *aio_setup_linux_io_uring(AioContext *ctx, Error **errp)
{
    LuringState *engine = ctx->linux_io_uring;

    if (engine) {
        return engine;
    }
    engine = luring_init(errp);
    if (engine) {
        luring_attach_aio_context(engine, ctx);
        ctx->linux_io_uring = engine;
    }
    return engine;
}

/* Only valid after a successful aio_setup_linux_io_uring(). */
LuringState *aio_get_linux_io_uring(AioContext *ctx)
{
    g_assert(ctx->linux_io_uring != NULL);
    return ctx->linux_io_uring;
}
#endif /* CONFIG_LINUX_IO_URING */

/* Home thread only: the pool is created on first use, without a lock. */
ThreadPoolAio *aio_get_thread_pool(AioContext *ctx)
{
    ThreadPoolAio *pool = ctx->thread_pool;

    if (pool == NULL) {
        pool = thread_pool_new_aio(ctx);
        ctx->thread_pool = pool;
    }
    return pool;
}

/* ------------------------------------------------------------------ */
/* Coroutine scheduling                                                */
/* ------------------------------------------------------------------ */

/*
 * The "scheduled" protocol.  Coroutine.scheduled names who has promised
 * to enter a coroutine later; it goes from NULL to a name with a cmpxchg
 * (so a second promise aborts instead of entering the coroutine twice)
 * and back to NULL right before that entry, which
 * qemu_aio_coroutine_enter() checks.
 */

/* co_schedule BH: enters what aio_co_schedule() queued, oldest first. */
static void co_schedule_bh_cb(void *opaque)
{
    AioContext *ctx = opaque;
    QSLIST_HEAD(, Coroutine) newest_first, oldest_first;
    Coroutine *co;

    /* Pairs with QSLIST_INSERT_HEAD_ATOMIC() in aio_co_schedule(). */
    QSLIST_MOVE_ATOMIC(&newest_first, &ctx->scheduled_coroutines);
    QSLIST_INIT(&oldest_first);
    while ((co = QSLIST_FIRST(&newest_first)) != NULL) {
        QSLIST_REMOVE_HEAD(&newest_first, co_scheduled_next);
        QSLIST_INSERT_HEAD(&oldest_first, co, co_scheduled_next);
    }

    while ((co = QSLIST_FIRST(&oldest_first)) != NULL) {
        QSLIST_REMOVE_HEAD(&oldest_first, co_scheduled_next);
        /*
         * The promise is kept now.  Whatever the coroutine does next is
         * ordered after this by the smp_wmb() in qemu_aio_coroutine_enter().
         */
        qatomic_set(&co->scheduled, NULL);
        qemu_aio_coroutine_enter(ctx, co);
    }
}

/* Thread-safe. */
void aio_co_schedule(AioContext *ctx, Coroutine *co)
{
    const char *earlier = qatomic_cmpxchg(&co->scheduled, NULL, __func__);

    if (earlier) {
        fprintf(stderr, "aio_co_schedule: coroutine %p was already "
                "scheduled by %s(); it would be entered twice\n",
                (void *)co, earlier);
        abort();
    }

    /*
     * Once @co is on the list, the home thread may run it, and @co may
     * drop the last reference to @ctx, before we reach qemu_bh_schedule().
     * Hold our own reference until we are done with @ctx.
     */
    aio_context_ref(ctx);
    QSLIST_INSERT_HEAD_ATOMIC(&ctx->scheduled_coroutines, co,
                              co_scheduled_next);
    qemu_bh_schedule(ctx->co_schedule_bh);
    aio_context_unref(ctx);
}

/* Thread-safe. */
void aio_co_wake(Coroutine *co)
{
    /*
     * Read @co before its ctx; pairs with the smp_wmb() in
     * qemu_aio_coroutine_enter().
     */
    smp_read_barrier_depends();
    aio_co_enter(qatomic_read(&co->ctx), co);
}

/* Thread-safe. */
void aio_co_enter(AioContext *ctx, Coroutine *co)
{
    Coroutine *waker;

    if (ctx != qemu_get_current_aio_context()) {
        /* Only @ctx's own thread may run @co: hand it over. */
        aio_co_schedule(ctx, co);
    } else if (!qemu_in_coroutine()) {
        qemu_aio_coroutine_enter(ctx, co);
    } else {
        /*
         * Run @co when the calling coroutine yields or terminates;
         * entering it here would nest stacks and let a chain of wake-ups
         * grow without bound.
         */
        waker = qemu_coroutine_self();
        assert(waker != co);
        QSIMPLEQ_INSERT_TAIL(&waker->co_queue_wakeup, co, co_queue_next);
    }
}

/* A coroutine on its way to another context, and that context. */
typedef struct CoMove {
    AioContext *dest;
    Coroutine *co;
} CoMove;

/* Runs in the old context, after the coroutine has yielded there. */
static void co_move_bh(void *opaque)
{
    aio_co_schedule(((CoMove *)opaque)->dest, ((CoMove *)opaque)->co);
}

void coroutine_fn aio_co_reschedule_self(AioContext *new_ctx)
{
    AioContext *here = qemu_get_current_aio_context();
    CoMove move;

    if (here != new_ctx) {
        move.dest = new_ctx;
        move.co = qemu_coroutine_self();
        /*
         * Scheduling ourselves into @new_ctx directly would let its thread
         * enter us before we have yielded here.  A BH of this context runs
         * only after the yield below.  @move stays valid: we are suspended
         * until the new context enters us.
         */
        aio_bh_schedule_oneshot(here, co_move_bh, &move);
        qemu_coroutine_yield();
    }
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

/* Timer lists of the context kick the context when the head changes. */
static void aio_timerlist_notify(void *opaque, QEMUClockType type)
{
    aio_notify(opaque);
}

AioContext *aio_context_new(Error **errp)
{
    AioContext *ctx;
    int ret;

    /* g_source_new() zeroes the rest of the structure. */
    ctx = (AioContext *)g_source_new(&aio_source_funcs, sizeof(AioContext));

    ret = event_notifier_init(&ctx->notifier, false);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to initialize event notifier");
        g_source_unref(&ctx->source);   /* finalize sees no fdmon_ops */
        return NULL;
    }

    QSLIST_INIT(&ctx->bh_list);
    QSIMPLEQ_INIT(&ctx->bh_slice_list);
    QSLIST_INIT(&ctx->scheduled_coroutines);
    ctx->co_schedule_bh = aio_bh_new(ctx, co_schedule_bh_cb, ctx);
    qemu_lockcnt_init(&ctx->list_lock);
    qemu_rec_mutex_init(&ctx->lock);
    aio_context_setup(ctx);
    /* A nested aio_poll() may run a nested glib iteration over us. */
    g_source_set_can_recurse(&ctx->source, true);

    aio_set_event_notifier(ctx, &ctx->notifier, ctx_notifier_read,
                           ctx_notifier_poll, ctx_notifier_poll_ready);

    timerlistgroup_init(&ctx->tlg, aio_timerlist_notify, ctx);

    /*
     * Tunables keep their zero defaults (no polling, no batch limit, no
     * pool yet, pool minimum 0) except the pool's thread cap.
     */
    ctx->thread_pool_max = THREAD_POOL_MAX_THREADS_DEFAULT;

    register_aiocontext(ctx);
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Current context                                                     */
/* ------------------------------------------------------------------ */

/*
 * Coroutine-safe TLS: a coroutine may move between threads, so the
 * compiler must not cache the variable's address across a yield.
 */
QEMU_DEFINE_STATIC_CO_TLS(AioContext *, my_aiocontext)

AioContext *qemu_get_current_aio_context(void)
{
    AioContext *mine = get_my_aiocontext();

    /* A thread holding the BQL (a vCPU, say) acts for the main loop. */
    if (mine == NULL && bql_locked()) {
        mine = qemu_get_aio_context();
    }
    return mine;
}

void qemu_set_current_aio_context(AioContext *ctx)
{
    if (get_my_aiocontext()) {
        fprintf(stderr, "qemu_set_current_aio_context: this thread already "
                "runs an AioContext; a thread can only be set once\n");
        abort();
    }
    set_my_aiocontext(ctx);
}

/* ------------------------------------------------------------------ */
/* Tuning                                                              */
/* ------------------------------------------------------------------ */

void aio_context_set_thread_pool_params(AioContext *ctx, int64_t min,
                                        int64_t max, Error **errp)
{
    bool valid = min >= 0 && max > 0 && min <= max && max <= INT_MAX;

    if (!valid) {
        error_setg(errp, "bad thread-pool-min/thread-pool-max values");
    } else {
        ctx->thread_pool_min = min;
        ctx->thread_pool_max = max;
        /* A pool created later reads the bounds itself. */
        if (ctx->thread_pool) {
            thread_pool_update_params(ctx->thread_pool, ctx);
        }
    }
}
