/*
 * qemuutil-ffi.h: the stable C ABI of qemuutil for other languages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * This header is the whole contract of libqemuutil-ffi.so, the layer that
 * ctypes, cffi, SWIG and the GObject library (QemuUtil-1.0) build on.  It
 * exposes no QEMU type: every object is an opaque handle, every error an
 * int, every persistent callback the triple (callback, user_data, destroy).
 *
 * ABI rules
 *  - Only symbols starting with qemuutil_ffi_ are exported; they carry the
 *    version node QEMUUTIL_FFI_1.0.  Functions are only ever added;
 *    a change of meaning gets a new name.  QEMUUTIL_FFI_ABI_VERSION counts
 *    incompatible changes (none so far).
 *  - Booleans are int (0 or 1), sizes and times int64_t nanoseconds.
 *  - Errors: 0 (or a positive count) on success, a negative
 *    QemuUtilFfiError on failure.  qemuutil_ffi_error_name() and
 *    qemuutil_ffi_strerror() name a code.  There is no thread-local "last
 *    error".  Calling a function with a NULL handle, or using a handle after
 *    freeing it, is misuse: it aborts (NULL) or is undefined (freed).
 *  - Constructors write the handle to their last argument (transfer full)
 *    and return 0; on failure they write NULL and return an error, and the
 *    destroy notify they were given is NOT called (the caller still owns
 *    user_data).
 *
 * Callbacks and destroy notifies
 *  - A persistent callback (BH, timer, fd watch, notifier watch) can run any
 *    number of times until its handle is freed; after that, its destroy
 *    notify (if not NULL) is called exactly once, when no invocation of the
 *    callback is running any more.  From the moment a _free() call returns,
 *    no new invocation starts.
 *  - One-shot callbacks (qemuutil_ffi_aio_context_invoke()) run at most once;
 *    the destroy notify follows right after, or alone if the context is
 *    finalized before the callback could run.
 *  - Callbacks run in the thread that dispatches the context (its "home
 *    thread": whoever calls qemuutil_ffi_aio_context_poll(), the IOThread,
 *    the main loop thread, or the GMainContext the context is attached to).
 *    A destroy notify runs either inside the _free() call (when the caller
 *    is the home thread, or no thread is dispatching the context), or later
 *    in the home thread, at its next dispatch.  Language bindings must be
 *    ready for both (take the interpreter lock in both).
 *  - A callback may free its own handle, or any other handle.
 *  - No internal lock is held while a callback or destroy notify runs.
 *
 * Threading: functions that run a loop (poll, main loop wait, poller
 * iterate) are home thread only.  Functions that queue work or wake a loop
 * (bh_schedule, invoke, notify, timer_mod, event_notifier_set) and all
 * _free/_unref functions are thread-safe.  Each function says which kind it
 * is.
 *
 * Lifetime: every child handle (BH, timer, fd watch, notifier watch, poller)
 * keeps a reference to its AioContext, so a context lives until its last
 * child is freed.  An IOThread's or the main loop's context handle is
 * borrowed from its owner (see those functions).
 */
#ifndef QEMUUTIL_FFI_H
#define QEMUUTIL_FFI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define QEMUUTIL_FFI_API __attribute__((visibility("default")))
#else
#define QEMUUTIL_FFI_API
#endif

/* Bumped on an incompatible change (never so far). */
#define QEMUUTIL_FFI_ABI_VERSION 1

/* ---------------------------------------------------------------------- */
/* Types                                                                  */
/* ---------------------------------------------------------------------- */

/* An AioContext: BHs, fd handlers, timers; reference counted. */
typedef struct QemuUtilFfiAioContext QemuUtilFfiAioContext;
/* A bottom half: a callback scheduled to run once per schedule. */
typedef struct QemuUtilFfiBH QemuUtilFfiBH;
/* A timer on one of the QEMU clocks, re-armable. */
typedef struct QemuUtilFfiTimer QemuUtilFfiTimer;
/* A file-descriptor handler (read and/or write readiness). */
typedef struct QemuUtilFfiFdWatch QemuUtilFfiFdWatch;
/* An EventNotifier (eventfd or pipe), optionally watched by a context. */
typedef struct QemuUtilFfiEventNotifier QemuUtilFfiEventNotifier;
/* A thread that runs its own AioContext (QEMU's IOThread helper). */
typedef struct QemuUtilFfiIOThread QemuUtilFfiIOThread;
/* The process-wide main loop (qemu_init_main_loop/main_loop_wait). */
typedef struct QemuUtilFfiMainLoop QemuUtilFfiMainLoop;
/* Drives a context from a foreign event loop (asyncio, libuv...). */
typedef struct QemuUtilFfiPoller QemuUtilFfiPoller;

