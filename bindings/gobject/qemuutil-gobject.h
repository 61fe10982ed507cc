/*
 * qemuutil-gobject.h: QemuUtil-1.0, the GObject library over the qemuutil
 * C shim (qemuutil-ffi.h), for GObject-introspection languages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What this layer adds to the shim: GTypes for every handle (boxed,
 * reference counted, like GMainContext and GSource), GError instead of
 * negative codes, a GSource door into a GMainLoop, and annotations that
 * tell bindings (PyGObject, gjs) who owns each callback.
 *
 * Handles
 *   Every handle is a boxed type with _ref()/_unref() (which bindings use
 *   as copy/free).  Handles that own a callback (#QemuUtilBH,
 *   #QemuUtilTimer, #QemuUtilFdWatch) also have an explicit _delete():
 *   after it returns no new invocation of the callback starts, and the
 *   destroy notify runs exactly once (at once, or in the home thread's
 *   next dispatch if another thread dispatches the context right now).
 *   Dropping the last reference deletes the handle too, but a garbage
 *   collector's timing is no lifetime guarantee: bindings should delete
 *   explicitly.  Calling anything but _ref/_unref/_delete on a deleted
 *   handle is a programming error (a g_critical, then nothing happens).
 *
 * Callbacks
 *   Persistent callbacks take (func, user_data, notify) and are annotated
 *   (scope notified); the one-shot qemu_util_aio_context_schedule_oneshot()
 *   is (scope async); qemu_util_main_loop_run_until()'s predicate is
 *   (scope call).  No callback is (scope forever).  When a constructor
 *   that takes a notify fails, it calls the notify before returning the
 *   error, so a binding's closure is never leaked.  No lock of this
 *   library or of the shim is held while a callback or notify runs.
 *
 * Threads
 *   Unless a function says otherwise it is thread-safe.  "Home thread
 *   only" means the thread that dispatches the context (see
 *   qemu_util_aio_context_poll()).  Callbacks run in that thread; a
 *   language binding must take its interpreter lock in them (PyGObject
 *   does).
 */
#ifndef QEMU_UTIL_GOBJECT_H
#define QEMU_UTIL_GOBJECT_H

#define QEMU_UTIL_INSIDE
#include <glib-object.h>
#include "qemuutil-gobject-version.h"
#include "qemuutil-gobject-types.h"
#include "qemuutil-gobject-enumtypes.h"
#undef QEMU_UTIL_INSIDE

G_BEGIN_DECLS

/**
 * QEMU_UTIL_ERROR:
 *
 * The #GError domain of this library; codes are #QemuUtilError.
 */
#define QEMU_UTIL_ERROR (qemu_util_error_quark())

/**
 * qemu_util_error_quark:
 *
 * The quark of the %QEMU_UTIL_ERROR domain ("qemu-util-error-quark").
 * Thread-safe.
 *
 * Returns: the quark
 */
QEMU_UTIL_AVAILABLE_IN_1_0
GQuark qemu_util_error_quark(void);

/* ---------------------------------------------------------------------- */
/* Library                                                                */
/* ---------------------------------------------------------------------- */

/**
 * qemu_util_get_version:
 *
 * The version of the library loaded at run time (compare
 * %QEMU_UTIL_VERSION_S for the headers).  Thread-safe.
 *
 * Returns: (transfer none): a static string such as "1.0.0"
 */
QEMU_UTIL_AVAILABLE_IN_1_0
const gchar *qemu_util_get_version(void);

