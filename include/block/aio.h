/*
 * qemuutil: AioContext, the event loop behind QEMU's block layer and
 * IOThreads, with its bottom halves and file-descriptor handlers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An AioContext watches file descriptors, runs bottom halves (BHs, callbacks
 * scheduled to run "as soon as possible" from any thread) and owns one timer
 * list per clock.  One thread at a time drives it, either by calling
 * aio_poll() in a loop or by attaching its GSource to a GMainContext; that
 * thread is the context's *home thread* (see in_aio_context_home_thread()).
 *
 * Threading contract, unless a function says otherwise: functions that run
 * the loop (aio_poll(), aio_bh_poll(), aio_dispatch()...) are home thread
 * only; functions that queue work (qemu_bh_schedule(), aio_notify(),
 * aio_bh_schedule_oneshot(), aio_co_schedule()) are thread-safe.
 *
 * Memory: an AioContext is a GSource and is reference counted as one.  A BH
 * is freed by qemu_bh_delete() (or after running, for one-shot BHs); an fd
 * handler by aio_set_fd_handler() with all callbacks NULL.  See
 * docs/memory.rst for when a callback can still run after cancel or delete.
 */
#ifndef QEMU_AIO_H
#define QEMU_AIO_H

/*
 * The include list is part of the API: QEMU code relies on getting these
 * headers through this one.
 */
#ifdef CONFIG_LINUX_IO_URING
#include <liburing.h>       /* struct io_uring in AioContext */
#endif
#include "qemu/coroutine-core.h"
#include "qemu/queue.h"
#include "qemu/event_notifier.h"
/* locks and timers embedded in AioContext */
#include "qemu/lockcnt.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
/* block-layer hooks */
#include "block/graph-lock.h"
#include "hw/qdev-core.h"

/* ------------------------------------------------------------------ */
/* Asynchronous block requests (implemented in util/aiocb.c)           */
/* ------------------------------------------------------------------ */

/* Completion callback of a block request: @ret is 0 or -errno. */
typedef void BlockCompletionFunc(void *opaque, int ret);

typedef struct BlockAIOCB BlockAIOCB;

/*
 * AIOCBInfo: per-request-type description.
 * @aiocb_size: bytes qemu_aio_get() allocates (a BlockAIOCB comes first)
 * @cancel_async: start cancelling a request (may be NULL)
 */
typedef struct AIOCBInfo {
    size_t aiocb_size;
    void (*cancel_async)(BlockAIOCB *acb);
} AIOCBInfo;

/*
 * BlockAIOCB: the common head of an asynchronous request.  The fields are
 * API: block drivers and devices read and write them directly.
 */
struct BlockAIOCB {
    BlockCompletionFunc *cb;    /* called once with the request's result */
    void *opaque;               /* ...and this argument */
    const AIOCBInfo *aiocb_info;
    int refcnt;                 /* freed by qemu_aio_unref() at zero */
    BlockDriverState *bs;
};

/** qemu_aio_ref: take a reference to a BlockAIOCB. */
void qemu_aio_ref(void *acb_ptr);
/** qemu_aio_unref: drop a reference to a BlockAIOCB; frees it at zero. */
void qemu_aio_unref(void *acb_ptr);
/**
 * qemu_aio_get:
 * Allocate @info->aiocb_size zeroed bytes, fill in the BlockAIOCB
 * head with the arguments and a reference count of 1.
 */
void *qemu_aio_get(const AIOCBInfo *info,
                   BlockDriverState *bs, BlockCompletionFunc *cb,
                   void *opaque);

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

/* fd readiness callback. */
typedef void IOHandler(void *opaque);
/* Userspace poll: return true if the handler has work (no syscall!). */
typedef bool AioPollFn(void *opaque);
/* Bottom-half callback. */
typedef void QEMUBHFunc(void *opaque);

/* One registered file descriptor; private to util/aio-posix.c. */
typedef struct AioHandler AioHandler;
typedef QLIST_HEAD(, AioHandler) AioHandlerList;
typedef QSLIST_HEAD(, AioHandler) AioHandlerSList;

/* Engines a context may own; defined by their own modules. */
typedef struct LuringState LuringState; /* block/raw-aio.h, io_uring */
struct LinuxAioState;           /* block/raw-aio.h, libaio */
struct ThreadPoolAio;           /* block/thread-pool.h */

