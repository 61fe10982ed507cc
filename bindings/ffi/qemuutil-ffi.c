/*
 * qemuutil-ffi.c: the stable C ABI over AioContext, BHs, timers, fd
 * handlers, EventNotifier, IOThread and the main loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * How a callback handle dies (the part that needs care):
 *
 * Every BH, timer, fd watch and notifier watch is an FfiCb.  Its memory is
 * reference counted: one reference for the user's handle, one for the
 * registration in the AioContext, and one per dispatch in progress.
 * _free() (any thread) sets ->detached, unregisters from the AioContext
 * (all thread-safe in the core), drops the user's reference and then ends
 * the registration.  Ending it calls the destroy notify and drops the
 * registration's reference; that must wait until no thread can be about to
 * enter the trampoline, because the core may have picked the callback
 * before ->detached was set.  The dispatching ("home") thread is the only
 * one that can be there, so:
 *
 *  1. if the caller is the home thread, or nobody dispatches the context
 *     (checked under FfiCtx.lock, which every shim-driven dispatch takes to
 *     announce itself), the registration ends at once;
 *  2. otherwise the FfiCb goes on the context's reap list and reap_bh is
 *     scheduled: it runs in the home thread, necessarily after the
 *     trampoline call that might have been in flight.  When the shim's own
 *     poll ends, it also empties the list.
 *
 * A trampoline holds a reference while the user callback runs, and a
 * registration that ends during that callback leaves the destroy notify to
 * the trampoline (->destroy_pending), so destroy never overlaps the
 * callback.
 */
#include "qemu/osdep.h"
#include <sys/epoll.h>
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qemu/event_notifier.h"
#include "qemu/main-loop.h"
#include "qemu/iothread.h"
#include "block/aio.h"
#include "qemuutil-ffi.h"

#ifndef QEMUUTIL_FFI_VERSION_STRING
#error "the build must define QEMUUTIL_FFI_VERSION_STRING"
#endif

/* Handles and pending destroy notifies handed out; atomic. */
static int64_t ffi_live;

static void live_inc(void)
{
    qatomic_inc(&ffi_live);
}

static void live_dec(void)
{
    qatomic_dec(&ffi_live);
}

static void ffi_misuse(const char *what)
{
    fprintf(stderr, "qemuutil-ffi: %s\n", what);
    abort();
}

#define FFI_CHECK_HANDLE(h, fn)                                          \
    do {                                                                 \
        if (!(h)) {                                                      \
            ffi_misuse(fn ": called with a NULL handle");                \
        }                                                                \
    } while (0)

/* ---------------------------------------------------------------------- */
/* Version and errors                                                     */
/* ---------------------------------------------------------------------- */

uint32_t qemuutil_ffi_version(void)
{
    unsigned major = 0, minor = 0, micro = 0;

    sscanf(QEMUUTIL_FFI_VERSION_STRING, "%u.%u.%u", &major, &minor, &micro);
    return (major << 16) | (minor << 8) | micro;
}

const char *qemuutil_ffi_version_string(void)
{
    return QEMUUTIL_FFI_VERSION_STRING;
}

int qemuutil_ffi_abi_version(void)
{
    return QEMUUTIL_FFI_ABI_VERSION;
}

static const struct {
    int code;
    const char *name;
    const char *text;
} ffi_errors[] = {
    { QEMUUTIL_FFI_OK, "OK", "Success" },
    { QEMUUTIL_FFI_EPERM, "EPERM", "Not allowed from this thread" },
    { QEMUUTIL_FFI_ENOENT, "ENOENT", "No such object" },
    { QEMUUTIL_FFI_EBADF, "EBADF", "Bad file descriptor" },
    { QEMUUTIL_FFI_EAGAIN, "EAGAIN", "Resource temporarily unavailable" },
    { QEMUUTIL_FFI_ENOMEM, "ENOMEM", "Out of memory" },
    { QEMUUTIL_FFI_EBUSY, "EBUSY", "Object already in use" },
    { QEMUUTIL_FFI_EEXIST, "EEXIST",
      "File descriptor already watched by this context" },
    { QEMUUTIL_FFI_EINVAL, "EINVAL", "Invalid argument" },
    { QEMUUTIL_FFI_EMFILE, "EMFILE", "Too many open files" },
};

const char *qemuutil_ffi_error_name(int code)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ffi_errors); i++) {
        if (ffi_errors[i].code == code) {
            return ffi_errors[i].name;
        }
    }
    return "EUNKNOWN";
}

const char *qemuutil_ffi_strerror(int code)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ffi_errors); i++) {
        if (ffi_errors[i].code == code) {
            return ffi_errors[i].text;
        }
    }
    return "Unknown error code";
}

int64_t qemuutil_ffi_live_handles(void)
{
    return qatomic_read(&ffi_live);
}

int64_t qemuutil_ffi_clock_get_ns(int clock)
{
    if (clock < 0 || clock >= QEMU_CLOCK_MAX) {
        return QEMUUTIL_FFI_EINVAL;
    }
    return qemu_clock_get_ns((QEMUClockType)clock);
}

/*
 * The core enables its clocks in init_clocks(), which only
 * qemu_init_main_loop() may call (once).  A binding may never start the
 * main loop, so turn on the host clocks here; VIRTUAL stays off, as in
 * QEMU, until somebody drives it.  init_clocks() later sets the same flags.
 */
static void ffi_init_once(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        qemu_clock_enable(QEMU_CLOCK_REALTIME, true);
        qemu_clock_enable(QEMU_CLOCK_HOST, true);
        qemu_clock_enable(QEMU_CLOCK_VIRTUAL_RT, true);
        g_once_init_leave(&done, 1);
    }
}

/* ---------------------------------------------------------------------- */
/* Context wrapper                                                        */
/* ---------------------------------------------------------------------- */

typedef struct FfiCb FfiCb;

struct QemuUtilFfiAioContext {
    int refcnt;                 /* atomic; users, children and owners */
    AioContext *ctx;            /* one reference of ours; constant */
    QEMUBH *reap_bh;            /* runs reap_cb in the home thread */