/**
 * qemu_util_live_handles:
 *
 * How many handles of the C shim are alive, counting each reference and
 * each destroy notify not yet called.  Leak tests compare it before and
 * after a workload.  Thread-safe.
 *
 * Returns: the count
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gint64 qemu_util_live_handles(void);

/**
 * qemu_util_clock_get_ns:
 * @clock: a clock
 *
 * The current time of @clock, in nanoseconds; the time base for
 * qemu_util_timer_mod_ns().  %QEMU_UTIL_CLOCK_REALTIME is the clock of
 * g_get_monotonic_time().  Thread-safe.
 *
 * Returns: the time, or -22 (EINVAL) for an unknown clock
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gint64 qemu_util_clock_get_ns(QemuUtilClock clock);

/* ---------------------------------------------------------------------- */
/* AioContext                                                             */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilAioContext:
 *
 * An event loop context (QEMU's AioContext): bottom halves, timers and
 * file-descriptor watches, dispatched by one thread at a time.  A
 * reference-counted boxed type; every #QemuUtilBH, #QemuUtilTimer and
 * #QemuUtilFdWatch keeps its context alive.
 */
typedef struct _QemuUtilAioContext QemuUtilAioContext;

#define QEMU_UTIL_TYPE_AIO_CONTEXT (qemu_util_aio_context_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_aio_context_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_aio_context_new:
 * @error: return location for a #GError
 *
 * Creates a context.  It has no home thread until somebody polls it or
 * attaches it to a #GMainContext.  Thread-safe.
 *
 * Returns: (transfer full): the context, or %NULL with @error set
 *   (%QEMU_UTIL_ERROR_TOO_MANY_FILES)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilAioContext *qemu_util_aio_context_new(GError **error);

/**
 * qemu_util_aio_context_ref:
 * @ctx: a context
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @ctx
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilAioContext *qemu_util_aio_context_ref(QemuUtilAioContext *ctx);

/**
 * qemu_util_aio_context_unref:
 * @ctx: (transfer full): a context
 *
 * Drops a reference.  When the last reference to this handle goes, an
 * attachment made with qemu_util_aio_context_attach() ends; the context
 * itself lives until its last #QemuUtilBH, #QemuUtilTimer and
 * #QemuUtilFdWatch are deleted, then one-shot callbacks that never ran
 * get their destroy notify.  Thread-safe, but the last reference must
 * not be dropped while a thread polls the context.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_aio_context_unref(QemuUtilAioContext *ctx);

/**
 * qemu_util_aio_context_poll:
 * @ctx: a context
 * @blocking: whether to wait until something happens
 * @error: return location for a #GError
 *
 * Runs one iteration of @ctx (QEMU's aio_poll()): callbacks run inside
 * this call, in the calling thread.  Home thread only: the caller becomes
 * the home thread for the duration of the call, and two threads polling
 * one context at once is a programming error.  A context attached to a
 * #GMainContext is polled by iterating that #GMainContext once, which
 * dispatches its other sources too.
 *
 * Bindings release their interpreter lock here (PyGObject does for every
 * call), so other threads run during a blocking poll.
 *
 * Returns: %TRUE if a callback ran; %FALSE if none did, or on error with
 *   @error set (%QEMU_UTIL_ERROR_WRONG_THREAD: an IOThread runs @ctx, or
 *   another thread owns its #GMainContext)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_aio_context_poll(QemuUtilAioContext *ctx,
                                    gboolean blocking, GError **error);

/**
 * qemu_util_aio_context_notify:
 * @ctx: a context
 *
 * Wakes a blocking qemu_util_aio_context_poll() of @ctx (aio_notify()).
 * Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_aio_context_notify(QemuUtilAioContext *ctx);

/**
 * qemu_util_aio_context_get_timeout_ns:
 * @ctx: a context
 *
 * How long a blocking poll would sleep for the timers of @ctx.  Home
 * thread only.
 *
 * Returns: 0 if work is ready now, -1 if no timer is armed, else the
 *   nanoseconds until the next deadline
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gint64 qemu_util_aio_context_get_timeout_ns(QemuUtilAioContext *ctx);

/**
 * qemu_util_aio_context_invoke:
 * @ctx: a context
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once in the home thread of @ctx
 * @user_data: data for @func and @notify
 * @notify: (nullable): called once after @func ran, or alone if @ctx is
 *   finalized before @func could run
 *
 * Runs @func once, soon, in the home thread of @ctx and wakes that thread
 * (a one-shot bottom half, as g_main_context_invoke_full() does for
 * GLib).  This is the cross-thread hand-off: call it from any thread.
 * Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_aio_context_invoke(QemuUtilAioContext *ctx, QemuUtilFunc func,
                                  gpointer user_data, GDestroyNotify notify);

/**
 * qemu_util_aio_context_schedule_oneshot:
 * @ctx: a context
 * @func: (scope async) (closure user_data): called once in the home
 *   thread of @ctx
 * @user_data: data for @func
 *
 * Like qemu_util_aio_context_invoke() without a destroy notify
 * (aio_bh_schedule_oneshot()).  @func is released by bindings after its
 * one call; if @ctx is finalized before @func ran, @func is never called
 * and a binding cannot release it, so prefer
 * qemu_util_aio_context_invoke() when that can happen.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_aio_context_schedule_oneshot(QemuUtilAioContext *ctx,
                                            QemuUtilFunc func,
                                            gpointer user_data);

/**
 * qemu_util_aio_context_get_source:
 * @ctx: a context
 *
 * The context as a #GSource (aio_get_g_source()), to attach to a
 * #GMainContext yourself; a context has one source, and it can be
 * attached once.  Whoever attaches it must g_source_destroy() it when
 * done, or the context lives as long as that #GMainContext.
 * qemu_util_aio_context_attach() does all of this for you.  Thread-safe.
 *
 * Returns: (transfer full): the source
 */
QEMU_UTIL_AVAILABLE_IN_1_0
GSource *qemu_util_aio_context_get_source(QemuUtilAioContext *ctx);

/**
 * qemu_util_aio_context_attach:
 * @ctx: a context
 * @main_context: (nullable): the #GMainContext that will dispatch @ctx,
 *   or %NULL for the default one
 * @error: return location for a #GError
 *
 * Makes @ctx a source of @main_context, so that a #GMainLoop (for example
 * GLib.MainLoop().run() in Python) dispatches its callbacks; the thread
 * iterating @main_context becomes its home thread.  Attaching again to
 * the same #GMainContext does nothing.  The attachment ends with
 * qemu_util_aio_context_detach() or when the last reference to @ctx is
 * dropped.  Call it before polling @ctx: a poll attaches the context to a
 * private #GMainContext.  Thread-safe.
 *
 * Returns: %TRUE, or %FALSE with @error set (%QEMU_UTIL_ERROR_BUSY: @ctx
 *   is attached to another #GMainContext, was detached, or has a
 *   #QemuUtilPoller)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_aio_context_attach(QemuUtilAioContext *ctx,
                                      GMainContext *main_context,
                                      GError **error);

/**
 * qemu_util_aio_context_detach:
 * @ctx: a context
 *
 * Ends the attachment made with qemu_util_aio_context_attach(): the
 * context's source is destroyed, so its callbacks no longer run and it
 * cannot be attached or polled again.  Does nothing if @ctx is not
 * attached.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_aio_context_detach(QemuUtilAioContext *ctx);

/* ---------------------------------------------------------------------- */
/* Bottom halves                                                          */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilBH:
 *
 * A bottom half: a callback that runs once in its context's home thread
 * each time it is scheduled (schedules before it runs coalesce).
 */
typedef struct _QemuUtilBH QemuUtilBH;

#define QEMU_UTIL_TYPE_BH (qemu_util_bh_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_bh_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_bh_new:
 * @ctx: the context that runs the bottom half
 * @func: (scope notified) (closure user_data) (destroy notify): called in
 *   the home thread of @ctx once per schedule
 * @user_data: data for @func and @notify
 * @notify: (nullable): called once, after qemu_util_bh_delete() (or the
 *   last unref) when no call of @func is running any more
 *
 * Creates an unscheduled bottom half (aio_bh_new()).  Thread-safe.
 *
 * Returns: (transfer full): the bottom half
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilBH *qemu_util_bh_new(QemuUtilAioContext *ctx, QemuUtilFunc func,
                             gpointer user_data, GDestroyNotify notify);

/**
 * qemu_util_bh_ref:
 * @bh: a bottom half
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @bh
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilBH *qemu_util_bh_ref(QemuUtilBH *bh);

/**
 * qemu_util_bh_unref:
 * @bh: (transfer full): a bottom half
 *
 * Drops a reference; the last one deletes the bottom half as
 * qemu_util_bh_delete() does.  Thread-safe, except from the bottom half's
 * own destroy notify.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_bh_unref(QemuUtilBH *bh);

/**
 * qemu_util_bh_schedule:
 * @bh: a bottom half
 *
 * Makes the callback run once at the next iteration of its context, and
 * wakes the context.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_bh_schedule(QemuUtilBH *bh);

/**
 * qemu_util_bh_cancel:
 * @bh: a bottom half
 *
 * Undoes a pending schedule; a call already running is not interrupted.
 * Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_bh_cancel(QemuUtilBH *bh);

/**
 * qemu_util_bh_delete:
 * @bh: a bottom half
 *
 * Cancels and deletes the bottom half; see "Handles" at the top of this
 * header for when the destroy notify runs.  It may be called from the
 * bottom half's own callback.  Idempotent.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_bh_delete(QemuUtilBH *bh);

/**
 * qemu_util_bh_is_deleted:
 * @bh: a bottom half
 *
 * Thread-safe.
 *
 * Returns: whether qemu_util_bh_delete() was called
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_bh_is_deleted(QemuUtilBH *bh);

/* ---------------------------------------------------------------------- */
/* Timers                                                                 */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilTimer:
 *
 * A timer on one #QemuUtilClock, armed with an absolute deadline and
 * re-armable, whose callback runs in its context's home thread.
 */
typedef struct _QemuUtilTimer QemuUtilTimer;

#define QEMU_UTIL_TYPE_TIMER (qemu_util_timer_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_timer_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_timer_new:
 * @ctx: the context that runs the timer
 * @clock: the clock of the deadlines
 * @func: (scope notified) (closure user_data) (destroy notify): called in
 *   the home thread of @ctx when the deadline passes
 * @user_data: data for @func and @notify
 * @notify: (nullable): called once, after qemu_util_timer_delete() (or
 *   the last unref), or before this returns an error
 * @error: return location for a #GError
 *
 * Creates a disarmed timer.  Thread-safe.
 *
 * Returns: (transfer full): the timer, or %NULL with @error set
 *   (%QEMU_UTIL_ERROR_INVALID: unknown @clock)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilTimer *qemu_util_timer_new(QemuUtilAioContext *ctx,
                                   QemuUtilClock clock, QemuUtilFunc func,
                                   gpointer user_data, GDestroyNotify notify,
                                   GError **error);

/**
 * qemu_util_timer_ref:
 * @timer: a timer
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @timer
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilTimer *qemu_util_timer_ref(QemuUtilTimer *timer);

/**
 * qemu_util_timer_unref:
 * @timer: (transfer full): a timer
 *
 * Drops a reference; the last one deletes the timer as
 * qemu_util_timer_delete() does.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_timer_unref(QemuUtilTimer *timer);

/**
 * qemu_util_timer_mod_ns:
 * @timer: a timer
 * @expire_ns: the absolute deadline, in nanoseconds of the timer's clock
 *   (see qemu_util_clock_get_ns())
 *
 * Arms or re-arms the timer to fire once.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_timer_mod_ns(QemuUtilTimer *timer, gint64 expire_ns);

/**
 * qemu_util_timer_cancel:
 * @timer: a timer
 *
 * Disarms the timer (timer_del()).  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_timer_cancel(QemuUtilTimer *timer);

/**
 * qemu_util_timer_is_pending:
 * @timer: a timer
 *
 * Thread-safe.
 *
 * Returns: whether the timer is armed and has not fired yet
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_timer_is_pending(QemuUtilTimer *timer);

/**
 * qemu_util_timer_get_expire_ns:
 * @timer: a timer
 *
 * Thread-safe.
 *
 * Returns: the armed deadline, or -1 if the timer is not armed
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gint64 qemu_util_timer_get_expire_ns(QemuUtilTimer *timer);

/**
 * qemu_util_timer_delete:
 * @timer: a timer
 *
 * Disarms and deletes the timer; see "Handles" at the top of this header.
 * It may be called from the timer's own callback.  Idempotent.
 * Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_timer_delete(QemuUtilTimer *timer);

/* ---------------------------------------------------------------------- */
/* File-descriptor watches                                                */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilFdWatch:
 *
 * Calls a #QemuUtilFdFunc in its context's home thread while a file
 * descriptor is readable and/or writable.  It does not own the
 * descriptor.
 */
typedef struct _QemuUtilFdWatch QemuUtilFdWatch;

#define QEMU_UTIL_TYPE_FD_WATCH (qemu_util_fd_watch_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_fd_watch_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_fd_watch_new:
 * @ctx: the context that watches @fd
 * @fd: the file descriptor; it must stay open until the watch is deleted
 * @events: the directions to watch (%QEMU_UTIL_FD_NONE creates a paused
 *   watch)
 * @func: (scope notified) (closure user_data) (destroy notify): called in
 *   the home thread of @ctx while @fd is ready
 * @user_data: data for @func and @notify
 * @notify: (nullable): called once, after qemu_util_fd_watch_delete() (or
 *   the last unref), or before this returns an error
 * @error: return location for a #GError
 *
 * Watches @fd (aio_set_fd_handler()).  A context has at most one watch
 * per descriptor.  Thread-safe.
 *
 * Returns: (transfer full): the watch, or %NULL with @error set
 *   (%QEMU_UTIL_ERROR_BAD_FD, %QEMU_UTIL_ERROR_INVALID,
 *   %QEMU_UTIL_ERROR_EXISTS)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilFdWatch *qemu_util_fd_watch_new(QemuUtilAioContext *ctx, gint fd,
                                        QemuUtilFdEvents events,
                                        QemuUtilFdFunc func,
                                        gpointer user_data,
                                        GDestroyNotify notify,
                                        GError **error);

/**
 * qemu_util_fd_watch_ref:
 * @watch: a watch
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @watch
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilFdWatch *qemu_util_fd_watch_ref(QemuUtilFdWatch *watch);

/**
 * qemu_util_fd_watch_unref:
 * @watch: (transfer full): a watch
 *
 * Drops a reference; the last one deletes the watch as
 * qemu_util_fd_watch_delete() does.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_fd_watch_unref(QemuUtilFdWatch *watch);

/**
 * qemu_util_fd_watch_set_events:
 * @watch: a watch
 * @events: the directions to watch from now on; %QEMU_UTIL_FD_NONE pauses
 * @error: return location for a #GError
 *
 * Thread-safe.
 *
 * Returns: %TRUE, or %FALSE with @error set (%QEMU_UTIL_ERROR_INVALID)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_fd_watch_set_events(QemuUtilFdWatch *watch,
                                       QemuUtilFdEvents events,
                                       GError **error);

/**
 * qemu_util_fd_watch_get_events:
 * @watch: a watch
 *
 * Thread-safe.
 *
 * Returns: the watched directions
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilFdEvents qemu_util_fd_watch_get_events(QemuUtilFdWatch *watch);

/**
 * qemu_util_fd_watch_delete:
 * @watch: a watch
 *
 * Stops watching and deletes the watch; see "Handles" at the top of this
 * header.  Close the descriptor only after this.  Idempotent.
 * Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_fd_watch_delete(QemuUtilFdWatch *watch);

/* ---------------------------------------------------------------------- */
/* EventNotifier                                                          */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilEventNotifier:
 *
 * A wake-up flag backed by an eventfd (QEMU's EventNotifier): set it from
 * any thread, and watch it from a context or poll its file descriptor.
 */
typedef struct _QemuUtilEventNotifier QemuUtilEventNotifier;

#define QEMU_UTIL_TYPE_EVENT_NOTIFIER (qemu_util_event_notifier_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_event_notifier_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_event_notifier_new:
 * @error: return location for a #GError
 *
 * Creates a cleared notifier (event_notifier_init()).  Thread-safe.
 *
 * Returns: (transfer full): the notifier, or %NULL with @error set
 *   (%QEMU_UTIL_ERROR_TOO_MANY_FILES)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilEventNotifier *qemu_util_event_notifier_new(GError **error);

/**
 * qemu_util_event_notifier_ref:
 * @notifier: a notifier
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @notifier
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilEventNotifier *
qemu_util_event_notifier_ref(QemuUtilEventNotifier *notifier);

/**
 * qemu_util_event_notifier_unref:
 * @notifier: (transfer full): a notifier
 *
 * Drops a reference; the last one closes the notifier as
 * qemu_util_event_notifier_close() does.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_event_notifier_unref(QemuUtilEventNotifier *notifier);

/**
 * qemu_util_event_notifier_set:
 * @notifier: a notifier
 * @error: return location for a #GError
 *
 * Signals the notifier.  Thread-safe.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_event_notifier_set(QemuUtilEventNotifier *notifier,
                                      GError **error);

/**
 * qemu_util_event_notifier_test_and_clear:
 * @notifier: a notifier
 *
 * Consumes the pending signal.  Thread-safe.
 *
 * Returns: whether the notifier was set
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean
qemu_util_event_notifier_test_and_clear(QemuUtilEventNotifier *notifier);

/**
 * qemu_util_event_notifier_get_fd:
 * @notifier: a notifier
 *
 * The descriptor that is readable while the notifier is set, for another
 * event loop to poll.  Owned by the notifier.  Thread-safe.
 *
 * Returns: the descriptor, or -1 if the notifier is closed
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gint qemu_util_event_notifier_get_fd(QemuUtilEventNotifier *notifier);

/**
 * qemu_util_event_notifier_watch:
 * @notifier: a notifier
 * @ctx: the context that watches it
 * @func: (scope notified) (closure user_data) (destroy notify): called in
 *   the home thread of @ctx while @notifier is set
 * @user_data: data for @func and @notify
 * @notify: (nullable): called once when the watch ends (unwatch, close,
 *   last unref), or before this returns an error
 * @error: return location for a #GError
 *
 * Watches the notifier from @ctx (aio_set_event_notifier()).
 * Level-triggered: @func must call
 * qemu_util_event_notifier_test_and_clear() or it is called again.  One
 * watch at a time; it keeps @ctx alive.  Thread-safe.
 *
 * Returns: %TRUE, or %FALSE with @error set (%QEMU_UTIL_ERROR_BUSY:
 *   already watched)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_event_notifier_watch(QemuUtilEventNotifier *notifier,
                                        QemuUtilAioContext *ctx,
                                        QemuUtilFunc func,
                                        gpointer user_data,
                                        GDestroyNotify notify,
                                        GError **error);

/**
 * qemu_util_event_notifier_unwatch:
 * @notifier: a notifier
 * @error: return location for a #GError
 *
 * Ends the watch; its destroy notify follows the rules of "Handles" at
 * the top of this header.  Thread-safe.
 *
 * Returns: %TRUE, or %FALSE with @error set (%QEMU_UTIL_ERROR_NOT_FOUND:
 *   not watched)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_event_notifier_unwatch(QemuUtilEventNotifier *notifier,
                                          GError **error);

/**
 * qemu_util_event_notifier_close:
 * @notifier: a notifier
 *
 * Ends the watch (if any) and closes the descriptors once the watch is
 * fully released.  Idempotent.  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_event_notifier_close(QemuUtilEventNotifier *notifier);

/* ---------------------------------------------------------------------- */
/* IOThread                                                               */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilIOThread:
 *
 * A thread that dispatches its own #QemuUtilAioContext until it is
 * joined (QEMU's IOThread).
 */
typedef struct _QemuUtilIOThread QemuUtilIOThread;

#define QEMU_UTIL_TYPE_IOTHREAD (qemu_util_iothread_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_iothread_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_iothread_new:
 * @error: return location for a #GError
 *
 * Starts a thread that dispatches its own context.  Thread-safe.
 *
 * Returns: (transfer full): the IOThread, or %NULL with @error set
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilIOThread *qemu_util_iothread_new(GError **error);

/**
 * qemu_util_iothread_ref:
 * @iothread: an IOThread
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @iothread
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilIOThread *qemu_util_iothread_ref(QemuUtilIOThread *iothread);

/**
 * qemu_util_iothread_unref:
 * @iothread: (transfer full): an IOThread
 *
 * Drops a reference; the last one joins the thread as
 * qemu_util_iothread_join() does, so it must not be dropped by the
 * IOThread itself.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_iothread_unref(QemuUtilIOThread *iothread);

/**
 * qemu_util_iothread_get_aio_context:
 * @iothread: an IOThread
 *
 * The context the thread dispatches.  Schedule work there from any
 * thread; polling it is refused (%QEMU_UTIL_ERROR_WRONG_THREAD).  A
 * reference taken on it keeps it alive after the join, but nobody
 * dispatches it any more.  Thread-safe.
 *
 * Returns: (transfer none): the context, valid while @iothread lives
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilAioContext *
qemu_util_iothread_get_aio_context(QemuUtilIOThread *iothread);

/**
 * qemu_util_iothread_join:
 * @iothread: an IOThread
 *
 * Runs what is already queued for the thread (invoked callbacks,
 * scheduled bottom halves, destroy notifies of deleted handles), then
 * stops and joins it.  Idempotent.  Not from the IOThread itself.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_iothread_join(QemuUtilIOThread *iothread);

/* ---------------------------------------------------------------------- */
/* Main loop                                                              */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilMainLoop:
 *
 * The process's main loop (QEMU's main_loop_wait()), a singleton whose
 * context is attached to the default #GMainContext.
 */
typedef struct _QemuUtilMainLoop QemuUtilMainLoop;

#define QEMU_UTIL_TYPE_MAIN_LOOP (qemu_util_main_loop_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_main_loop_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_main_loop_get:
 * @error: return location for a #GError
 *
 * The process's main loop, initialised at the first call
 * (qemu_init_main_loop()).  The first caller's thread becomes the main
 * thread: it holds the big lock from then on and is the only one that
 * may iterate the loop.  Later calls from any thread return the same
 * loop.  Thread-safe.
 *
 * Returns: (transfer full): the main loop, or %NULL with @error set
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilMainLoop *qemu_util_main_loop_get(GError **error);

/**
 * qemu_util_main_loop_ref:
 * @loop: the main loop
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @loop
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilMainLoop *qemu_util_main_loop_ref(QemuUtilMainLoop *loop);

/**
 * qemu_util_main_loop_unref:
 * @loop: (transfer full): the main loop
 *
 * Drops a reference.  The loop itself lives until the process exits.
 * Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_main_loop_unref(QemuUtilMainLoop *loop);

/**
 * qemu_util_main_loop_get_aio_context:
 * @loop: the main loop
 *
 * The main loop's context (qemu_get_aio_context()); schedule work on it
 * from any thread.  Thread-safe.
 *
 * Returns: (transfer none): the context, valid for the process's life
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilAioContext *qemu_util_main_loop_get_aio_context(QemuUtilMainLoop *loop);

/**
 * qemu_util_main_loop_iteration:
 * @loop: the main loop
 * @blocking: whether to wait until something happens
 * @error: return location for a #GError
 *
 * Runs one main loop iteration (main_loop_wait()), which also dispatches
 * the default #GMainContext.  Main thread only.
 *
 * Returns: %TRUE, or %FALSE with @error set
 *   (%QEMU_UTIL_ERROR_WRONG_THREAD)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_main_loop_iteration(QemuUtilMainLoop *loop,
                                       gboolean blocking, GError **error);

/**
 * qemu_util_main_loop_run_until:
 * @loop: the main loop
 * @predicate: (scope call) (closure user_data): checked before each
 *   iteration; iterating stops when it returns %TRUE
 * @user_data: data for @predicate
 * @error: return location for a #GError
 *
 * Iterates the main loop until @predicate holds.  Another thread that
 * makes it hold must call qemu_util_main_loop_notify() too.  Main thread
 * only.
 *
 * Returns: %TRUE, or %FALSE with @error set
 *   (%QEMU_UTIL_ERROR_WRONG_THREAD)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_main_loop_run_until(QemuUtilMainLoop *loop,
                                       QemuUtilPredicate predicate,
                                       gpointer user_data, GError **error);

/**
 * qemu_util_main_loop_notify:
 * @loop: the main loop
 *
 * Wakes the main loop (qemu_notify_event()).  Thread-safe.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_main_loop_notify(QemuUtilMainLoop *loop);

/* ---------------------------------------------------------------------- */
/* Poller                                                                 */
/* ---------------------------------------------------------------------- */

/**
 * QemuUtilPoller:
 *
 * Lets a foreign event loop (asyncio, libuv, ...) drive a context: watch
 * one file descriptor for readability and call qemu_util_poller_iterate()
 * when it is readable or when the timeout of the previous call expires.
 */
typedef struct _QemuUtilPoller QemuUtilPoller;

#define QEMU_UTIL_TYPE_POLLER (qemu_util_poller_get_type())
QEMU_UTIL_AVAILABLE_IN_1_0
GType qemu_util_poller_get_type(void) G_GNUC_CONST;

/**
 * qemu_util_poller_new:
 * @ctx: the context to drive
 * @error: return location for a #GError
 *
 * Creates a poller; the thread that iterates it becomes the home thread
 * of @ctx.  A poller attaches @ctx to a private #GMainContext, so it
 * excludes qemu_util_aio_context_attach().
 *
 * Returns: (transfer full): the poller, or %NULL with @error set
 *   (%QEMU_UTIL_ERROR_BUSY: @ctx is attached elsewhere or has a poller)
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilPoller *qemu_util_poller_new(QemuUtilAioContext *ctx,
                                     GError **error);

/**
 * qemu_util_poller_ref:
 * @poller: a poller
 *
 * Takes a reference.  Thread-safe.
 *
 * Returns: (transfer full): @poller
 */
QEMU_UTIL_AVAILABLE_IN_1_0
QemuUtilPoller *qemu_util_poller_ref(QemuUtilPoller *poller);

/**
 * qemu_util_poller_unref:
 * @poller: (transfer full): a poller
 *
 * Drops a reference; the last one closes the poller as
 * qemu_util_poller_close() does.  Home thread only when it is the last.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_poller_unref(QemuUtilPoller *poller);

/**
 * qemu_util_poller_get_fd:
 * @poller: a poller
 *
 * The descriptor to watch for readability (owned by the poller).
 * Thread-safe.
 *
 * Returns: the descriptor, or -1 if the poller is closed
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gint qemu_util_poller_get_fd(QemuUtilPoller *poller);

/**
 * qemu_util_poller_iterate:
 * @poller: a poller
 * @timeout_ns: (out): when to call again at the latest: -1 for "only when
 *   the descriptor is readable", 0 for "right away", else nanoseconds
 *   from now
 *
 * Dispatches what is ready (if a previous call prepared an iteration),
 * then prepares the next one.  Never blocks.  Home thread only.
 *
 * Returns: whether callbacks ran
 */
QEMU_UTIL_AVAILABLE_IN_1_0
gboolean qemu_util_poller_iterate(QemuUtilPoller *poller,
                                  gint64 *timeout_ns);

/**
 * qemu_util_poller_close:
 * @poller: a poller
 *
 * Stops driving the context, which can then be polled normally.
 * Idempotent.  Home thread only.
 */
QEMU_UTIL_AVAILABLE_IN_1_0
void qemu_util_poller_close(QemuUtilPoller *poller);

G_END_DECLS

#endif /* QEMU_UTIL_GOBJECT_H */