/* A BH, timer, notifier or one-shot callback. */
typedef void (*QemuUtilFfiFunc)(void *user_data);
/*
 * An fd watch callback: @events is QEMUUTIL_FFI_FD_READ or _WRITE (one call
 * per ready direction).
 */
typedef void (*QemuUtilFfiFdFunc)(int fd, int events, void *user_data);
/* A loop exit condition: returns non-zero to stop. */
typedef int (*QemuUtilFfiPredicate)(void *user_data);
/* Releases user_data; same ABI as GDestroyNotify. */
typedef void (*QemuUtilFfiDestroyNotify)(void *user_data);

/*
 * Error codes.  On Linux each equals -errno, so bindings may map them to
 * OSError; other FFIs need not know errno values.
 */
typedef enum {
    QEMUUTIL_FFI_OK = 0,
    QEMUUTIL_FFI_ENOENT = -2,   /* no such object */
    QEMUUTIL_FFI_EBADF = -9,    /* not a valid open file descriptor */
    QEMUUTIL_FFI_EAGAIN = -11,  /* nothing to do now, try later */
    QEMUUTIL_FFI_ENOMEM = -12,  /* out of memory */
    QEMUUTIL_FFI_EBUSY = -16,   /* already in use (context attached...) */
    QEMUUTIL_FFI_EEXIST = -17,  /* fd already watched on this context */
    QEMUUTIL_FFI_EINVAL = -22,  /* invalid argument value */
    QEMUUTIL_FFI_EMFILE = -24,  /* out of file descriptors */
    QEMUUTIL_FFI_EPERM = -1,    /* not allowed from this thread */
} QemuUtilFfiError;

/* Clocks, equal to QEMUClockType. */
typedef enum {
    QEMUUTIL_FFI_CLOCK_REALTIME = 0,   /* host monotonic */
    QEMUUTIL_FFI_CLOCK_VIRTUAL = 1,    /* settable counter (tests) */
    QEMUUTIL_FFI_CLOCK_HOST = 2,       /* host wall clock */
    QEMUUTIL_FFI_CLOCK_VIRTUAL_RT = 3,
} QemuUtilFfiClock;

/* fd watch directions (bit mask). */
#define QEMUUTIL_FFI_FD_READ  1
#define QEMUUTIL_FFI_FD_WRITE 2

/* ---------------------------------------------------------------------- */
/* Version, errors, diagnostics (all thread-safe)                         */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_version: the library version as (major << 16 | minor << 8 |
 * micro).
 */
QEMUUTIL_FFI_API uint32_t qemuutil_ffi_version(void);

/**
 * qemuutil_ffi_version_string: the library version, e.g. "0.1.0".
 *
 * Returns: a static string (do not free).
 */
QEMUUTIL_FFI_API const char *qemuutil_ffi_version_string(void);

/**
 * qemuutil_ffi_abi_version: QEMUUTIL_FFI_ABI_VERSION of the loaded library;
 * a binding compares it with the header it was built against.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_abi_version(void);

/**
 * qemuutil_ffi_error_name: the symbolic name of @code ("EINVAL"; "OK" for
 * 0; "EUNKNOWN" for a value not in QemuUtilFfiError).
 *
 * Returns: a static string (do not free).
 */
QEMUUTIL_FFI_API const char *qemuutil_ffi_error_name(int code);

/**
 * qemuutil_ffi_strerror: a sentence describing @code.
 *
 * Returns: a static string (do not free).
 */
QEMUUTIL_FFI_API const char *qemuutil_ffi_strerror(int code);

/**
 * qemuutil_ffi_live_handles: how many handles and references the shim has
 * handed out and not yet seen released, plus callbacks whose destroy notify
 * is still pending.  Leak tests compare it before and after a workload.
 */
QEMUUTIL_FFI_API int64_t qemuutil_ffi_live_handles(void);