    QemuMutex lock;             /* protects the fields below */
    int poll_depth;             /* shim-driven dispatches in progress */
    QemuThread poll_thread;     /* who runs them (valid if poll_depth) */
    bool iothread_running;      /* an IOThread polls it all the time */
    bool source_dead;           /* its GSource went with its IOThread */
    FfiCb *reap_list;           /* registrations to end in home thread */
    GHashTable *fds;            /* fd -> FfiCb watching it */
    GMainContext *ext_gctx;     /* private GMainContext, set once */
    bool has_poller;

    bool dying;                 /* last unref: one-shots only destroy */

    /*
     * Callbacks run so far; home thread only.  A poll compares it before
     * and after, since GLib's iteration result also counts wake-ups.
     */
    uint64_t callbacks_run;
};

static void reap_cb(void *opaque);

/* Wrap @ctx, taking a reference to it; the wrapper starts with one ref. */
static QemuUtilFfiAioContext *ffi_ctx_wrap(AioContext *ctx)
{
    QemuUtilFfiAioContext *c = g_new0(QemuUtilFfiAioContext, 1);

    ffi_init_once();
    c->refcnt = 1;
    aio_context_ref(ctx);
    c->ctx = ctx;
    qemu_mutex_init(&c->lock);
    c->fds = g_hash_table_new(g_direct_hash, g_direct_equal);
    c->reap_bh = aio_bh_new(ctx, reap_cb, c);
    return c;
}

static void ffi_ctx_get(QemuUtilFfiAioContext *c)
{
    qatomic_inc(&c->refcnt);
}

static void ffi_end_registration(FfiCb *cb);

/* Pop the whole reap list; the caller ends each registration unlocked. */
static FfiCb *ffi_ctx_take_reaps_locked(QemuUtilFfiAioContext *c)
{
    FfiCb *list = c->reap_list;

    c->reap_list = NULL;
    return list;
}

static void ffi_run_reaps(FfiCb *list);

static void ffi_ctx_put(QemuUtilFfiAioContext *c)
{
    if (qatomic_fetch_dec(&c->refcnt) != 1) {
        return;
    }
    /*
     * Last reference: every child is gone (each held a reference), and by
     * contract nobody polls the context.  One-shot callbacks still queued
     * get their destroy notify, without running (c->dying).
     */
    c->dying = true;
    qemu_bh_delete(c->reap_bh);
    ffi_run_reaps(ffi_ctx_take_reaps_locked(c));
    while (aio_bh_poll(c->ctx)) {
        /* drain one-shots */
    }
    if (c->ext_gctx) {
        /* The GMainContext holds a reference to the source: detach it. */
        g_source_destroy(&c->ctx->source);
        g_main_context_unref(c->ext_gctx);
    }
    aio_context_unref(c->ctx);
    g_hash_table_destroy(c->fds);
    qemu_mutex_destroy(&c->lock);
    g_free(c);
}

/*
 * A shim-driven dispatch (poll, poller iterate, main loop wait) starts in
 * the calling thread.  Pairs with ffi_dispatch_end().
 */
static void ffi_dispatch_begin(QemuUtilFfiAioContext *c)
{
    qemu_mutex_lock(&c->lock);
    if (c->poll_depth++ == 0) {
        qemu_thread_get_self(&c->poll_thread);
    } else if (!qemu_thread_is_self(&c->poll_thread)) {
        ffi_misuse("two threads poll the same AioContext at once; a "
                   "context has one home thread");
    }
    qemu_mutex_unlock(&c->lock);
}

static void ffi_dispatch_end(QemuUtilFfiAioContext *c)
{
    FfiCb *reaps = NULL;

    qemu_mutex_lock(&c->lock);
    if (--c->poll_depth == 0) {
        /*
         * Outside any callback now: registrations that other threads
         * ended meanwhile can be completed here, even if reap_bh does
         * not get another iteration.
         */
        reaps = ffi_ctx_take_reaps_locked(c);
    }
    qemu_mutex_unlock(&c->lock);
    ffi_run_reaps(reaps);
}

/*
 * True if no thread other than the caller can be inside a dispatch of @c
 * right now.  Called with c->lock held: a shim dispatch announces itself
 * under that lock, so one that starts later sees our unregistration.
 */
static bool ffi_ctx_quiet_locked(QemuUtilFfiAioContext *c)
{
    GMainContext *gctx;

    if (qemu_get_current_aio_context() == c->ctx) {
        return true;            /* we are its home thread */
    }
    if (c->iothread_running) {
        return false;
    }
    if (c->poll_depth > 0) {
        return qemu_thread_is_self(&c->poll_thread);
    }
    /*
     * Attached to a GMainContext (main loop, a GLib user, a poller): its
     * iterations own that context, so owning it for a moment proves that
     * none is in progress elsewhere.
     */
    gctx = c->source_dead ? NULL : g_source_get_context(&c->ctx->source);
    if (gctx) {
        if (!g_main_context_acquire(gctx)) {
            return false;
        }
        g_main_context_release(gctx);
    }
    return true;
}

/* ---------------------------------------------------------------------- */
/* Callback handles                                                       */
/* ---------------------------------------------------------------------- */

typedef enum {
    FFI_CB_BH,
    FFI_CB_TIMER,
    FFI_CB_FD,
    FFI_CB_NOTIFIER,
} FfiCbKind;

struct FfiCb {
    int refcnt;                 /* atomic; see the top of the file */
    FfiCbKind kind;
    QemuUtilFfiAioContext *c;   /* a reference; constant */
    QemuUtilFfiFunc func;       /* BH, timer, notifier */
    QemuUtilFfiFdFunc fd_func;  /* fd watch */
    void *user_data;
    QemuUtilFfiDestroyNotify destroy;

    bool detached;              /* atomic: set by _free, read by dispatch */
    int running;                /* dispatching thread only */
    bool destroy_pending;       /* dispatching thread only */
    FfiCb *reap_next;           /* c->lock */