/*
 * FDMonOps: a file-descriptor monitor (poll(2), epoll(7) or io_uring).
 *
 * @update: called with ctx->list_lock held when a handler is added
 *   (@old_node NULL), removed (@new_node NULL) or replaced.
 * @wait: wait at most @timeout ns (-1: forever) and put the handlers whose
 *   fds are ready on @ready_list; called with ctx->list_lock's count raised.
 *   Returns the number of ready fds (or a negative value on error).
 * @need_wait: true when aio_poll() must call @wait even if it would not
 *   block, because userspace polling cannot see every fd.  Monitors that
 *   cannot poll readiness from userspace use aio_poll_disabled().
 */
typedef struct {
    bool (*need_wait)(AioContext *ctx);
    int (*wait)(AioContext *ctx, AioHandlerList *ready_list,
                int64_t timeout);
    void (*update)(AioContext *ctx, AioHandler *old_node,
                   AioHandler *new_node);
} FDMonOps;

/**
 * aio_poll_disabled:
 * @ctx: the AioContext
 *
 * Returns: true if some registered handler has no io_poll callback, so
 * that userspace polling alone can never see all events.  Thread-safe.
 */
bool aio_poll_disabled(AioContext *ctx);

/*
 * Bottom halves are pushed on ctx->bh_list by any thread.  aio_bh_poll()
 * detaches the whole list into a BHListSlice that lives on its own stack and
 * is chained on ctx->bh_slice_list, so that nested aio_bh_poll() calls keep
 * draining the outer slices and BHs scheduled meanwhile wait for the next
 * pass.
 */
typedef QSLIST_HEAD(, QEMUBH) BHList;

/* Adaptive-polling state of one handler. */
typedef struct AioPolledEvent {
    int64_t ns;             /* how long to busy-poll, in nanoseconds */
} AioPolledEvent;

typedef struct BHListSlice BHListSlice;
struct BHListSlice {
    QSIMPLEQ_ENTRY(BHListSlice) next;   /* on ctx->bh_slice_list */
    BHList bh_list;                     /* BHs still to run */
};

/*
 * struct AioContext: the event loop state.
 *
 * Only @source (which must stay first: the context is allocated by
 * g_source_new() and is its own GSource), @bdrv_graph and @aio_max_batch
 * are reached into by code outside the event loop; all other fields are
 * private to util/async.c, util/aio-posix.c, util/fdmon-*.c,
 * util/qemu-timer.c and util/thread-pool.c.
 */
struct AioContext {
    GSource source;

    /* --- file-descriptor handlers --- */

    /*
     * Protects the handler lists against concurrent add/remove and keeps
     * nodes alive while a walker (aio_poll(), dispatch) uses them.
     */
    QemuLockCnt list_lock;

    /*
     * Every AioHandler, including the ones marked deleted.  Insertions and
     * removals take list_lock; walkers raise its count and skip deleted
     * nodes.
     */
    AioHandlerList aio_handlers;

    /*
     * Handlers taking part in userspace polling.  Walked and changed by
     * the home thread with list_lock's count raised; aio_set_fd_handler()
     * unlinks a node from here only when the count is zero.
     */
    AioHandlerList poll_aio_handlers;

    /*
     * Handlers removed while somebody walked the list (list_lock count was
     * non-zero).  Protected by list_lock; freed by the outermost walker.
     */
    AioHandlerList deleted_aio_handlers;

    /* Current fd monitor; changed under list_lock by the home thread. */
    const FDMonOps *fdmon_ops;

    /* epoll(7) instance, or -1 (fdmon-epoll.c). */
    int epollfd;

#ifdef CONFIG_LINUX_IO_URING
    /* io_uring fd monitor (util/fdmon-io_uring.c). */
    AioHandlerSList submit_list;
    struct io_uring fdmon_io_uring;
#endif

    /* --- wake-ups --- */

    /* Written by aio_notify() to wake a blocked poll; read fd watched by
     * the context itself (never counted as progress). */
    EventNotifier notifier;

    /*
     * Set by aio_notify(), cleared by aio_notify_accept() before the loop
     * looks for work.  When false, either the notifier is also clear or the
     * home thread is about to look for work anyway.  Atomic accesses.
     */
    bool notified;

    /*
     * Whether aio_notify() must write the event notifier.  Bit 0 is set by
     * the GSource's prepare() and cleared by its check(); bits 1-31 count
     * aio_poll() calls that are about to block (each adds 2).  Written by
     * the home thread only, read by any thread (atomic accesses).  Zero
     * means that everything will be looked at again before anybody blocks,
     * so a notification can be skipped.
     */
    uint32_t notify_me;

