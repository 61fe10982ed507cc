/*
 * qemuutil-gobject.c: the QemuUtil-1.0 GObject library, a thin layer of
 * boxed types and GErrors over the C shim (qemuutil-ffi.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * This file sees only the shim's header, never the core's: the GObject
 * library is a client of the stable ABI like any other binding.
 *
 * Deleting a handle while another thread uses it
 *
 * A binding may delete a handle in one thread while another thread
 * schedules it (Python releases its interpreter lock in every call), so
 * each callback-owning wrapper keeps its shim handle under a mutex
 * (QuHandle.lock).  Short calls that never run user code (schedule,
 * mod, set_events...) hold the mutex across the shim call, so a delete
 * waits for them and "no new invocation after delete returns" holds.
 * Calls that can run a destroy notify (the shim's _free and unwatch)
 * run with the mutex released, because that notify may re-enter this
 * library on the same handle.
 */
#include "qemu/osdep.h"
#include "qemuutil-ffi.h"
#include "qemuutil-gobject.h"

G_DEFINE_QUARK(qemu-util-error-quark, qemu_util_error)

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */
/* ---------------------------------------------------------------------- */

/* The QemuUtilError for a negative shim code. */
static QemuUtilError qu_error_code(int rc)
{
    switch (rc) {
    case QEMUUTIL_FFI_EPERM:
        return QEMU_UTIL_ERROR_WRONG_THREAD;
    case QEMUUTIL_FFI_ENOENT:
        return QEMU_UTIL_ERROR_NOT_FOUND;
    case QEMUUTIL_FFI_EBADF:
        return QEMU_UTIL_ERROR_BAD_FD;
    case QEMUUTIL_FFI_EAGAIN:
        return QEMU_UTIL_ERROR_AGAIN;
    case QEMUUTIL_FFI_ENOMEM:
        return QEMU_UTIL_ERROR_NO_MEMORY;
    case QEMUUTIL_FFI_EBUSY:
        return QEMU_UTIL_ERROR_BUSY;
    case QEMUUTIL_FFI_EEXIST:
        return QEMU_UTIL_ERROR_EXISTS;
    case QEMUUTIL_FFI_EINVAL:
        return QEMU_UTIL_ERROR_INVALID;
    case QEMUUTIL_FFI_EMFILE:
        return QEMU_UTIL_ERROR_TOO_MANY_FILES;
    default:
        return QEMU_UTIL_ERROR_FAILED;
    }
}

/*
 * The one place where shim codes become GErrors: TRUE if @rc is not
 * negative, else set @error ("@what: <the shim's sentence>").
 */
static gboolean qu_check(int rc, const char *what, GError **error)
{
    if (rc >= 0) {
        return TRUE;
    }
    g_set_error(error, QEMU_UTIL_ERROR, qu_error_code(rc), "%s: %s", what,
                qemuutil_ffi_strerror(rc));
    return FALSE;
}

/* A constructor that took a notify failed: the notify still owns data. */
static void qu_release_data(GDestroyNotify notify, gpointer user_data)
{
    if (notify) {
        notify(user_data);
    }
}

static void qu_deleted(const char *fn, const char *what)
{
    g_critical("%s: the %s was deleted (or closed) before this call", fn,
               what);
}

/* ---------------------------------------------------------------------- */
/* Library                                                                */
/* ---------------------------------------------------------------------- */

const gchar *qemu_util_get_version(void)
{
    return QEMU_UTIL_VERSION_S;
}

gint64 qemu_util_live_handles(void)
{
    return qemuutil_ffi_live_handles();
}

gint64 qemu_util_clock_get_ns(QemuUtilClock clock)
{
    return qemuutil_ffi_clock_get_ns((int)clock);
}

/* ---------------------------------------------------------------------- */
/* A deletable shim handle                                                */
/* ---------------------------------------------------------------------- */

typedef void (*QuFreeFunc)(gpointer h);

typedef struct {
    gatomicrefcount ref;
    GMutex lock;                /* protects h */
    gpointer h;                 /* the shim handle; NULL once deleted */
} QuHandle;

static void qu_handle_init(QuHandle *b, gpointer h)
{
    g_atomic_ref_count_init(&b->ref);
    g_mutex_init(&b->lock);
    b->h = h;
}

static void qu_handle_ref(QuHandle *b)
{
    g_atomic_ref_count_inc(&b->ref);
}

/* Take the shim handle out of @b, under its lock; NULL if it was gone. */
static gpointer qu_handle_take(QuHandle *b)
{
    gpointer h;

    g_mutex_lock(&b->lock);
    h = b->h;
    b->h = NULL;
    g_mutex_unlock(&b->lock);
    return h;
}