    QEMUBH *bh;                 /* FFI_CB_BH */
    QEMUTimer timer;            /* FFI_CB_TIMER */
    int fd;                     /* FFI_CB_FD, FFI_CB_NOTIFIER */
    int events;                 /* FFI_CB_FD; c->lock */
    QemuUtilFfiEventNotifier *notifier;     /* FFI_CB_NOTIFIER, a ref */
};

struct QemuUtilFfiBH {
    FfiCb base;
};

struct QemuUtilFfiTimer {
    FfiCb base;
};

struct QemuUtilFfiFdWatch {
    FfiCb base;
};

struct QemuUtilFfiEventNotifier {
    int refcnt;                 /* atomic: the user, and the watch */
    EventNotifier e;
    QemuMutex lock;             /* protects watch */
    FfiCb *watch;
};

static void ffi_notifier_put(QemuUtilFfiEventNotifier *n);

static FfiCb *ffi_cb_new(size_t size, FfiCbKind kind,
                         QemuUtilFfiAioContext *c, void *user_data,
                         QemuUtilFfiDestroyNotify destroy)
{
    FfiCb *cb = g_malloc0(size);

    cb->refcnt = 2;             /* the user's handle, the registration */
    cb->kind = kind;
    ffi_ctx_get(c);
    cb->c = c;
    cb->user_data = user_data;
    cb->destroy = destroy;
    cb->fd = -1;
    live_inc();
    return cb;
}

static void ffi_cb_put(FfiCb *cb)
{
    if (qatomic_fetch_dec(&cb->refcnt) != 1) {
        return;
    }
    if (cb->kind == FFI_CB_TIMER) {
        /* An in-flight callback may have re-armed it before it died. */
        timer_del(&cb->timer);
        timer_deinit(&cb->timer);
    }
    if (cb->notifier) {
        ffi_notifier_put(cb->notifier);
    }
    ffi_ctx_put(cb->c);
    g_free(cb);
    live_dec();
}

static void ffi_call_destroy(FfiCb *cb)
{
    if (cb->destroy) {
        cb->destroy(cb->user_data);
    }
}

/*
 * The registration is over: nobody can be about to enter the trampoline.
 * Runs in the home thread or while the context is quiet, unlocked.
 */
static void ffi_end_registration(FfiCb *cb)
{
    if (cb->running > 0) {
        cb->destroy_pending = true;     /* the trampoline will do it */
    } else {
        ffi_call_destroy(cb);
    }
    ffi_cb_put(cb);
}

static void ffi_run_reaps(FfiCb *list)
{
    while (list) {
        FfiCb *next = list->reap_next;

        ffi_end_registration(list);
        list = next;
    }
}

static void reap_cb(void *opaque)
{
    QemuUtilFfiAioContext *c = opaque;
    FfiCb *list;

    qemu_mutex_lock(&c->lock);
    list = ffi_ctx_take_reaps_locked(c);
    qemu_mutex_unlock(&c->lock);
    ffi_run_reaps(list);
}

/* Second half of every _free(): after unregistering from the core. */
static void ffi_cb_release(FfiCb *cb)
{
    QemuUtilFfiAioContext *c = cb->c;
    bool now;

    qemu_mutex_lock(&c->lock);
    now = ffi_ctx_quiet_locked(c);
    if (!now) {
        cb->reap_next = c->reap_list;
        c->reap_list = cb;
        qemu_bh_schedule(c->reap_bh);
    }
    qemu_mutex_unlock(&c->lock);
    if (now) {
        ffi_end_registration(cb);
    }
    ffi_cb_put(cb);             /* the user's handle */
}

/* Enter/leave the user callback; false if the handle was freed already. */
static bool ffi_cb_enter(FfiCb *cb)
{
    if (qatomic_read(&cb->detached)) {
        return false;
    }
    qatomic_inc(&cb->refcnt);
    cb->running++;
    cb->c->callbacks_run++;
    return true;
}

static void ffi_cb_leave(FfiCb *cb)
{
    if (--cb->running == 0 && cb->destroy_pending) {
        cb->destroy_pending = false;
        ffi_call_destroy(cb);
    }
    ffi_cb_put(cb);
}

static void ffi_func_trampoline(void *opaque)
{
    FfiCb *cb = opaque;

    if (ffi_cb_enter(cb)) {
        cb->func(cb->user_data);
        ffi_cb_leave(cb);
    }
}

static void ffi_cb_detach(FfiCb *cb)
{
    if (qatomic_xchg(&cb->detached, true)) {
        ffi_misuse("a handle was freed twice");
    }
    /* Pairs with the trampoline's read of ->detached after its dispatch. */
    smp_mb();
}

/* ---------------------------------------------------------------------- */
/* AioContext API                                                         */
/* ---------------------------------------------------------------------- */

int qemuutil_ffi_aio_context_new(QemuUtilFfiAioContext **out)
{
    Error *err = NULL;
    AioContext *ctx;

    *out = NULL;
    ctx = aio_context_new(&err);
    if (!ctx) {
        error_free(err);
        return QEMUUTIL_FFI_EMFILE;
    }
    *out = ffi_ctx_wrap(ctx);
    aio_context_unref(ctx);     /* the wrapper holds its own */
    live_inc();
    return 0;
}

QemuUtilFfiAioContext *qemuutil_ffi_aio_context_ref(QemuUtilFfiAioContext *ctx)
{
    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_aio_context_ref");
    ffi_ctx_get(ctx);
    live_inc();
    return ctx;
}

void qemuutil_ffi_aio_context_unref(QemuUtilFfiAioContext *ctx)
{
    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_aio_context_unref");
    live_dec();
    ffi_ctx_put(ctx);
}

/*
 * The GMainContext that dispatches @c: the one its GSource is attached to,
 * or a private one created (and attached) now.  NULL if it has none and
 * can get none.  c->lock held.
 */
static GMainContext *ffi_ctx_gctx_locked(QemuUtilFfiAioContext *c)
{
    GMainContext *gctx;
    GSource *src;

    if (c->source_dead) {
        return NULL;
    }
    gctx = g_source_get_context(&c->ctx->source);
    if (gctx) {
        return gctx;
    }
    c->ext_gctx = g_main_context_new();
    src = aio_get_g_source(c->ctx);
    g_source_attach(src, c->ext_gctx);
    g_source_unref(src);
    return c->ext_gctx;
}