    /* --- bottom halves, coroutines and timers --- */

    /* Slices taken by the aio_bh_poll() calls in progress, outermost
     * first.  Home thread only. */
    QSIMPLEQ_HEAD(, BHListSlice) bh_slice_list;

    /* Scheduled bottom halves not yet taken by aio_bh_poll(); lock-free. */
    BHList bh_list;

    /* BH that enters the scheduled coroutines in the home thread. */
    QEMUBH *co_schedule_bh;
    /* Coroutines queued by aio_co_schedule() (lock-free list). */
    QSLIST_HEAD(, Coroutine) scheduled_coroutines;

    /* One timer list per clock; the lists have their own locking. */
    QEMUTimerListGroup tlg;

    /* --- adaptive polling --- */

    /* True between io_poll_begin and io_poll_end calls (home thread). */
    bool poll_started;

    /* Handlers without io_poll; atomic, written under list_lock. */
    int poll_disable_cnt;

    /* Adaptive polling parameters (aio_context_set_poll_params()).  Read
     * without synchronisation: a stale value for one iteration is fine. */
    int64_t poll_max_ns, poll_shrink, poll_grow;

    /* --- I/O engines --- */

    /* Thread pool created lazily by aio_get_thread_pool(); own locking. */
    struct ThreadPoolAio *thread_pool;

    /* Bounds for the thread pool, set by
     * aio_context_set_thread_pool_params(); home thread / BQL. */
    int thread_pool_max, thread_pool_min;

    /* Maximum requests per batch for the Linux AIO engines. */
    int64_t aio_max_batch;

#ifdef CONFIG_LINUX_IO_URING
    /* io_uring block engine, aio_setup_linux_io_uring(). */
    LuringState *linux_io_uring;
#endif
#ifdef CONFIG_LINUX_AIO
    /* Linux AIO engine, aio_setup_linux_aio(). */
    struct LinuxAioState *linux_aio;
#endif

    /* --- for the context's users --- */

    /* Graph-lock reader state, owned by block/graph-lock.c. */
    BdrvGraphRWlock *bdrv_graph;

    /* Recursive lock available to the context's users; unused here. */
    QemuRecMutex lock;
};

/* ------------------------------------------------------------------ */
/* Lifecycle                                                          */
/* ------------------------------------------------------------------ */

/**
 * aio_context_new:
 * @errp: error object
 *
 * Create an AioContext with one reference.  It is not attached to any
 * GMainContext and no thread owns it until one calls
 * qemu_set_current_aio_context() or attaches aio_get_g_source().
 *
 * Returns: the context, or NULL with @errp set.
 */
AioContext *aio_context_new(Error **errp);

/**
 * aio_context_unref:
 * @ctx: the AioContext
 *
 * Drop a reference; the last one finalizes the context, which aborts if a
 * BH other than a deleted one is still queued.  Thread-safe.
 */
void aio_context_unref(AioContext *ctx);

/**
 * aio_context_ref:
 * @ctx: the AioContext
 *
 * Take a reference (a GSource reference).  Thread-safe.
 */
void aio_context_ref(AioContext *ctx);

/**
 * aio_get_g_source:
 * @ctx: the AioContext
 *
 * Returns: a new reference to @ctx's GSource, to attach to a GMainContext.
 * Switches @ctx to an fd monitor that glib can drive.
 */
GSource *aio_get_g_source(AioContext *ctx);

/* aio_context_use_g_source: make @ctx drivable by glib (internal). */
void aio_context_use_g_source(AioContext *ctx);

/**
 * aio_context_setup:
 * Choose @ctx's fd monitor (internal to aio_context_new()).
 */
void aio_context_setup(AioContext *ctx);

/**
 * aio_context_destroy:
 * Release @ctx's fd monitor (internal to finalization).
 */
void aio_context_destroy(AioContext *ctx);

/* ------------------------------------------------------------------ */
/* Tuning and I/O engines                                             */
/* ------------------------------------------------------------------ */

/**
 * aio_context_set_thread_pool_params:
 * @ctx: the AioContext
 * @min: threads the pool keeps even when idle
 * @max: most threads the pool starts
 * @errp: error object; set when not 0 <= @min <= @max, 0 < @max <= INT_MAX
 */
void aio_context_set_thread_pool_params(AioContext *ctx, int64_t min,
                                        int64_t max, Error **errp);