/**
 * qemuutil_ffi_clock_get_ns: the current time of @clock in nanoseconds.
 *
 * Returns: the time, or QEMUUTIL_FFI_EINVAL for an unknown clock.
 */
QEMUUTIL_FFI_API int64_t qemuutil_ffi_clock_get_ns(int clock);

/* ---------------------------------------------------------------------- */
/* AioContext                                                             */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_aio_context_new: create a context (aio_context_new()).
 * @out: receives the new context (transfer full; release with _unref)
 *
 * The context has no home thread until somebody polls it.  Thread-safe.
 *
 * Returns: 0, QEMUUTIL_FFI_EMFILE or QEMUUTIL_FFI_ENOMEM.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_aio_context_new(QemuUtilFfiAioContext **out);

/**
 * qemuutil_ffi_aio_context_ref: take a reference.  Thread-safe.
 *
 * Returns: @ctx.
 */
QEMUUTIL_FFI_API QemuUtilFfiAioContext *
qemuutil_ffi_aio_context_ref(QemuUtilFfiAioContext *ctx);

/**
 * qemuutil_ffi_aio_context_unref: drop a reference.  When the last one
 * goes, one-shot callbacks that never ran get their destroy notify and the
 * context is finalized.  Thread-safe, but the last reference must not be
 * dropped while a thread still polls the context.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_aio_context_unref(QemuUtilFfiAioContext *ctx);

/**
 * qemuutil_ffi_aio_context_poll: run one iteration (aio_poll()).
 * @blocking: non-zero to wait until something happens
 *
 * Home thread only; the calling thread becomes the home thread for the
 * duration of the call.  Callbacks run inside this call.  Any thread may
 * poll any number of contexts this way.  A context attached to a
 * GMainContext (qemuutil_ffi_aio_context_get_g_source()) is polled by
 * iterating that GMainContext once, which also dispatches its other
 * sources.
 *
 * Returns: 1 if a callback ran, 0 if not, QEMUUTIL_FFI_EPERM if
 * the context belongs to an IOThread (running or joined) or another thread
 * iterates its GMainContext.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_aio_context_poll(QemuUtilFfiAioContext *ctx,
                                                   int blocking);

/**
 * qemuutil_ffi_aio_context_notify: wake a blocking poll of @ctx (aio_notify()).
 * Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_aio_context_notify(QemuUtilFfiAioContext *ctx);

/**
 * qemuutil_ffi_aio_context_timeout_ns: how long a blocking poll would wait
 * for the context's timers (aio_compute_timeout()).
 *
 * Home thread only.  Returns: 0 if work is ready now, -1 for "no deadline",
 * else nanoseconds.
 */
QEMUUTIL_FFI_API int64_t
qemuutil_ffi_aio_context_timeout_ns(QemuUtilFfiAioContext *ctx);

/**
 * qemuutil_ffi_aio_context_invoke: run @cb once in the context's home thread
 * (aio_bh_schedule_oneshot() + wake-up).  (scope async)
 * @cb: the callback
 * @user_data: passed to @cb and @destroy
 * @destroy: (nullable): called once after @cb ran, or alone if the context
 *   is finalized first
 *
 * Thread-safe.  Returns: 0.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_aio_context_invoke(QemuUtilFfiAioContext *ctx,
                                                     QemuUtilFfiFunc cb,
                                                     void *user_data,
                                                     QemuUtilFfiDestroyNotify
                                                     destroy);

/**
 * qemuutil_ffi_aio_context_get_g_source: the context as a GSource
 * (aio_get_g_source()), for attaching to a GMainContext.
 *
 * The result is a GSource * (typed void * so that this header needs no
 * GLib), transfer full: g_source_unref() it.  A context can be attached to
 * one GMainContext in its life; a poller uses that attachment too, so the
 * two exclude each other.  Thread-safe.
 */
QEMUUTIL_FFI_API void *
qemuutil_ffi_aio_context_get_g_source(QemuUtilFfiAioContext *ctx);

/* ---------------------------------------------------------------------- */
/* Bottom halves                                                          */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_bh_new: create a BH (aio_bh_new()).  (scope notified)
 * @out: receives the BH (transfer full; release with qemuutil_ffi_bh_free)
 *
 * Thread-safe.  Returns: 0 or QEMUUTIL_FFI_ENOMEM.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_bh_new(QemuUtilFfiAioContext *ctx,
                                         QemuUtilFfiFunc cb, void *user_data,
                                         QemuUtilFfiDestroyNotify destroy,
                                         QemuUtilFfiBH **out);