int qemuutil_ffi_aio_context_poll(QemuUtilFfiAioContext *ctx, int blocking)
{
    GMainContext *gctx;
    uint64_t before;

    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_aio_context_poll");
    if (qemu_get_current_aio_context() == ctx->ctx) {
        /* Our thread's own context (main loop, IOThread): the core loop. */
        ffi_dispatch_begin(ctx);
        before = ctx->callbacks_run;
        aio_poll(ctx->ctx, blocking != 0);
        ffi_dispatch_end(ctx);
        return ctx->callbacks_run != before;
    }

    /*
     * aio_poll() only runs in the thread whose current context @ctx is,
     * and a thread has one for life; a binding's thread may poll many.
     * The GSource path (prepare/check/dispatch) has no such tie: iterate
     * the GMainContext that holds it.  Owning that GMainContext keeps
     * other threads out.
     */
    qemu_mutex_lock(&ctx->lock);
    gctx = ctx->iothread_running ? NULL : ffi_ctx_gctx_locked(ctx);
    if (gctx) {
        g_main_context_ref(gctx);
    }
    qemu_mutex_unlock(&ctx->lock);
    if (!gctx) {
        return QEMUUTIL_FFI_EPERM;
    }
    if (!g_main_context_acquire(gctx)) {
        g_main_context_unref(gctx);
        return QEMUUTIL_FFI_EPERM;
    }
    ffi_dispatch_begin(ctx);
    before = ctx->callbacks_run;
    g_main_context_iteration(gctx, blocking != 0);
    ffi_dispatch_end(ctx);
    g_main_context_release(gctx);
    g_main_context_unref(gctx);
    return ctx->callbacks_run != before;
}

void qemuutil_ffi_aio_context_notify(QemuUtilFfiAioContext *ctx)
{
    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_aio_context_notify");
    aio_notify(ctx->ctx);
}

int64_t qemuutil_ffi_aio_context_timeout_ns(QemuUtilFfiAioContext *ctx)
{
    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_aio_context_timeout_ns");
    return aio_compute_timeout(ctx->ctx);
}

typedef struct {
    QemuUtilFfiAioContext *c;
    QemuUtilFfiFunc cb;
    void *user_data;
    QemuUtilFfiDestroyNotify destroy;
} FfiOneShot;

static void ffi_oneshot_cb(void *opaque)
{
    FfiOneShot *os = opaque;

    if (!os->c->dying) {
        os->c->callbacks_run++;
        os->cb(os->user_data);
    }
    if (os->destroy) {
        os->destroy(os->user_data);
    }
    g_free(os);
    live_dec();
}

int qemuutil_ffi_aio_context_invoke(QemuUtilFfiAioContext *ctx,
                                    QemuUtilFfiFunc cb, void *user_data,
                                    QemuUtilFfiDestroyNotify destroy)
{
    FfiOneShot *os;

    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_aio_context_invoke");
    FFI_CHECK_HANDLE(cb, "qemuutil_ffi_aio_context_invoke (callback)");
    os = g_new(FfiOneShot, 1);
    os->c = ctx;                /* no reference: see ffi_ctx_put() */
    os->cb = cb;
    os->user_data = user_data;
    os->destroy = destroy;
    live_inc();
    aio_bh_schedule_oneshot(ctx->ctx, ffi_oneshot_cb, os);
    return 0;
}

void *qemuutil_ffi_aio_context_get_g_source(QemuUtilFfiAioContext *ctx)
{
    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_aio_context_get_g_source");
    return aio_get_g_source(ctx->ctx);
}

/* ---------------------------------------------------------------------- */
/* Bottom halves                                                          */
/* ---------------------------------------------------------------------- */

int qemuutil_ffi_bh_new(QemuUtilFfiAioContext *ctx, QemuUtilFfiFunc cb,
                        void *user_data, QemuUtilFfiDestroyNotify destroy,
                        QemuUtilFfiBH **out)
{
    FfiCb *h;

    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_bh_new");
    FFI_CHECK_HANDLE(cb, "qemuutil_ffi_bh_new (callback)");
    h = ffi_cb_new(sizeof(QemuUtilFfiBH), FFI_CB_BH, ctx, user_data, destroy);
    h->func = cb;
    h->bh = aio_bh_new_full(ctx->ctx, ffi_func_trampoline, h, "ffi-bh",
                            NULL);
    *out = (QemuUtilFfiBH *)h;
    return 0;
}

void qemuutil_ffi_bh_schedule(QemuUtilFfiBH *bh)
{
    FFI_CHECK_HANDLE(bh, "qemuutil_ffi_bh_schedule");
    qemu_bh_schedule(bh->base.bh);
}

void qemuutil_ffi_bh_cancel(QemuUtilFfiBH *bh)
{
    FFI_CHECK_HANDLE(bh, "qemuutil_ffi_bh_cancel");
    qemu_bh_cancel(bh->base.bh);
}

void qemuutil_ffi_bh_free(QemuUtilFfiBH *bh)
{
    FFI_CHECK_HANDLE(bh, "qemuutil_ffi_bh_free");
    ffi_cb_detach(&bh->base);
    qemu_bh_delete(bh->base.bh);
    ffi_cb_release(&bh->base);
}

/* ---------------------------------------------------------------------- */
/* Timers                                                                 */
/* ---------------------------------------------------------------------- */

int qemuutil_ffi_timer_new(QemuUtilFfiAioContext *ctx, int clock,
                           QemuUtilFfiFunc cb, void *user_data,
                           QemuUtilFfiDestroyNotify destroy,
                           QemuUtilFfiTimer **out)
{
    FfiCb *h;

    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_timer_new");
    FFI_CHECK_HANDLE(cb, "qemuutil_ffi_timer_new (callback)");
    *out = NULL;
    if (clock < 0 || clock >= QEMU_CLOCK_MAX) {
        return QEMUUTIL_FFI_EINVAL;
    }
    h = ffi_cb_new(sizeof(QemuUtilFfiTimer), FFI_CB_TIMER, ctx, user_data,
                   destroy);
    h->func = cb;
    aio_timer_init(ctx->ctx, &h->timer, (QEMUClockType)clock, SCALE_NS,
                   ffi_func_trampoline, h);
    *out = (QemuUtilFfiTimer *)h;
    return 0;
}