/** aio_get_thread_pool: @ctx's thread pool, created on first use. */
struct ThreadPoolAio *aio_get_thread_pool(AioContext *ctx);

/**
 * aio_context_set_aio_params:
 * @ctx: the AioContext
 * @max_batch: largest batch the Linux AIO engines submit (0: engine
 *             default)
 */
void aio_context_set_aio_params(AioContext *ctx, int64_t max_batch);

/** aio_setup_linux_io_uring: create @ctx's io_uring engine on first use. */
LuringState *aio_setup_linux_io_uring(AioContext *ctx, Error **errp);

/** aio_get_linux_io_uring: @ctx's io_uring engine (must exist). */
LuringState *aio_get_linux_io_uring(AioContext *ctx);

/** aio_setup_linux_aio: create @ctx's Linux AIO engine on first use. */
struct LinuxAioState *aio_setup_linux_aio(AioContext *ctx, Error **errp);

/** aio_get_linux_aio: @ctx's Linux AIO engine (must exist). */
struct LinuxAioState *aio_get_linux_aio(AioContext *ctx);

/**
 * aio_context_set_poll_params:
 * @ctx: the AioContext
 * @max_ns: longest busy-poll in ns (0 disables polling)
 * @grow: factor by which a handler's poll time grows (0: 2)
 * @shrink: divisor by which it shrinks (0: drop to 0)
 * @errp: error object
 *
 * Set the adaptive-polling parameters and restart every handler's poll
 * time at 0.  Home thread (or with the context quiescent).
 */
void aio_context_set_poll_params(AioContext *ctx, int64_t max_ns,
                                 int64_t grow, int64_t shrink, Error **errp);

/* ------------------------------------------------------------------ */
/* Which context a thread runs                                        */
/* ------------------------------------------------------------------ */

/**
 * qemu_set_current_aio_context:
 * @ctx: the context the calling thread is going to run
 *
 * Make the calling thread @ctx's home thread.  Once per thread: aborts if
 * the thread already has a context.
 */
void qemu_set_current_aio_context(AioContext *ctx);

/**
 * qemu_get_current_aio_context:
 *
 * Returns: the AioContext the calling thread runs (set with
 * qemu_set_current_aio_context()); failing that, the main context if the
 * caller holds the BQL; else NULL.
 */
AioContext *qemu_get_current_aio_context(void);

/* ------------------------------------------------------------------ */
/* Bottom halves                                                      */
/* ------------------------------------------------------------------ */

/**
 * aio_bh_new_full:
 * @ctx: context the BH runs in
 * @cb: callback
 * @opaque: argument for @cb
 * @name: name for debugging (reported if the BH leaks)
 * @reentrancy_guard: device guard flagged while @cb runs, or NULL
 *
 * Allocate a BH that is not scheduled.  The caller owns it and frees it
 * with qemu_bh_delete().  Thread-safe.
 */
QEMUBH *aio_bh_new_full(AioContext *ctx, QEMUBHFunc *cb, void *opaque,
                        const char *name,
                        MemReentrancyGuard *reentrancy_guard);

/* The short forms name the BH after its callback. */
#define aio_bh_new_guarded(ctx, cb, opaque, guard) \
    aio_bh_new_full(ctx, cb, opaque, stringify(cb), guard)
#define aio_bh_new(ctx, cb, opaque) \
    aio_bh_new_guarded(ctx, cb, opaque, NULL)

/**
 * qemu_bh_schedule:
 * @bh: a bottom half
 *
 * Make @bh run once at the next aio_bh_poll() of its context and wake the
 * context.  Scheduling a scheduled BH does nothing more.  Thread-safe.
 */
void qemu_bh_schedule(QEMUBH *bh);

/**
 * qemu_bh_delete:
 * @bh: a bottom half, possibly scheduled, possibly running (a BH may
 *      delete itself)
 *
 * Free @bh.  Its callback never starts again; the memory is released by the
 * next aio_bh_poll() of its context.  Thread-safe.
 */
void qemu_bh_delete(QEMUBH *bh);

/**
 * qemu_bh_cancel:
 * @bh: a bottom half
 *
 * Unschedule @bh.  It does not wait: if another thread is running the
 * callback right now, the callback finishes.  Thread-safe.
 */
void qemu_bh_cancel(QEMUBH *bh);