/**
 * qemuutil_ffi_bh_schedule: run the BH once at the context's next
 * iteration; several schedules before it runs coalesce.  Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_bh_schedule(QemuUtilFfiBH *bh);

/**
 * qemuutil_ffi_bh_cancel: undo a pending schedule.  Thread-safe; a run that
 * already started in another thread is not interrupted.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_bh_cancel(QemuUtilFfiBH *bh);

/**
 * qemuutil_ffi_bh_free: cancel and delete the BH; see "Callbacks and
 * destroy notifies" above.  Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_bh_free(QemuUtilFfiBH *bh);

/* ---------------------------------------------------------------------- */
/* Timers                                                                 */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_timer_new: create a disarmed timer on @clock in @ctx.
 * (scope notified)
 * @out: receives the timer (transfer full; release with _free)
 *
 * Thread-safe.  Returns: 0 or QEMUUTIL_FFI_EINVAL (unknown clock).
 */
QEMUUTIL_FFI_API int qemuutil_ffi_timer_new(QemuUtilFfiAioContext *ctx,
                                            int clock, QemuUtilFfiFunc cb,
                                            void *user_data,
                                            QemuUtilFfiDestroyNotify destroy,
                                            QemuUtilFfiTimer **out);

/**
 * qemuutil_ffi_timer_mod_ns: arm (or re-arm) the timer to fire once when its
 * clock reaches @expire_ns (absolute, see qemuutil_ffi_clock_get_ns()).
 * Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_timer_mod_ns(QemuUtilFfiTimer *timer,
                                                int64_t expire_ns);

/**
 * qemuutil_ffi_timer_del: disarm the timer.  Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_timer_del(QemuUtilFfiTimer *timer);

/**
 * qemuutil_ffi_timer_pending: 1 if armed and not yet fired.  Thread-safe.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_timer_pending(QemuUtilFfiTimer *timer);

/**
 * qemuutil_ffi_timer_expire_ns: the armed deadline, or -1.  Thread-safe.
 */
QEMUUTIL_FFI_API int64_t qemuutil_ffi_timer_expire_ns(QemuUtilFfiTimer *timer);

/**
 * qemuutil_ffi_timer_free: disarm and delete the timer.  Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_timer_free(QemuUtilFfiTimer *timer);

/* ---------------------------------------------------------------------- */
/* File-descriptor watches                                                */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_fd_watch_new: call @cb when @fd is readable and/or writable
 * (aio_set_fd_handler()).  (scope notified)
 * @events: QEMUUTIL_FFI_FD_READ | QEMUUTIL_FFI_FD_WRITE, or 0 (paused)
 * @out: receives the watch (transfer full; release with _free)
 *
 * The watch does not own @fd: close it after freeing the watch.  A context
 * has at most one watch per fd.  Level-triggered: @cb is called again at
 * every iteration while the condition holds.  Thread-safe.
 *
 * Returns: 0, QEMUUTIL_FFI_EBADF (fd < 0), QEMUUTIL_FFI_EINVAL (bad
 * @events) or QEMUUTIL_FFI_EEXIST (@fd already watched in @ctx).
 */
QEMUUTIL_FFI_API int qemuutil_ffi_fd_watch_new(QemuUtilFfiAioContext *ctx,
                                               int fd, int events,
                                               QemuUtilFfiFdFunc cb,
                                               void *user_data,
                                               QemuUtilFfiDestroyNotify destroy,
                                               QemuUtilFfiFdWatch **out);

/**
 * qemuutil_ffi_fd_watch_set_events: change the watched directions (0
 * pauses the watch).  Thread-safe.  Returns: 0 or QEMUUTIL_FFI_EINVAL.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_fd_watch_set_events(QemuUtilFfiFdWatch *w,
                                                      int events);

/**
 * qemuutil_ffi_fd_watch_get_events: the watched directions.  Thread-safe.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_fd_watch_get_events(QemuUtilFfiFdWatch *w);

/**
 * qemuutil_ffi_fd_watch_free: stop watching and delete.  Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_fd_watch_free(QemuUtilFfiFdWatch *w);

/* ---------------------------------------------------------------------- */
/* EventNotifier                                                          */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_event_notifier_new: create a notifier (event_notifier_init()).
 * @out: receives it (transfer full; release with _free)
 *
 * Thread-safe.  Returns: 0, QEMUUTIL_FFI_EMFILE or QEMUUTIL_FFI_ENOMEM.
 */