void qemuutil_ffi_timer_mod_ns(QemuUtilFfiTimer *timer, int64_t expire_ns)
{
    FFI_CHECK_HANDLE(timer, "qemuutil_ffi_timer_mod_ns");
    if (!qatomic_read(&timer->base.detached)) {
        timer_mod_ns(&timer->base.timer, expire_ns);
    }
}

void qemuutil_ffi_timer_del(QemuUtilFfiTimer *timer)
{
    FFI_CHECK_HANDLE(timer, "qemuutil_ffi_timer_del");
    timer_del(&timer->base.timer);
}

int qemuutil_ffi_timer_pending(QemuUtilFfiTimer *timer)
{
    FFI_CHECK_HANDLE(timer, "qemuutil_ffi_timer_pending");
    return timer_pending(&timer->base.timer) ? 1 : 0;
}

int64_t qemuutil_ffi_timer_expire_ns(QemuUtilFfiTimer *timer)
{
    FFI_CHECK_HANDLE(timer, "qemuutil_ffi_timer_expire_ns");
    if (!timer_pending(&timer->base.timer)) {
        return -1;
    }
    return (int64_t)timer_expire_time_ns(&timer->base.timer);
}

void qemuutil_ffi_timer_free(QemuUtilFfiTimer *timer)
{
    FFI_CHECK_HANDLE(timer, "qemuutil_ffi_timer_free");
    ffi_cb_detach(&timer->base);
    timer_del(&timer->base.timer);
    ffi_cb_release(&timer->base);
}

/* ---------------------------------------------------------------------- */
/* fd watches and notifier watches                                        */
/* ---------------------------------------------------------------------- */

static void ffi_fd_read(void *opaque)
{
    FfiCb *cb = opaque;

    if (ffi_cb_enter(cb)) {
        if (cb->kind == FFI_CB_NOTIFIER) {
            cb->func(cb->user_data);
        } else {
            cb->fd_func(cb->fd, QEMUUTIL_FFI_FD_READ, cb->user_data);
        }
        ffi_cb_leave(cb);
    }
}

static void ffi_fd_write(void *opaque)
{
    FfiCb *cb = opaque;

    if (ffi_cb_enter(cb)) {
        cb->fd_func(cb->fd, QEMUUTIL_FFI_FD_WRITE, cb->user_data);
        ffi_cb_leave(cb);
    }
}