/**
 * aio_bh_schedule_oneshot_full:
 * @ctx: context to run @cb in
 * @cb: callback
 * @opaque: argument for @cb
 * @name: name for debugging
 *
 * Run @cb(@opaque) once in @ctx's home thread; the BH frees itself after
 * running.  Thread-safe.
 */
void aio_bh_schedule_oneshot_full(AioContext *ctx, QEMUBHFunc *cb,
                                  void *opaque, const char *name);

/* aio_bh_schedule_oneshot: aio_bh_schedule_oneshot_full() named after @cb */
#define aio_bh_schedule_oneshot(ctx, cb, opaque) \
    aio_bh_schedule_oneshot_full((ctx), (cb), (opaque), (stringify(cb)))

/**
 * aio_bh_call:
 * @bh: a bottom half
 *
 * Run @bh's callback now, with its reentrancy guard engaged.  For callers
 * that run a BH outside the event loop.
 */
void aio_bh_call(QEMUBH *bh);

/**
 * aio_bh_poll:
 * @ctx: the AioContext
 *
 * Run the BHs scheduled so far; BHs scheduled while they run wait for the
 * next call.  May nest (a BH may run a nested event loop).  Home thread
 * only.
 *
 * Returns: 1 if a BH that was not idle ran, else 0.
 */
int aio_bh_poll(AioContext *ctx);

/* ------------------------------------------------------------------ */
/* File-descriptor handlers                                           */
/* ------------------------------------------------------------------ */

/**
 * aio_set_event_notifier_poll:
 * @ctx: the AioContext
 * @notifier: a notifier registered with aio_set_event_notifier()
 * @io_poll_begin: called when the loop starts busy-polling, or NULL
 * @io_poll_end: called when it stops, or NULL
 *
 * Lets a device turn off its own notifications while the loop polls.
 * Home thread only.
 */
void aio_set_event_notifier_poll(AioContext *ctx, EventNotifier *notifier,
                                 EventNotifierHandler *io_poll_begin,
                                 EventNotifierHandler *io_poll_end);

/**
 * aio_set_fd_handler:
 * @ctx: the AioContext
 * @fd: file descriptor
 * @io_read: called when @fd is readable (or hung up / in error), or NULL
 * @io_write: called when @fd is writable (or in error), or NULL
 * @io_poll: userspace check for work, or NULL; ignored if @io_poll_ready
 *           is NULL
 * @io_poll_ready: called when @io_poll returned true
 * @opaque: argument for the callbacks
 *
 * Add, replace or (with all callbacks NULL) remove the handler of @fd.
 * Safe from inside any callback of @ctx, including the handler's own: a
 * removed handler never runs again, and its memory is freed once no
 * iteration of the loop uses it.  Thread-safe.
 */
void aio_set_fd_handler(AioContext *ctx, int fd,
                        IOHandler *io_read, IOHandler *io_write,
                        AioPollFn *io_poll, IOHandler *io_poll_ready,
                        void *opaque);

/**
 * aio_set_event_notifier:
 * @ctx: the AioContext
 * @notifier: the event notifier (its read fd is watched)
 * @io_read: called with @notifier when it is set, or NULL to remove
 * @io_poll: userspace check, or NULL
 * @io_poll_ready: called with @notifier when @io_poll returned true
 *
 * aio_set_fd_handler() for an EventNotifier; the opaque is @notifier.
 */
void aio_set_event_notifier(AioContext *ctx, EventNotifier *notifier,
                            EventNotifierHandler *io_read,
                            AioPollFn *io_poll,
                            EventNotifierHandler *io_poll_ready);

/* ------------------------------------------------------------------ */
/* Running the loop                                                   */
/* ------------------------------------------------------------------ */

/**
 * aio_notify_accept:
 * @ctx: the AioContext
 *
 * Clear the notification flag before looking for work.  Home thread only.
 */
void aio_notify_accept(AioContext *ctx);

/**
 * aio_poll:
 * @ctx: the AioContext
 * @blocking: wait for work if there is none
 *
 * Run one iteration of the event loop: BHs, ready handlers and expired
 * timers.  With @blocking, wait until at least one of them has work (an
 * aio_notify() also ends the wait).  Home thread only; may nest inside a
 * callback.
 *
 * Returns: true if a callback made progress: a non-idle BH ran, a handler
 * other than the context's own notifier ran, or a timer fired.  Wake-ups by
 * aio_notify() alone are not progress.
 */
bool no_coroutine_fn aio_poll(AioContext *ctx, bool blocking);