QEMUUTIL_FFI_API int
qemuutil_ffi_event_notifier_new(QemuUtilFfiEventNotifier **out);

/**
 * qemuutil_ffi_event_notifier_set: signal the notifier.  Thread-safe.
 * Returns: 0 or a negative code.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_event_notifier_set(QemuUtilFfiEventNotifier *n);

/**
 * qemuutil_ffi_event_notifier_test_and_clear: consume the pending signal.
 * Thread-safe.  Returns: 1 if it was set, 0 if not.
 */
QEMUUTIL_FFI_API int
qemuutil_ffi_event_notifier_test_and_clear(QemuUtilFfiEventNotifier *n);

/**
 * qemuutil_ffi_event_notifier_get_fd: the fd to poll for readability
 * (owned by the notifier).  Thread-safe.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_event_notifier_get_fd(QemuUtilFfiEventNotifier *n);

/**
 * qemuutil_ffi_event_notifier_watch: call @cb in @ctx's home thread while
 * the notifier is set (aio_set_event_notifier()).  (scope notified)
 *
 * Level-triggered: @cb must clear the notifier (test_and_clear) or it is
 * called again.  One watch per notifier at a time; the watch keeps @ctx
 * alive.  Thread-safe.
 *
 * Returns: 0 or QEMUUTIL_FFI_EBUSY (already watched).
 */
QEMUUTIL_FFI_API int
qemuutil_ffi_event_notifier_watch(QemuUtilFfiEventNotifier *n,
                                  QemuUtilFfiAioContext *ctx,
                                  QemuUtilFfiFunc cb, void *user_data,
                                  QemuUtilFfiDestroyNotify destroy);

/**
 * qemuutil_ffi_event_notifier_unwatch: end the watch; its destroy notify
 * follows the rules above.  Thread-safe.
 *
 * Returns: 0 or QEMUUTIL_FFI_ENOENT (not watched).
 */
QEMUUTIL_FFI_API int
qemuutil_ffi_event_notifier_unwatch(QemuUtilFfiEventNotifier *n);

/**
 * qemuutil_ffi_event_notifier_free: unwatch (if watched) and close.  The fds
 * are closed once the watch is fully released.  Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_event_notifier_free(QemuUtilFfiEventNotifier *n);

/* ---------------------------------------------------------------------- */
/* IOThread                                                               */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_iothread_new: start a thread that polls its own context.
 * @out: receives it (transfer full; release with _free)
 *
 * Thread-safe.  Returns: 0 or QEMUUTIL_FFI_ENOMEM.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_iothread_new(QemuUtilFfiIOThread **out);

/**
 * qemuutil_ffi_iothread_get_aio_context: the thread's context.
 *
 * Returns: (transfer none): valid while @iothread lives; take a reference
 * with qemuutil_ffi_aio_context_ref() to keep it longer (it then outlives
 * the thread, but nobody polls it any more).  Thread-safe.
 */
QEMUUTIL_FFI_API QemuUtilFfiAioContext *
qemuutil_ffi_iothread_get_aio_context(QemuUtilFfiIOThread *iothread);

/**
 * qemuutil_ffi_iothread_free: stop and join the thread.  Callbacks already
 * queued for it (invoke, scheduled BHs, freed handles' destroy notifies)
 * run before it stops.  Not from the IOThread itself.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_iothread_free(QemuUtilFfiIOThread *iothread);

/* ---------------------------------------------------------------------- */
/* Main loop                                                              */
/* ---------------------------------------------------------------------- */

/**
 * qemuutil_ffi_main_loop_get: the process's main loop, initialised at the
 * first call (qemu_init_main_loop()); that call's thread becomes the main
 * thread, holds the BQL from then on and must be the one that runs the
 * loop.  Later calls from any thread return the same loop.
 * @out: receives a reference (transfer full; release with _unref)
 *
 * Returns: 0 or a negative code if initialisation failed.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_main_loop_get(QemuUtilFfiMainLoop **out);

/**
 * qemuutil_ffi_main_loop_ref: take a reference.  Thread-safe.
 */