/* (Re-)register @cb's handlers for @events; c->lock held. */
static void ffi_fd_apply_locked(FfiCb *cb, int events)
{
    cb->events = events;
    if (events == 0) {
        aio_set_fd_handler(cb->c->ctx, cb->fd, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    aio_set_fd_handler(cb->c->ctx, cb->fd,
                       (events & QEMUUTIL_FFI_FD_READ) ? ffi_fd_read : NULL,
                       (events & QEMUUTIL_FFI_FD_WRITE) ? ffi_fd_write : NULL,
                       NULL, NULL, cb);
}

static int ffi_fd_watch_add(QemuUtilFfiAioContext *c, int fd, int events,
                            FfiCbKind kind, QemuUtilFfiFunc func,
                            QemuUtilFfiFdFunc fd_func, void *user_data,
                            QemuUtilFfiDestroyNotify destroy, FfiCb **out)
{
    FfiCb *cb;

    *out = NULL;
    if (fd < 0) {
        return QEMUUTIL_FFI_EBADF;
    }
    if (events & ~(QEMUUTIL_FFI_FD_READ | QEMUUTIL_FFI_FD_WRITE)) {
        return QEMUUTIL_FFI_EINVAL;
    }
    qemu_mutex_lock(&c->lock);
    if (g_hash_table_contains(c->fds, GINT_TO_POINTER(fd))) {
        qemu_mutex_unlock(&c->lock);
        return QEMUUTIL_FFI_EEXIST;
    }
    cb = ffi_cb_new(sizeof(QemuUtilFfiFdWatch), kind, c, user_data, destroy);
    cb->func = func;
    cb->fd_func = fd_func;
    cb->fd = fd;
    g_hash_table_insert(c->fds, GINT_TO_POINTER(fd), cb);
    ffi_fd_apply_locked(cb, events);
    qemu_mutex_unlock(&c->lock);
    *out = cb;
    return 0;
}

static void ffi_fd_watch_remove(FfiCb *cb)
{
    QemuUtilFfiAioContext *c = cb->c;

    ffi_cb_detach(cb);
    /*
     * Under c->lock, so that a new watch of the same fd cannot be
     * registered between our hash removal and our handler removal.
     */
    qemu_mutex_lock(&c->lock);
    g_hash_table_remove(c->fds, GINT_TO_POINTER(cb->fd));
    ffi_fd_apply_locked(cb, 0);
    qemu_mutex_unlock(&c->lock);
    ffi_cb_release(cb);
}

int qemuutil_ffi_fd_watch_new(QemuUtilFfiAioContext *ctx, int fd, int events,
                              QemuUtilFfiFdFunc cb, void *user_data,
                              QemuUtilFfiDestroyNotify destroy,
                              QemuUtilFfiFdWatch **out)
{
    FfiCb *h;
    int ret;

    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_fd_watch_new");
    FFI_CHECK_HANDLE(cb, "qemuutil_ffi_fd_watch_new (callback)");
    ret = ffi_fd_watch_add(ctx, fd, events, FFI_CB_FD, NULL, cb, user_data,
                           destroy, &h);
    *out = (QemuUtilFfiFdWatch *)h;
    return ret;
}

int qemuutil_ffi_fd_watch_set_events(QemuUtilFfiFdWatch *w, int events)
{
    QemuUtilFfiAioContext *c;

    FFI_CHECK_HANDLE(w, "qemuutil_ffi_fd_watch_set_events");
    if (events & ~(QEMUUTIL_FFI_FD_READ | QEMUUTIL_FFI_FD_WRITE)) {
        return QEMUUTIL_FFI_EINVAL;
    }
    c = w->base.c;
    qemu_mutex_lock(&c->lock);
    if (events != w->base.events) {
        ffi_fd_apply_locked(&w->base, events);
    }
    qemu_mutex_unlock(&c->lock);
    return 0;
}

int qemuutil_ffi_fd_watch_get_events(QemuUtilFfiFdWatch *w)
{
    int events;

    FFI_CHECK_HANDLE(w, "qemuutil_ffi_fd_watch_get_events");
    qemu_mutex_lock(&w->base.c->lock);
    events = w->base.events;
    qemu_mutex_unlock(&w->base.c->lock);
    return events;
}

void qemuutil_ffi_fd_watch_free(QemuUtilFfiFdWatch *w)
{
    FFI_CHECK_HANDLE(w, "qemuutil_ffi_fd_watch_free");
    ffi_fd_watch_remove(&w->base);
}

/* ---------------------------------------------------------------------- */
/* EventNotifier                                                          */
/* ---------------------------------------------------------------------- */

static void ffi_notifier_put(QemuUtilFfiEventNotifier *n)
{
    if (qatomic_fetch_dec(&n->refcnt) != 1) {
        return;
    }
    event_notifier_cleanup(&n->e);
    qemu_mutex_destroy(&n->lock);
    g_free(n);
    live_dec();
}

int qemuutil_ffi_event_notifier_new(QemuUtilFfiEventNotifier **out)
{
    QemuUtilFfiEventNotifier *n = g_new0(QemuUtilFfiEventNotifier, 1);
    int ret;

    *out = NULL;
    ret = event_notifier_init(&n->e, 0);
    if (ret < 0) {
        g_free(n);
        return ret == -ENOMEM ? QEMUUTIL_FFI_ENOMEM : QEMUUTIL_FFI_EMFILE;
    }
    n->refcnt = 1;
    qemu_mutex_init(&n->lock);
    live_inc();
    *out = n;
    return 0;
}

int qemuutil_ffi_event_notifier_set(QemuUtilFfiEventNotifier *n)
{
    int ret;

    FFI_CHECK_HANDLE(n, "qemuutil_ffi_event_notifier_set");
    ret = event_notifier_set(&n->e);
    return ret < 0 ? QEMUUTIL_FFI_EAGAIN : 0;
}

int qemuutil_ffi_event_notifier_test_and_clear(QemuUtilFfiEventNotifier *n)
{
    FFI_CHECK_HANDLE(n, "qemuutil_ffi_event_notifier_test_and_clear");
    return event_notifier_test_and_clear(&n->e) ? 1 : 0;
}

int qemuutil_ffi_event_notifier_get_fd(QemuUtilFfiEventNotifier *n)
{
    FFI_CHECK_HANDLE(n, "qemuutil_ffi_event_notifier_get_fd");
    return event_notifier_get_fd(&n->e);
}

int qemuutil_ffi_event_notifier_watch(QemuUtilFfiEventNotifier *n,
                                      QemuUtilFfiAioContext *ctx,
                                      QemuUtilFfiFunc cb, void *user_data,
                                      QemuUtilFfiDestroyNotify destroy)
{
    FfiCb *w;
    int ret;

    FFI_CHECK_HANDLE(n, "qemuutil_ffi_event_notifier_watch");
    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_event_notifier_watch (context)");
    FFI_CHECK_HANDLE(cb, "qemuutil_ffi_event_notifier_watch (callback)");
    qemu_mutex_lock(&n->lock);
    if (n->watch) {
        qemu_mutex_unlock(&n->lock);
        return QEMUUTIL_FFI_EBUSY;
    }
    ret = ffi_fd_watch_add(ctx, event_notifier_get_fd(&n->e),
                           QEMUUTIL_FFI_FD_READ, FFI_CB_NOTIFIER, cb, NULL,
                           user_data, destroy, &w);
    if (ret == 0) {
        /* The watch keeps the fd open until its registration ends. */
        qatomic_inc(&n->refcnt);
        w->notifier = n;
        n->watch = w;
    }
    qemu_mutex_unlock(&n->lock);
    return ret == QEMUUTIL_FFI_EEXIST ? QEMUUTIL_FFI_EBUSY : ret;
}

int qemuutil_ffi_event_notifier_unwatch(QemuUtilFfiEventNotifier *n)
{
    FfiCb *w;

    FFI_CHECK_HANDLE(n, "qemuutil_ffi_event_notifier_unwatch");
    qemu_mutex_lock(&n->lock);
    w = n->watch;
    n->watch = NULL;
    qemu_mutex_unlock(&n->lock);
    if (!w) {
        return QEMUUTIL_FFI_ENOENT;
    }
    ffi_fd_watch_remove(w);
    return 0;
}

void qemuutil_ffi_event_notifier_free(QemuUtilFfiEventNotifier *n)
{
    FFI_CHECK_HANDLE(n, "qemuutil_ffi_event_notifier_free");
    qemuutil_ffi_event_notifier_unwatch(n);
    ffi_notifier_put(n);
}

/* ---------------------------------------------------------------------- */
/* IOThread                                                               */
/* ---------------------------------------------------------------------- */

struct QemuUtilFfiIOThread {
    IOThread *iothread;
    QemuUtilFfiAioContext *c;   /* a reference */
};

int qemuutil_ffi_iothread_new(QemuUtilFfiIOThread **out)
{
    QemuUtilFfiIOThread *t = g_new0(QemuUtilFfiIOThread, 1);

    t->iothread = iothread_new();
    t->c = ffi_ctx_wrap(iothread_get_aio_context(t->iothread));
    t->c->iothread_running = true;
    live_inc();
    *out = t;
    return 0;
}

QemuUtilFfiAioContext *
qemuutil_ffi_iothread_get_aio_context(QemuUtilFfiIOThread *iothread)
{
    FFI_CHECK_HANDLE(iothread, "qemuutil_ffi_iothread_get_aio_context");
    return iothread->c;
}

void qemuutil_ffi_iothread_free(QemuUtilFfiIOThread *iothread)
{
    QemuUtilFfiAioContext *c;
    FfiCb *reaps;

    FFI_CHECK_HANDLE(iothread, "qemuutil_ffi_iothread_free");
    c = iothread->c;
    if (qemu_get_current_aio_context() == c->ctx) {
        ffi_misuse("qemuutil_ffi_iothread_free: an IOThread cannot join "
                   "itself; free it from another thread");
    }
    iothread_join(iothread->iothread);

    /* Nobody dispatches the context any more: finish what is queued. */
    qemu_mutex_lock(&c->lock);
    c->iothread_running = false;
    c->source_dead = true;      /* iothread_join() destroyed its GMainContext */
    reaps = ffi_ctx_take_reaps_locked(c);
    qemu_mutex_unlock(&c->lock);
    ffi_run_reaps(reaps);

    ffi_ctx_put(c);
    g_free(iothread);
    live_dec();
}

/* ---------------------------------------------------------------------- */
/* Main loop                                                              */
/* ---------------------------------------------------------------------- */

struct QemuUtilFfiMainLoop {
    QemuUtilFfiAioContext *c;   /* never released */
    QemuThread thread;          /* the main thread */
};

static QemuUtilFfiMainLoop *ffi_main_loop;  /* set once, under the lock */
static GMutex ffi_main_loop_lock;

int qemuutil_ffi_main_loop_get(QemuUtilFfiMainLoop **out)
{
    QemuUtilFfiMainLoop *loop;
    Error *err = NULL;
    int ret;

    g_mutex_lock(&ffi_main_loop_lock);
    loop = ffi_main_loop;
    if (!loop) {
        ret = qemu_init_main_loop(&err);
        if (ret < 0) {
            g_mutex_unlock(&ffi_main_loop_lock);
            error_free(err);
            *out = NULL;
            return ret == -ENOMEM ? QEMUUTIL_FFI_ENOMEM : QEMUUTIL_FFI_EMFILE;
        }
        loop = g_new0(QemuUtilFfiMainLoop, 1);
        loop->c = ffi_ctx_wrap(qemu_get_aio_context());
        qemu_thread_get_self(&loop->thread);
        qatomic_store_release(&ffi_main_loop, loop);
    }
    g_mutex_unlock(&ffi_main_loop_lock);
    live_inc();
    *out = loop;
    return 0;
}

QemuUtilFfiMainLoop *qemuutil_ffi_main_loop_ref(QemuUtilFfiMainLoop *loop)
{
    FFI_CHECK_HANDLE(loop, "qemuutil_ffi_main_loop_ref");
    live_inc();
    return loop;
}

void qemuutil_ffi_main_loop_unref(QemuUtilFfiMainLoop *loop)
{
    FFI_CHECK_HANDLE(loop, "qemuutil_ffi_main_loop_unref");
    live_dec();
}

QemuUtilFfiAioContext *
qemuutil_ffi_main_loop_get_aio_context(QemuUtilFfiMainLoop *loop)
{
    FFI_CHECK_HANDLE(loop, "qemuutil_ffi_main_loop_get_aio_context");
    return loop->c;
}

int qemuutil_ffi_main_loop_wait(QemuUtilFfiMainLoop *loop, int nonblocking)
{
    FFI_CHECK_HANDLE(loop, "qemuutil_ffi_main_loop_wait");
    if (!qemu_thread_is_self(&loop->thread)) {
        return QEMUUTIL_FFI_EPERM;
    }
    ffi_dispatch_begin(loop->c);
    main_loop_wait(nonblocking != 0);
    ffi_dispatch_end(loop->c);
    return 0;
}

typedef struct {
    QemuUtilFfiPredicate done;
    void *user_data;
} FfiRunUntil;

static bool ffi_run_until_done(void *opaque)
{
    FfiRunUntil *ru = opaque;

    return ru->done(ru->user_data) != 0;
}

int qemuutil_ffi_main_loop_run_until(QemuUtilFfiMainLoop *loop,
                                     QemuUtilFfiPredicate done,
                                     void *user_data)
{
    FfiRunUntil ru = { .done = done, .user_data = user_data };

    FFI_CHECK_HANDLE(loop, "qemuutil_ffi_main_loop_run_until");
    FFI_CHECK_HANDLE(done, "qemuutil_ffi_main_loop_run_until (predicate)");
    if (!qemu_thread_is_self(&loop->thread)) {
        return QEMUUTIL_FFI_EPERM;
    }
    ffi_dispatch_begin(loop->c);
    qemu_main_loop_run_until(ffi_run_until_done, &ru);
    ffi_dispatch_end(loop->c);
    return 0;
}

void qemuutil_ffi_main_loop_notify(QemuUtilFfiMainLoop *loop)
{
    FFI_CHECK_HANDLE(loop, "qemuutil_ffi_main_loop_notify");
    qemu_notify_event();
}

/* ---------------------------------------------------------------------- */
/* Poller                                                                 */
/* ---------------------------------------------------------------------- */

struct QemuUtilFfiPoller {
    QemuUtilFfiAioContext *c;   /* a reference */
    GMainContext *gctx;         /* c->ext_gctx */
    int epfd;                   /* mirrors the fds GLib wants polled */
    GHashTable *in_epoll;       /* fd -> epoll events + 1 */
    GPollFD *fds;               /* the prepared iteration's fds */
    int nfds, fds_alloc;
    int max_priority;
    bool prepared;              /* a check+dispatch is due */
};

int qemuutil_ffi_poller_new(QemuUtilFfiAioContext *ctx,
                            QemuUtilFfiPoller **out)
{
    QemuUtilFfiPoller *p;
    GMainContext *attached;
    int epfd;

    FFI_CHECK_HANDLE(ctx, "qemuutil_ffi_poller_new");
    *out = NULL;
    qemu_mutex_lock(&ctx->lock);
    attached = ctx->source_dead ? NULL
                                : g_source_get_context(&ctx->ctx->source);
    if (ctx->has_poller || ctx->iothread_running || ctx->source_dead ||
        (attached && attached != ctx->ext_gctx)) {
        qemu_mutex_unlock(&ctx->lock);
        return QEMUUTIL_FFI_EBUSY;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        qemu_mutex_unlock(&ctx->lock);
        return QEMUUTIL_FFI_EMFILE;
    }
    ffi_ctx_gctx_locked(ctx);
    ctx->has_poller = true;
    qemu_mutex_unlock(&ctx->lock);

    p = g_new0(QemuUtilFfiPoller, 1);
    ffi_ctx_get(ctx);
    p->c = ctx;
    p->gctx = ctx->ext_gctx;
    p->epfd = epfd;
    p->in_epoll = g_hash_table_new(g_direct_hash, g_direct_equal);
    live_inc();
    *out = p;
    return 0;
}

int qemuutil_ffi_poller_get_fd(QemuUtilFfiPoller *p)
{
    FFI_CHECK_HANDLE(p, "qemuutil_ffi_poller_get_fd");
    return p->epfd;
}

static uint32_t ffi_gio_to_epoll(gushort ev)
{
    uint32_t r = 0;

    if (ev & G_IO_IN) {
        r |= EPOLLIN;
    }
    if (ev & G_IO_OUT) {
        r |= EPOLLOUT;
    }
    if (ev & G_IO_PRI) {
        r |= EPOLLPRI;
    }
    return r;
}

/* Make the epoll set equal to p->fds (the union per fd). */
static void ffi_poller_sync(QemuUtilFfiPoller *p)
{
    GHashTable *want = g_hash_table_new(g_direct_hash, g_direct_equal);
    GHashTableIter it;
    gpointer key, val;
    int i;

    for (i = 0; i < p->nfds; i++) {
        gpointer k = GINT_TO_POINTER(p->fds[i].fd);
        uint32_t ev = GPOINTER_TO_UINT(g_hash_table_lookup(want, k));

        ev = ev ? ev - 1 : 0;
        ev |= ffi_gio_to_epoll(p->fds[i].events);
        g_hash_table_insert(want, k, GUINT_TO_POINTER(ev + 1));
    }
    /* Drop fds no longer polled, and update changed ones. */
    g_hash_table_iter_init(&it, p->in_epoll);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        gpointer w = g_hash_table_lookup(want, key);

        if (!w) {
            /* Closed fds left the epoll set by themselves: ignore errors. */
            epoll_ctl(p->epfd, EPOLL_CTL_DEL, GPOINTER_TO_INT(key), NULL);
            g_hash_table_iter_remove(&it);
        } else if (w != val) {
            struct epoll_event ee = {
                .events = GPOINTER_TO_UINT(w) - 1,
                .data.fd = GPOINTER_TO_INT(key),
            };
            epoll_ctl(p->epfd, EPOLL_CTL_MOD, GPOINTER_TO_INT(key), &ee);
            g_hash_table_iter_replace(&it, w);
        }
    }
    g_hash_table_iter_init(&it, want);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        if (!g_hash_table_contains(p->in_epoll, key)) {
            struct epoll_event ee = {
                .events = GPOINTER_TO_UINT(val) - 1,
                .data.fd = GPOINTER_TO_INT(key),
            };
            if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, GPOINTER_TO_INT(key),
                          &ee) == 0 || errno == EEXIST) {
                g_hash_table_insert(p->in_epoll, key, val);
            }
        }
    }
    g_hash_table_destroy(want);
}