/* Delete: the shim's free runs unlocked (it may call a destroy notify). */
static void qu_handle_delete(QuHandle *b, QuFreeFunc free_fn)
{
    gpointer h = qu_handle_take(b);

    if (h) {
        free_fn(h);
    }
}

/* Drop a reference; the last one deletes the shim handle and frees @b. */
static void qu_handle_unref(QuHandle *b, QuFreeFunc free_fn)
{
    if (!g_atomic_ref_count_dec(&b->ref)) {
        return;
    }
    qu_handle_delete(b, free_fn);
    g_mutex_clear(&b->lock);
    g_free(b);
}

/*
 * Lock @b and return its shim handle; on NULL (deleted) the lock is
 * already released and a critical names @fn.  Otherwise the caller makes
 * one shim call that runs no user code, then calls qu_handle_unlock().
 */
static gpointer qu_handle_lock(QuHandle *b, const char *fn, const char *what)
{
    g_mutex_lock(&b->lock);
    if (!b->h) {
        g_mutex_unlock(&b->lock);
        qu_deleted(fn, what);
        return NULL;
    }
    return b->h;
}

static void qu_handle_unlock(QuHandle *b)
{
    g_mutex_unlock(&b->lock);
}

/* ---------------------------------------------------------------------- */
/* AioContext                                                             */
/* ---------------------------------------------------------------------- */

struct _QemuUtilAioContext {
    gatomicrefcount ref;
    QemuUtilFfiAioContext *h;   /* one shim reference of ours; constant */
    gboolean iothread;          /* an IOThread's: never attached; constant */
    GMutex lock;                /* protects the fields below */
    GSource *attached;          /* our attachment (a reference), or NULL */
    gboolean detached;          /* an attachment ended: none again */
};

/* Wrap @h, adopting one shim reference. */
static QemuUtilAioContext *qu_ctx_wrap(QemuUtilFfiAioContext *h)
{
    QemuUtilAioContext *ctx = g_new0(QemuUtilAioContext, 1);

    g_atomic_ref_count_init(&ctx->ref);
    g_mutex_init(&ctx->lock);
    ctx->h = h;
    return ctx;
}

QemuUtilAioContext *qemu_util_aio_context_new(GError **error)
{
    QemuUtilFfiAioContext *h;

    if (!qu_check(qemuutil_ffi_aio_context_new(&h), "AioContext", error)) {
        return NULL;
    }
    return qu_ctx_wrap(h);
}

QemuUtilAioContext *qemu_util_aio_context_ref(QemuUtilAioContext *ctx)
{
    g_return_val_if_fail(ctx != NULL, NULL);
    g_atomic_ref_count_inc(&ctx->ref);
    return ctx;
}

void qemu_util_aio_context_unref(QemuUtilAioContext *ctx)
{
    g_return_if_fail(ctx != NULL);
    if (!g_atomic_ref_count_dec(&ctx->ref)) {
        return;
    }
    /*
     * The GMainContext holds a reference to the context's source: without
     * the detach, the AioContext (and its fds) would live as long as the
     * GMainContext.
     */
    qemu_util_aio_context_detach(ctx);
    qemuutil_ffi_aio_context_unref(ctx->h);
    g_mutex_clear(&ctx->lock);
    g_free(ctx);
}

G_DEFINE_BOXED_TYPE(QemuUtilAioContext, qemu_util_aio_context,
                    qemu_util_aio_context_ref, qemu_util_aio_context_unref)