/**
 * aio_compute_timeout:
 * @ctx: the AioContext
 *
 * Returns: how long the loop may block, in ns: 0 if a BH is scheduled,
 * at most 10 ms if only idle BHs are, else the nearest timer deadline
 * (-1: no deadline).  Home thread only.
 */
int64_t aio_compute_timeout(AioContext *ctx);

/**
 * aio_notify:
 * @ctx: the AioContext
 *
 * Make the home thread look for work again: a blocking aio_poll() or a
 * GMainContext iteration waiting on @ctx wakes up.  Costs no system call
 * when nobody is waiting.  Thread-safe.
 */
void aio_notify(AioContext *ctx);

/**
 * aio_dispatch:
 * @ctx: the AioContext
 *
 * GSource helper: run BHs, every handler with events, then timers.
 */
void aio_dispatch(AioContext *ctx);

/**
 * aio_pending:
 * @ctx: the AioContext
 *
 * GSource helper.  Returns: true if glib reported an event for a handler
 * that has a callback for it.
 */
bool aio_pending(AioContext *ctx);

/**
 * aio_prepare:
 * @ctx: the AioContext
 *
 * GSource helper: leave userspace polling mode before glib polls the fds.
 *
 * Returns: false (nothing is known to be ready).
 */
bool aio_prepare(AioContext *ctx);

/* ------------------------------------------------------------------ */
/* Timers on the context's timer list group                           */
/* ------------------------------------------------------------------ */

/**
 * aio_timer_init_with_attrs:
 * Initialise a caller-allocated timer @ts on @ctx (see
 * aio_timer_new_with_attrs()).
 */
static inline void
aio_timer_init_with_attrs(AioContext *ctx, QEMUTimer *ts, QEMUClockType type,
                          int scale, int attributes, QEMUTimerCB *cb,
                          void *opaque)
{
    timer_init_full(ts, &ctx->tlg, type, scale, attributes, cb, opaque);
}

/** aio_timer_init: aio_timer_init_with_attrs() with no attributes. */
static inline void
aio_timer_init(AioContext *ctx, QEMUTimer *ts, QEMUClockType type, int scale,
               QEMUTimerCB *cb, void *opaque)
{
    aio_timer_init_with_attrs(ctx, ts, type, scale, 0, cb, opaque);
}

/**
 * aio_timer_new_with_attrs:
 * Allocate a timer on @ctx with the given clock, scale (ns per unit) and
 * attributes; free it with timer_free().  Its callback runs in @ctx.
 */
static inline QEMUTimer *
aio_timer_new_with_attrs(AioContext *ctx, QEMUClockType type, int scale,
                         int attributes, QEMUTimerCB *cb, void *opaque)
{
    return timer_new_full(&ctx->tlg, type, scale, attributes, cb, opaque);
}

/** aio_timer_new: aio_timer_new_with_attrs() with no attributes. */
static inline QEMUTimer *
aio_timer_new(AioContext *ctx, QEMUClockType type, int scale,
              QEMUTimerCB *cb, void *opaque)
{
    return aio_timer_new_with_attrs(ctx, type, scale, 0, cb, opaque);
}

/* ------------------------------------------------------------------ */
/* Coroutines                                                         */
/* ------------------------------------------------------------------ */

/**
 * aio_co_enter:
 * @ctx: the context @co should run in
 * @co: a yielded coroutine
 *
 * If @ctx is not the caller's context, aio_co_schedule() @co there.  In
 * @ctx from inside a coroutine, queue @co to run when the running
 * coroutine yields or ends; otherwise enter @co right away.
 */
void aio_co_enter(AioContext *ctx, Coroutine *co);

/**
 * aio_co_wake:
 * @co: a yielded coroutine
 *
 * Restart @co in the AioContext in which it last ran (see aio_co_enter()).
 * Thread-safe.
 */
void aio_co_wake(Coroutine *co);

/**
 * aio_co_schedule:
 * @ctx: context to run @co in
 * @co: a coroutine that is not running and not scheduled
 *
 * Enter @co from a BH in @ctx's home thread.  Aborts if @co is already
 * scheduled.  Thread-safe.
 */
void aio_co_schedule(AioContext *ctx, Coroutine *co);

/**
 * aio_co_reschedule_self:
 * @new_ctx: the context to continue in
 *
 * Move the running coroutine to @new_ctx; returns once it runs there.
 * Coroutine only.
 */
void coroutine_fn aio_co_reschedule_self(AioContext *new_ctx);

#endif /* QEMU_AIO_H */