int qemuutil_ffi_poller_iterate(QemuUtilFfiPoller *p, int64_t *timeout_ns)
{
    QemuUtilFfiAioContext *c;
    uint64_t before;
    gboolean ready;
    gint timeout_ms = -1;
    int n;

    FFI_CHECK_HANDLE(p, "qemuutil_ffi_poller_iterate");
    c = p->c;
    ffi_dispatch_begin(c);
    before = c->callbacks_run;
    if (!g_main_context_acquire(p->gctx)) {
        ffi_misuse("qemuutil_ffi_poller_iterate: another thread iterates "
                   "this poller's context");
    }

    if (p->prepared) {
        int ret;

        /* Fill revents without waiting: the foreign loop did the wait. */
        do {
            ret = g_poll(p->fds, p->nfds, 0);
        } while (ret < 0 && errno == EINTR);
        if (g_main_context_check(p->gctx, p->max_priority, p->fds,
                                 p->nfds)) {
            g_main_context_dispatch(p->gctx);
        }
        p->prepared = false;
    }

    ready = g_main_context_prepare(p->gctx, &p->max_priority);
    for (;;) {
        n = g_main_context_query(p->gctx, p->max_priority, &timeout_ms,
                                 p->fds, p->fds_alloc);
        if (n <= p->fds_alloc) {
            break;
        }
        p->fds_alloc = n;
        p->fds = g_renew(GPollFD, p->fds, n);
    }
    p->nfds = n;
    p->prepared = true;
    ffi_poller_sync(p);

    g_main_context_release(p->gctx);
    ffi_dispatch_end(c);

    if (timeout_ns) {
        if (ready) {
            *timeout_ns = 0;
        } else if (timeout_ms < 0) {
            *timeout_ns = -1;
        } else {
            *timeout_ns = (int64_t)timeout_ms * SCALE_MS;
        }
    }
    return c->callbacks_run != before;
}

void qemuutil_ffi_poller_free(QemuUtilFfiPoller *p)
{
    QemuUtilFfiAioContext *c;

    FFI_CHECK_HANDLE(p, "qemuutil_ffi_poller_free");
    c = p->c;
    if (p->prepared && g_main_context_acquire(p->gctx)) {
        /*
         * Close the prepared iteration without dispatching: the source's
         * check() clears the "notify me" bit its prepare() set.  Whatever
         * check found ready is dropped by the next prepare.
         */
        g_main_context_check(p->gctx, p->max_priority, p->fds, 0);
        g_main_context_release(p->gctx);
    }
    close(p->epfd);
    g_hash_table_destroy(p->in_epoll);
    g_free(p->fds);
    qemu_mutex_lock(&c->lock);
    c->has_poller = false;
    qemu_mutex_unlock(&c->lock);
    ffi_ctx_put(c);
    g_free(p);
    live_dec();
}