gboolean qemu_util_aio_context_poll(QemuUtilAioContext *ctx,
                                    gboolean blocking, GError **error)
{
    int rc;

    g_return_val_if_fail(ctx != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    rc = qemuutil_ffi_aio_context_poll(ctx->h, blocking ? 1 : 0);
    if (!qu_check(rc, "AioContext.poll", error)) {
        return FALSE;
    }
    return rc > 0;
}

void qemu_util_aio_context_notify(QemuUtilAioContext *ctx)
{
    g_return_if_fail(ctx != NULL);
    qemuutil_ffi_aio_context_notify(ctx->h);
}

gint64 qemu_util_aio_context_get_timeout_ns(QemuUtilAioContext *ctx)
{
    g_return_val_if_fail(ctx != NULL, -1);
    return qemuutil_ffi_aio_context_timeout_ns(ctx->h);
}

void qemu_util_aio_context_invoke(QemuUtilAioContext *ctx, QemuUtilFunc func,
                                  gpointer user_data, GDestroyNotify notify)
{
    g_return_if_fail(ctx != NULL);
    g_return_if_fail(func != NULL);
    /* QemuUtilFunc and GDestroyNotify have the shim's signatures. */
    qemuutil_ffi_aio_context_invoke(ctx->h, func, user_data, notify);
}

void qemu_util_aio_context_schedule_oneshot(QemuUtilAioContext *ctx,
                                            QemuUtilFunc func,
                                            gpointer user_data)
{
    g_return_if_fail(ctx != NULL);
    g_return_if_fail(func != NULL);
    qemuutil_ffi_aio_context_invoke(ctx->h, func, user_data, NULL);
}

GSource *qemu_util_aio_context_get_source(QemuUtilAioContext *ctx)
{
    g_return_val_if_fail(ctx != NULL, NULL);
    return qemuutil_ffi_aio_context_get_g_source(ctx->h);
}

gboolean qemu_util_aio_context_attach(QemuUtilAioContext *ctx,
                                      GMainContext *main_context,
                                      GError **error)
{
    GMainContext *target = main_context ? main_context
                                        : g_main_context_default();
    GMainContext *current;
    GSource *src;
    gboolean ok = TRUE;

    g_return_val_if_fail(ctx != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (ctx->iothread) {
        g_set_error(error, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY,
                    "AioContext.attach: an IOThread dispatches this context");
        return FALSE;
    }
    src = qemuutil_ffi_aio_context_get_g_source(ctx->h);
    g_mutex_lock(&ctx->lock);
    current = ctx->detached ? NULL : g_source_get_context(src);
    if (ctx->detached) {
        g_set_error(error, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY,
                    "AioContext.attach: the context was detached");
        ok = FALSE;
    } else if (!current) {
        g_source_attach(src, target);
        ctx->attached = g_source_ref(src);
    } else if (current != target) {
        g_set_error(error, QEMU_UTIL_ERROR, QEMU_UTIL_ERROR_BUSY,
                    "AioContext.attach: already attached to another "
                    "GMainContext (or polled, or driven by a poller)");
        ok = FALSE;
    }
    g_mutex_unlock(&ctx->lock);
    g_source_unref(src);
    return ok;
}

void qemu_util_aio_context_detach(QemuUtilAioContext *ctx)
{
    GSource *src;

    g_return_if_fail(ctx != NULL);
    g_mutex_lock(&ctx->lock);
    src = ctx->attached;
    ctx->attached = NULL;
    if (src) {
        ctx->detached = TRUE;
    }
    g_mutex_unlock(&ctx->lock);
    if (src) {
        /* Thread-safe in GLib; a dispatch in progress completes first. */
        g_source_destroy(src);
        g_source_unref(src);
    }
}

/* ---------------------------------------------------------------------- */
/* Bottom halves                                                          */
/* ---------------------------------------------------------------------- */

struct _QemuUtilBH {
    QuHandle base;              /* a QemuUtilFfiBH */
};

static void qu_bh_free(gpointer h)
{
    qemuutil_ffi_bh_free(h);
}

QemuUtilBH *qemu_util_bh_new(QemuUtilAioContext *ctx, QemuUtilFunc func,
                             gpointer user_data, GDestroyNotify notify)
{
    QemuUtilFfiBH *h;
    QemuUtilBH *bh;
    int rc;

    g_return_val_if_fail(ctx != NULL, NULL);
    g_return_val_if_fail(func != NULL, NULL);
    rc = qemuutil_ffi_bh_new(ctx->h, func, user_data, notify, &h);
    if (rc < 0) {
        /* Only ENOMEM is possible, which GLib treats as fatal too. */
        qu_release_data(notify, user_data);
        g_error("qemu_util_bh_new: %s", qemuutil_ffi_strerror(rc));
    }
    bh = g_new0(QemuUtilBH, 1);
    qu_handle_init(&bh->base, h);
    return bh;
}

QemuUtilBH *qemu_util_bh_ref(QemuUtilBH *bh)
{
    g_return_val_if_fail(bh != NULL, NULL);
    qu_handle_ref(&bh->base);
    return bh;
}

void qemu_util_bh_unref(QemuUtilBH *bh)
{
    g_return_if_fail(bh != NULL);
    qu_handle_unref(&bh->base, qu_bh_free);
}

G_DEFINE_BOXED_TYPE(QemuUtilBH, qemu_util_bh, qemu_util_bh_ref,
                    qemu_util_bh_unref)

void qemu_util_bh_schedule(QemuUtilBH *bh)
{
    QemuUtilFfiBH *h;

    g_return_if_fail(bh != NULL);
    h = qu_handle_lock(&bh->base, "qemu_util_bh_schedule", "bottom half");
    if (h) {
        qemuutil_ffi_bh_schedule(h);
        qu_handle_unlock(&bh->base);
    }
}

void qemu_util_bh_cancel(QemuUtilBH *bh)
{
    QemuUtilFfiBH *h;

    g_return_if_fail(bh != NULL);
    h = qu_handle_lock(&bh->base, "qemu_util_bh_cancel", "bottom half");
    if (h) {
        qemuutil_ffi_bh_cancel(h);
        qu_handle_unlock(&bh->base);
    }
}

void qemu_util_bh_delete(QemuUtilBH *bh)
{
    g_return_if_fail(bh != NULL);
    qu_handle_delete(&bh->base, qu_bh_free);
}

gboolean qemu_util_bh_is_deleted(QemuUtilBH *bh)
{
    gboolean deleted;

    g_return_val_if_fail(bh != NULL, TRUE);
    g_mutex_lock(&bh->base.lock);
    deleted = bh->base.h == NULL;
    g_mutex_unlock(&bh->base.lock);
    return deleted;
}

/* ---------------------------------------------------------------------- */
/* Timers                                                                 */
/* ---------------------------------------------------------------------- */

struct _QemuUtilTimer {
    QuHandle base;              /* a QemuUtilFfiTimer */
};

static void qu_timer_free(gpointer h)
{
    qemuutil_ffi_timer_free(h);
}

QemuUtilTimer *qemu_util_timer_new(QemuUtilAioContext *ctx,
                                   QemuUtilClock clock, QemuUtilFunc func,
                                   gpointer user_data, GDestroyNotify notify,
                                   GError **error)
{
    QemuUtilFfiTimer *h;
    QemuUtilTimer *timer;
    int rc;

    g_return_val_if_fail(ctx != NULL, NULL);
    g_return_val_if_fail(func != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    rc = qemuutil_ffi_timer_new(ctx->h, (int)clock, func, user_data, notify,
                                &h);
    if (!qu_check(rc, "Timer", error)) {
        qu_release_data(notify, user_data);
        return NULL;
    }
    timer = g_new0(QemuUtilTimer, 1);
    qu_handle_init(&timer->base, h);
    return timer;
}

QemuUtilTimer *qemu_util_timer_ref(QemuUtilTimer *timer)
{
    g_return_val_if_fail(timer != NULL, NULL);
    qu_handle_ref(&timer->base);
    return timer;
}

void qemu_util_timer_unref(QemuUtilTimer *timer)
{
    g_return_if_fail(timer != NULL);
    qu_handle_unref(&timer->base, qu_timer_free);
}

G_DEFINE_BOXED_TYPE(QemuUtilTimer, qemu_util_timer, qemu_util_timer_ref,
                    qemu_util_timer_unref)

void qemu_util_timer_mod_ns(QemuUtilTimer *timer, gint64 expire_ns)
{
    QemuUtilFfiTimer *h;

    g_return_if_fail(timer != NULL);
    h = qu_handle_lock(&timer->base, "qemu_util_timer_mod_ns", "timer");
    if (h) {
        qemuutil_ffi_timer_mod_ns(h, expire_ns);
        qu_handle_unlock(&timer->base);
    }
}

void qemu_util_timer_cancel(QemuUtilTimer *timer)
{
    QemuUtilFfiTimer *h;

    g_return_if_fail(timer != NULL);
    h = qu_handle_lock(&timer->base, "qemu_util_timer_cancel", "timer");
    if (h) {
        qemuutil_ffi_timer_del(h);
        qu_handle_unlock(&timer->base);
    }
}

gboolean qemu_util_timer_is_pending(QemuUtilTimer *timer)
{
    QemuUtilFfiTimer *h;
    gboolean pending;

    g_return_val_if_fail(timer != NULL, FALSE);
    h = qu_handle_lock(&timer->base, "qemu_util_timer_is_pending", "timer");
    if (!h) {
        return FALSE;
    }
    pending = qemuutil_ffi_timer_pending(h) > 0;
    qu_handle_unlock(&timer->base);
    return pending;
}

gint64 qemu_util_timer_get_expire_ns(QemuUtilTimer *timer)
{
    QemuUtilFfiTimer *h;
    gint64 ns;

    g_return_val_if_fail(timer != NULL, -1);
    h = qu_handle_lock(&timer->base, "qemu_util_timer_get_expire_ns",
                       "timer");
    if (!h) {
        return -1;
    }
    ns = qemuutil_ffi_timer_expire_ns(h);
    qu_handle_unlock(&timer->base);
    return ns;
}

void qemu_util_timer_delete(QemuUtilTimer *timer)
{
    g_return_if_fail(timer != NULL);
    qu_handle_delete(&timer->base, qu_timer_free);
}

/* ---------------------------------------------------------------------- */
/* File-descriptor watches                                                */
/* ---------------------------------------------------------------------- */

struct _QemuUtilFdWatch {
    QuHandle base;              /* a QemuUtilFfiFdWatch */
};

/*
 * The shim's fd callback passes the events as int; QemuUtilFdFunc takes
 * the flags type, so calls go through this closure instead of a cast of
 * the function pointer.
 */
typedef struct {
    QemuUtilFdFunc func;
    gpointer user_data;
    GDestroyNotify notify;
} QuFdClosure;

static void qu_fd_trampoline(int fd, int events, void *opaque)
{
    QuFdClosure *c = opaque;

    c->func(fd, (QemuUtilFdEvents)events, c->user_data);
}

static void qu_fd_closure_free(void *opaque)
{
    QuFdClosure *c = opaque;

    qu_release_data(c->notify, c->user_data);
    g_free(c);
}

static void qu_fd_watch_free(gpointer h)
{
    qemuutil_ffi_fd_watch_free(h);
}

QemuUtilFdWatch *qemu_util_fd_watch_new(QemuUtilAioContext *ctx, gint fd,
                                        QemuUtilFdEvents events,
                                        QemuUtilFdFunc func,
                                        gpointer user_data,
                                        GDestroyNotify notify,
                                        GError **error)
{
    QemuUtilFfiFdWatch *h;
    QemuUtilFdWatch *watch;
    QuFdClosure *c;
    int rc;

    g_return_val_if_fail(ctx != NULL, NULL);
    g_return_val_if_fail(func != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    c = g_new(QuFdClosure, 1);
    c->func = func;
    c->user_data = user_data;
    c->notify = notify;
    rc = qemuutil_ffi_fd_watch_new(ctx->h, fd, (int)events, qu_fd_trampoline,
                                   c, qu_fd_closure_free, &h);
    if (!qu_check(rc, "FdWatch", error)) {
        qu_fd_closure_free(c);  /* the shim did not take it */
        return NULL;
    }
    watch = g_new0(QemuUtilFdWatch, 1);
    qu_handle_init(&watch->base, h);
    return watch;
}

QemuUtilFdWatch *qemu_util_fd_watch_ref(QemuUtilFdWatch *watch)
{
    g_return_val_if_fail(watch != NULL, NULL);
    qu_handle_ref(&watch->base);
    return watch;
}

void qemu_util_fd_watch_unref(QemuUtilFdWatch *watch)
{
    g_return_if_fail(watch != NULL);
    qu_handle_unref(&watch->base, qu_fd_watch_free);
}

G_DEFINE_BOXED_TYPE(QemuUtilFdWatch, qemu_util_fd_watch,
                    qemu_util_fd_watch_ref, qemu_util_fd_watch_unref)

gboolean qemu_util_fd_watch_set_events(QemuUtilFdWatch *watch,
                                       QemuUtilFdEvents events,
                                       GError **error)
{
    QemuUtilFfiFdWatch *h;
    int rc;

    g_return_val_if_fail(watch != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    h = qu_handle_lock(&watch->base, "qemu_util_fd_watch_set_events",
                       "fd watch");
    if (!h) {
        return FALSE;
    }
    rc = qemuutil_ffi_fd_watch_set_events(h, (int)events);
    qu_handle_unlock(&watch->base);
    return qu_check(rc, "FdWatch.set_events", error);
}

QemuUtilFdEvents qemu_util_fd_watch_get_events(QemuUtilFdWatch *watch)
{
    QemuUtilFfiFdWatch *h;
    int events;

    g_return_val_if_fail(watch != NULL, QEMU_UTIL_FD_NONE);
    h = qu_handle_lock(&watch->base, "qemu_util_fd_watch_get_events",
                       "fd watch");
    if (!h) {
        return QEMU_UTIL_FD_NONE;
    }
    events = qemuutil_ffi_fd_watch_get_events(h);
    qu_handle_unlock(&watch->base);
    return (QemuUtilFdEvents)events;
}

void qemu_util_fd_watch_delete(QemuUtilFdWatch *watch)
{
    g_return_if_fail(watch != NULL);
    qu_handle_delete(&watch->base, qu_fd_watch_free);
}

/* ---------------------------------------------------------------------- */
/* EventNotifier                                                          */
/* ---------------------------------------------------------------------- */

/*
 * unwatch can run the watch's destroy notify, which may close the
 * notifier, so it runs without base.lock; @busy keeps the shim handle
 * alive meanwhile, and a close that comes during it leaves the free to
 * the last unwatch (@free_pending).
 */
struct _QemuUtilEventNotifier {
    QuHandle base;              /* a QemuUtilFfiEventNotifier */
    int busy;                   /* unwatch calls in progress; base.lock */
    gpointer free_pending;      /* closed while busy; base.lock */
};

static void qu_notifier_free(gpointer h)
{
    qemuutil_ffi_event_notifier_free(h);
}

QemuUtilEventNotifier *qemu_util_event_notifier_new(GError **error)
{
    QemuUtilFfiEventNotifier *h;
    QemuUtilEventNotifier *n;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!qu_check(qemuutil_ffi_event_notifier_new(&h), "EventNotifier",
                  error)) {
        return NULL;
    }
    n = g_new0(QemuUtilEventNotifier, 1);
    qu_handle_init(&n->base, h);
    return n;
}

QemuUtilEventNotifier *
qemu_util_event_notifier_ref(QemuUtilEventNotifier *notifier)
{
    g_return_val_if_fail(notifier != NULL, NULL);
    qu_handle_ref(&notifier->base);
    return notifier;
}

void qemu_util_event_notifier_close(QemuUtilEventNotifier *notifier)
{
    gpointer h;

    g_return_if_fail(notifier != NULL);
    g_mutex_lock(&notifier->base.lock);
    h = notifier->base.h;
    notifier->base.h = NULL;
    if (h && notifier->busy > 0) {
        notifier->free_pending = h;     /* the last unwatch frees it */
        h = NULL;
    }
    g_mutex_unlock(&notifier->base.lock);
    if (h) {
        qu_notifier_free(h);
    }
}

void qemu_util_event_notifier_unref(QemuUtilEventNotifier *notifier)
{
    g_return_if_fail(notifier != NULL);
    if (!g_atomic_ref_count_dec(&notifier->base.ref)) {
        return;
    }
    /* Nobody else holds a reference, so no unwatch is in progress. */
    qemu_util_event_notifier_close(notifier);
    g_mutex_clear(&notifier->base.lock);
    g_free(notifier);
}

G_DEFINE_BOXED_TYPE(QemuUtilEventNotifier, qemu_util_event_notifier,
                    qemu_util_event_notifier_ref,
                    qemu_util_event_notifier_unref)

gboolean qemu_util_event_notifier_set(QemuUtilEventNotifier *notifier,
                                      GError **error)
{
    QemuUtilFfiEventNotifier *h;
    int rc;

    g_return_val_if_fail(notifier != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    h = qu_handle_lock(&notifier->base, "qemu_util_event_notifier_set",
                       "event notifier");
    if (!h) {
        return FALSE;
    }
    rc = qemuutil_ffi_event_notifier_set(h);
    qu_handle_unlock(&notifier->base);
    return qu_check(rc, "EventNotifier.set", error);
}

gboolean
qemu_util_event_notifier_test_and_clear(QemuUtilEventNotifier *notifier)
{
    QemuUtilFfiEventNotifier *h;
    gboolean was_set;

    g_return_val_if_fail(notifier != NULL, FALSE);
    h = qu_handle_lock(&notifier->base,
                       "qemu_util_event_notifier_test_and_clear",
                       "event notifier");
    if (!h) {
        return FALSE;
    }
    was_set = qemuutil_ffi_event_notifier_test_and_clear(h) > 0;
    qu_handle_unlock(&notifier->base);
    return was_set;
}

gint qemu_util_event_notifier_get_fd(QemuUtilEventNotifier *notifier)
{
    QemuUtilFfiEventNotifier *h;
    gint fd;

    g_return_val_if_fail(notifier != NULL, -1);
    h = qu_handle_lock(&notifier->base, "qemu_util_event_notifier_get_fd",
                       "event notifier");
    if (!h) {
        return -1;
    }
    fd = qemuutil_ffi_event_notifier_get_fd(h);
    qu_handle_unlock(&notifier->base);
    return fd;
}

gboolean qemu_util_event_notifier_watch(QemuUtilEventNotifier *notifier,
                                        QemuUtilAioContext *ctx,
                                        QemuUtilFunc func,
                                        gpointer user_data,
                                        GDestroyNotify notify,
                                        GError **error)
{
    QemuUtilFfiEventNotifier *h;
    int rc;

    g_return_val_if_fail(notifier != NULL, FALSE);
    g_return_val_if_fail(ctx != NULL, FALSE);
    g_return_val_if_fail(func != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    h = qu_handle_lock(&notifier->base, "qemu_util_event_notifier_watch",
                       "event notifier");
    if (!h) {
        qu_release_data(notify, user_data);
        return FALSE;
    }
    /* Registering runs no user code: fine under the lock. */
    rc = qemuutil_ffi_event_notifier_watch(h, ctx->h, func, user_data,
                                           notify);
    qu_handle_unlock(&notifier->base);
    if (!qu_check(rc, "EventNotifier.watch", error)) {
        qu_release_data(notify, user_data);
        return FALSE;
    }
    return TRUE;
}

gboolean qemu_util_event_notifier_unwatch(QemuUtilEventNotifier *notifier,
                                          GError **error)
{
    QemuUtilFfiEventNotifier *h;
    gpointer to_free = NULL;
    int rc;

    g_return_val_if_fail(notifier != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    h = qu_handle_lock(&notifier->base, "qemu_util_event_notifier_unwatch",
                       "event notifier");
    if (!h) {
        return FALSE;
    }
    notifier->busy++;
    qu_handle_unlock(&notifier->base);

    rc = qemuutil_ffi_event_notifier_unwatch(h);   /* may run the notify */

    g_mutex_lock(&notifier->base.lock);
    if (--notifier->busy == 0) {
        to_free = notifier->free_pending;
        notifier->free_pending = NULL;
    }
    g_mutex_unlock(&notifier->base.lock);
    if (to_free) {
        qu_notifier_free(to_free);
    }
    return qu_check(rc, "EventNotifier.unwatch", error);
}

/* ---------------------------------------------------------------------- */
/* IOThread                                                               */
/* ---------------------------------------------------------------------- */

struct _QemuUtilIOThread {
    QuHandle base;              /* a QemuUtilFfiIOThread; NULL once joined */
    QemuUtilAioContext *ctx;    /* its context, our reference; constant */
};

static void qu_iothread_free(gpointer h)
{
    qemuutil_ffi_iothread_free(h);
}

QemuUtilIOThread *qemu_util_iothread_new(GError **error)
{
    QemuUtilFfiIOThread *h;
    QemuUtilIOThread *t;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!qu_check(qemuutil_ffi_iothread_new(&h), "IOThread", error)) {
        return NULL;
    }
    t = g_new0(QemuUtilIOThread, 1);
    qu_handle_init(&t->base, h);
    /* Our own shim reference: the wrapper may outlive the thread. */
    t->ctx = qu_ctx_wrap(qemuutil_ffi_aio_context_ref(
                             qemuutil_ffi_iothread_get_aio_context(h)));
    t->ctx->iothread = TRUE;
    return t;
}

QemuUtilIOThread *qemu_util_iothread_ref(QemuUtilIOThread *iothread)
{
    g_return_val_if_fail(iothread != NULL, NULL);
    qu_handle_ref(&iothread->base);
    return iothread;
}

void qemu_util_iothread_unref(QemuUtilIOThread *iothread)
{
    QemuUtilAioContext *ctx;

    g_return_if_fail(iothread != NULL);
    if (!g_atomic_ref_count_dec(&iothread->base.ref)) {
        return;
    }
    ctx = iothread->ctx;
    qu_handle_delete(&iothread->base, qu_iothread_free);
    g_mutex_clear(&iothread->base.lock);
    g_free(iothread);
    qemu_util_aio_context_unref(ctx);
}

G_DEFINE_BOXED_TYPE(QemuUtilIOThread, qemu_util_iothread,
                    qemu_util_iothread_ref, qemu_util_iothread_unref)

QemuUtilAioContext *
qemu_util_iothread_get_aio_context(QemuUtilIOThread *iothread)
{
    g_return_val_if_fail(iothread != NULL, NULL);
    return iothread->ctx;
}

void qemu_util_iothread_join(QemuUtilIOThread *iothread)
{
    g_return_if_fail(iothread != NULL);
    qu_handle_delete(&iothread->base, qu_iothread_free);
}

/* ---------------------------------------------------------------------- */
/* Main loop                                                              */
/* ---------------------------------------------------------------------- */

struct _QemuUtilMainLoop {
    gatomicrefcount ref;        /* one is the singleton's, never dropped */
    QemuUtilFfiMainLoop *h;     /* constant */
    QemuUtilAioContext *ctx;    /* constant */
};

static QemuUtilMainLoop *qu_main_loop;      /* set once, under the lock */
G_LOCK_DEFINE_STATIC(qu_main_loop);

QemuUtilMainLoop *qemu_util_main_loop_get(GError **error)
{
    QemuUtilFfiMainLoop *h;
    QemuUtilMainLoop *loop;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    G_LOCK(qu_main_loop);
    loop = qu_main_loop;
    if (!loop) {
        if (!qu_check(qemuutil_ffi_main_loop_get(&h), "MainLoop", error)) {
            G_UNLOCK(qu_main_loop);
            return NULL;
        }
        loop = g_new0(QemuUtilMainLoop, 1);
        g_atomic_ref_count_init(&loop->ref);
        loop->h = h;
        loop->ctx = qu_ctx_wrap(qemuutil_ffi_aio_context_ref(
                                    qemuutil_ffi_main_loop_get_aio_context(h)));
        qu_main_loop = loop;
    }
    g_atomic_ref_count_inc(&loop->ref);
    G_UNLOCK(qu_main_loop);
    return loop;
}

QemuUtilMainLoop *qemu_util_main_loop_ref(QemuUtilMainLoop *loop)
{
    g_return_val_if_fail(loop != NULL, NULL);
    g_atomic_ref_count_inc(&loop->ref);
    return loop;
}

void qemu_util_main_loop_unref(QemuUtilMainLoop *loop)
{
    g_return_if_fail(loop != NULL);
    if (g_atomic_ref_count_dec(&loop->ref)) {
        g_critical("qemu_util_main_loop_unref: more unrefs than refs");
    }
}

G_DEFINE_BOXED_TYPE(QemuUtilMainLoop, qemu_util_main_loop,
                    qemu_util_main_loop_ref, qemu_util_main_loop_unref)

QemuUtilAioContext *qemu_util_main_loop_get_aio_context(QemuUtilMainLoop *loop)
{
    g_return_val_if_fail(loop != NULL, NULL);
    return loop->ctx;
}

gboolean qemu_util_main_loop_iteration(QemuUtilMainLoop *loop,
                                       gboolean blocking, GError **error)
{
    g_return_val_if_fail(loop != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    return qu_check(qemuutil_ffi_main_loop_wait(loop->h, blocking ? 0 : 1),
                    "MainLoop.iteration", error);
}

gboolean qemu_util_main_loop_run_until(QemuUtilMainLoop *loop,
                                       QemuUtilPredicate predicate,
                                       gpointer user_data, GError **error)
{
    g_return_val_if_fail(loop != NULL, FALSE);
    g_return_val_if_fail(predicate != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    /* QemuUtilPredicate returns gboolean, an int: the shim's signature. */
    return qu_check(qemuutil_ffi_main_loop_run_until(loop->h, predicate,
                                                     user_data),
                    "MainLoop.run_until", error);
}

void qemu_util_main_loop_notify(QemuUtilMainLoop *loop)
{
    g_return_if_fail(loop != NULL);
    qemuutil_ffi_main_loop_notify(loop->h);
}

/* ---------------------------------------------------------------------- */
/* Poller                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Only the home thread iterates or closes a poller, so iterate reads the
 * handle without holding the lock across the dispatch (callbacks run
 * there); the lock makes get_fd safe against a concurrent close.
 */
struct _QemuUtilPoller {
    QuHandle base;              /* a QemuUtilFfiPoller */
};

static void qu_poller_free(gpointer h)
{
    qemuutil_ffi_poller_free(h);
}

QemuUtilPoller *qemu_util_poller_new(QemuUtilAioContext *ctx, GError **error)
{
    QemuUtilFfiPoller *h;
    QemuUtilPoller *p;

    g_return_val_if_fail(ctx != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!qu_check(qemuutil_ffi_poller_new(ctx->h, &h), "Poller", error)) {
        return NULL;
    }
    p = g_new0(QemuUtilPoller, 1);
    qu_handle_init(&p->base, h);
    return p;
}

QemuUtilPoller *qemu_util_poller_ref(QemuUtilPoller *poller)
{
    g_return_val_if_fail(poller != NULL, NULL);
    qu_handle_ref(&poller->base);
    return poller;
}

void qemu_util_poller_unref(QemuUtilPoller *poller)
{
    g_return_if_fail(poller != NULL);
    qu_handle_unref(&poller->base, qu_poller_free);
}

G_DEFINE_BOXED_TYPE(QemuUtilPoller, qemu_util_poller, qemu_util_poller_ref,
                    qemu_util_poller_unref)

gint qemu_util_poller_get_fd(QemuUtilPoller *poller)
{
    QemuUtilFfiPoller *h;
    gint fd;

    g_return_val_if_fail(poller != NULL, -1);
    h = qu_handle_lock(&poller->base, "qemu_util_poller_get_fd", "poller");
    if (!h) {
        return -1;
    }
    fd = qemuutil_ffi_poller_get_fd(h);
    qu_handle_unlock(&poller->base);
    return fd;
}

gboolean qemu_util_poller_iterate(QemuUtilPoller *poller,
                                  gint64 *timeout_ns)
{
    QemuUtilFfiPoller *h;
    int64_t t = -1;
    int rc;

    g_return_val_if_fail(poller != NULL, FALSE);
    /* Home thread only, like close: nobody can clear it under us. */
    h = qu_handle_lock(&poller->base, "qemu_util_poller_iterate", "poller");
    if (!h) {
        if (timeout_ns) {
            *timeout_ns = -1;
        }
        return FALSE;
    }
    qu_handle_unlock(&poller->base);
    rc = qemuutil_ffi_poller_iterate(h, &t);
    if (timeout_ns) {
        *timeout_ns = t;
    }
    return rc > 0;
}

void qemu_util_poller_close(QemuUtilPoller *poller)
{
    g_return_if_fail(poller != NULL);
    qu_handle_delete(&poller->base, qu_poller_free);
}