QEMUUTIL_FFI_API QemuUtilFfiMainLoop *
qemuutil_ffi_main_loop_ref(QemuUtilFfiMainLoop *loop);

/**
 * qemuutil_ffi_main_loop_unref: drop a reference.  The loop itself lives
 * until the process exits.  Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_main_loop_unref(QemuUtilFfiMainLoop *loop);

/**
 * qemuutil_ffi_main_loop_get_aio_context: the main loop's context
 * (qemu_get_aio_context()).
 *
 * Returns: (transfer none): valid as long as the process.  Thread-safe.
 */
QEMUUTIL_FFI_API QemuUtilFfiAioContext *
qemuutil_ffi_main_loop_get_aio_context(QemuUtilFfiMainLoop *loop);

/**
 * qemuutil_ffi_main_loop_wait: one main loop iteration (main_loop_wait()).
 * @nonblocking: non-zero to only dispatch what is ready
 *
 * Main thread only.  Returns: 0, or QEMUUTIL_FFI_EPERM from another
 * thread.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_main_loop_wait(QemuUtilFfiMainLoop *loop,
                                                 int nonblocking);

/**
 * qemuutil_ffi_main_loop_run_until: iterate until @done returns non-zero
 * (qemu_main_loop_run_until()).  (scope call)
 *
 * @done is checked before each iteration; if another thread makes it
 * true, it must also call qemuutil_ffi_main_loop_notify().  Main thread
 * only.  Returns: 0 or QEMUUTIL_FFI_EPERM.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_main_loop_run_until(QemuUtilFfiMainLoop *loop,
                                                      QemuUtilFfiPredicate done,
                                                      void *user_data);

/**
 * qemuutil_ffi_main_loop_notify: wake the main loop (qemu_notify_event()).
 * Thread-safe.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_main_loop_notify(QemuUtilFfiMainLoop *loop);

/* ---------------------------------------------------------------------- */
/* Poller: a context inside a foreign loop                                */
/* ---------------------------------------------------------------------- */

/*
 * A poller lets another event loop drive a context: it watches one fd (an
 * epoll instance mirroring every fd the context polls) and calls
 * qemuutil_ffi_poller_iterate() whenever that fd is readable or the timeout
 * returned by the previous iterate call expires:
 *
 *     fd = qemuutil_ffi_poller_get_fd(p);
 *     qemuutil_ffi_poller_iterate(p, &timeout_ns);    prepare
 *     on readable(fd) or after timeout_ns:
 *         qemuutil_ffi_poller_iterate(p, &timeout_ns); dispatch + prepare
 *
 * Cross-thread wake-ups (bh_schedule, invoke, notify) make the fd readable.
 * The poller attaches the context's GSource to a private GMainContext, so it
 * excludes qemuutil_ffi_aio_context_get_g_source() (see there).
 */

/**
 * qemuutil_ffi_poller_new: create a poller for @ctx.
 * @out: receives it (transfer full; release with _free)
 *
 * Returns: 0, QEMUUTIL_FFI_EBUSY (the context is attached to another
 * GMainContext, or has a poller), QEMUUTIL_FFI_EMFILE.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_poller_new(QemuUtilFfiAioContext *ctx,
                                             QemuUtilFfiPoller **out);

/**
 * qemuutil_ffi_poller_get_fd: the fd to watch for readability (owned by
 * the poller).  Thread-safe.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_poller_get_fd(QemuUtilFfiPoller *p);

/**
 * qemuutil_ffi_poller_iterate: dispatch what is ready (if a previous call
 * prepared an iteration), then prepare the next one.  Never blocks.
 * @timeout_ns: (out): when to call again at the latest: -1 for "only when
 *   the fd is readable", 0 for "right away", else nanoseconds from now
 *
 * Home thread only.  Returns: 1 if callbacks ran, 0 if not.
 */
QEMUUTIL_FFI_API int qemuutil_ffi_poller_iterate(QemuUtilFfiPoller *p,
                                                 int64_t *timeout_ns);

/**
 * qemuutil_ffi_poller_free: stop driving the context.  Home thread only.
 */
QEMUUTIL_FFI_API void qemuutil_ffi_poller_free(QemuUtilFfiPoller *p);

#ifdef __cplusplus
}
#endif

#endif /* QEMUUTIL_FFI_H */
