/*
 * qemuutil.i: SWIG interface of qemuutil._native, the thin CPython layer
 * over libqemuutil-ffi.so (bindings/ffi/qemuutil-ffi.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The module is flat: one Python function per shim function, handles as
 * opaque SWIG pointers, error codes returned as ints.  Everything Pythonic
 * (classes, exceptions, lifetimes) lives in bindings/python/qemuutil/.
 *
 * Threads and the GIL
 *  - Built with -threads: every call releases the GIL while the shim runs,
 *    so a blocking poll lets other Python threads work (and schedule work
 *    for it).  Calls that never block and never run Python code keep the
 *    GIL (%nothreadallow below): that halves their cost.
 *  - The shim calls Python back through C trampolines that take the GIL
 *    themselves (PyGILState_Ensure), from whichever thread dispatches: the
 *    polling thread, an IOThread, or the thread that frees a handle (for
 *    destroy notifies).  No shim lock is held while they run.
 *  - An exception raised by a Python callback is handed to the error sink
 *    (set_error_sink()); the package re-raises it from the poll() that ran
 *    the callback, or reports it.  It is never printed and dropped here
 *    unless the sink itself fails.
 */
%module(threads="1") _native

%{
#include <Python.h>
#include <errno.h>
#include <unistd.h>
#include "qemuutil-ffi.h"

/* The package's callback-exception handler; a strong reference, or NULL. */
static PyObject *qu_error_sink;

/*
 * Where exceptions of callbacks run by this thread's current dispatch go:
 * the list passed to poll()/run_until()/iterate() (borrowed for the call),
 * or NULL outside such a call (they go to the sink).  Only read and
 * written with the GIL held.
 */
static __thread PyObject *qu_collect;

/*
 * Hand the current exception to the sink.  GIL held, exception set.
 * Python 3.11 API (PyErr_Fetch): /usr/bin/python3 on Debian 12.
 */
static void qu_report_exception(void)
{
    PyObject *type, *value, *tb, *r;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value) {
        PyException_SetTraceback(value, tb);
    }
    if (qu_collect && value) {
        if (PyList_Append(qu_collect, value) < 0) {
            PyErr_WriteUnraisable(qu_collect);
        }
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return;
    }
    if (!qu_error_sink || !value) {
        PyErr_Restore(type, value, tb);
        PyErr_WriteUnraisable(NULL);
        return;
    }
    r = PyObject_CallOneArg(qu_error_sink, value);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (r) {
        Py_DECREF(r);
    } else {
        PyErr_WriteUnraisable(qu_error_sink);
    }
}

/*
 * A call into Python after the interpreter started finalizing would
 * block forever in PyGILState_Ensure() (non-main threads) or crash:
 * drop it.  The package joins IOThreads at exit, so this only guards
 * stragglers.
 */
static int qu_python_alive(void)
{
    return Py_IsInitialized() && !_Py_IsFinalizing();
}

/* QemuUtilFfiFunc: user_data is a callable taking no arguments. */
static void qu_func_trampoline(void *user_data)
{
    PyGILState_STATE st;
    PyObject *r;

    if (!qu_python_alive()) {
        return;
    }
    st = PyGILState_Ensure();
    r = PyObject_CallNoArgs((PyObject *)user_data);
    if (r) {
        Py_DECREF(r);
    } else {
        qu_report_exception();
    }
    PyGILState_Release(st);
}

/* QemuUtilFfiFdFunc: user_data is a callable taking (fd, events). */
static void qu_fd_trampoline(int fd, int events, void *user_data)
{
    PyGILState_STATE st;
    PyObject *r;

    if (!qu_python_alive()) {
        return;
    }
    st = PyGILState_Ensure();
    r = PyObject_CallFunction((PyObject *)user_data, "ii", fd, events);
    if (r) {
        Py_DECREF(r);
    } else {
        qu_report_exception();
    }
    PyGILState_Release(st);
}

/*
 * QemuUtilFfiPredicate (scope call): a callable returning a truth value.
 * An exception stops the loop (returns 1) so that it surfaces at once.
 */
static int qu_predicate_trampoline(void *user_data)
{
    PyGILState_STATE st;
    PyObject *r;
    int done;

    if (!qu_python_alive()) {
        return 1;
    }
    st = PyGILState_Ensure();
    r = PyObject_CallNoArgs((PyObject *)user_data);
    if (r) {
        done = PyObject_IsTrue(r);
        Py_DECREF(r);
        if (done < 0) {
            qu_report_exception();
            done = 1;
        }
    } else {
        qu_report_exception();
        done = 1;
    }
    PyGILState_Release(st);
    return done;
}

/* QemuUtilFfiDestroyNotify: drops the reference the typemap took. */
static void qu_destroy(void *user_data)
{
    PyGILState_STATE st;

    if (!qu_python_alive()) {
        return;                 /* the process is exiting: leak it */
    }
    st = PyGILState_Ensure();
    Py_DECREF((PyObject *)user_data);
    PyGILState_Release(st);
}
%}

%include <stdint.i>

/* ---------------------------------------------------------------------- */
/* Typemaps                                                               */
/* ---------------------------------------------------------------------- */

/*
 * Persistent or one-shot callback triple <- one Python callable.
 * Ownership: the typemap takes a new reference to the callable and gives
 * it to the shim as user_data; the shim releases it exactly once through
 * qu_destroy.  If the call fails (negative result) the shim does not call
 * destroy, so argout drops the reference itself.
 */
%typemap(in) (QemuUtilFfiFunc cb, void *user_data,
              QemuUtilFfiDestroyNotify destroy) {
    if (!PyCallable_Check($input)) {
        SWIG_exception_fail(SWIG_TypeError, "a callable is required");
    }
    Py_INCREF($input);
    $1 = qu_func_trampoline;
    $2 = $input;
    $3 = qu_destroy;
}
%typemap(argout) (QemuUtilFfiFunc cb, void *user_data,
                  QemuUtilFfiDestroyNotify destroy) {
    if (result < 0) {
        Py_DECREF($input);
    }
}

/* Same for fd watches; the callable receives (fd, events). */
%typemap(in) (QemuUtilFfiFdFunc cb, void *user_data,
              QemuUtilFfiDestroyNotify destroy) {
    if (!PyCallable_Check($input)) {
        SWIG_exception_fail(SWIG_TypeError, "a callable is required");
    }
    Py_INCREF($input);
    $1 = qu_fd_trampoline;
    $2 = $input;
    $3 = qu_destroy;
}
%typemap(argout) (QemuUtilFfiFdFunc cb, void *user_data,
                  QemuUtilFfiDestroyNotify destroy) {
    if (result < 0) {
        Py_DECREF($input);
    }
}

/*
 * Scope-call predicate: the callable is borrowed for the duration of the
 * call (the caller's argument tuple keeps it alive); no reference taken.
 */
%typemap(in) (QemuUtilFfiPredicate done, void *user_data) {
    if (!PyCallable_Check($input)) {
        SWIG_exception_fail(SWIG_TypeError, "a callable is required");
    }
    $1 = qu_predicate_trampoline;
    $2 = $input;
}

/*
 * Constructor out-parameters: the new handle is appended to the result,
 * so Python sees (rc, handle).  Ownership: transfer full to the caller,
 * but the SWIG pointer object does NOT own it (flag 0): the package frees
 * it explicitly with the matching _free/_unref, because Python's garbage
 * collection gives no lifetime guarantee.  handle is None on failure.
 */
%define QU_OUT_HANDLE(TYPE)
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp = NULL) {
    $1 = &tmp;
}
%typemap(argout) TYPE **out {
    $result = SWIG_Python_AppendOutput($result,
        tmp$argnum ? SWIG_NewPointerObj(tmp$argnum, $*1_descriptor, 0)
                   : (Py_INCREF(Py_None), Py_None));
}
%enddef

QU_OUT_HANDLE(QemuUtilFfiAioContext)
QU_OUT_HANDLE(QemuUtilFfiBH)
QU_OUT_HANDLE(QemuUtilFfiTimer)
QU_OUT_HANDLE(QemuUtilFfiFdWatch)
QU_OUT_HANDLE(QemuUtilFfiEventNotifier)
QU_OUT_HANDLE(QemuUtilFfiIOThread)
QU_OUT_HANDLE(QemuUtilFfiMainLoop)
QU_OUT_HANDLE(QemuUtilFfiPoller)

/* poller_iterate's timeout: an int appended to the result (a copy). */
%typemap(in, numinputs=0) int64_t *timeout_ns (int64_t tmp = -1) {
    $1 = &tmp;
}
%typemap(argout) int64_t *timeout_ns {
    $result = SWIG_Python_AppendOutput($result,
                                       PyLong_FromLongLong(tmp$argnum));
}

/*
 * Byte buffers for the fd helpers below.  Ownership: borrowed from the
 * caller for the duration of the call.  The Py_buffer stays acquired
 * until freearg runs after the C call (SWIG 4.1's own pybuffer.i releases
 * it before the call, which with -threads lets another thread resize a
 * bytearray under us).
 */
%typemap(in) (const void *buf, size_t len) (Py_buffer view) {
    if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) < 0) {
        SWIG_fail;
    }
    $1 = view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (const void *buf, size_t len) {
    if (view$argnum.obj) {
        PyBuffer_Release(&view$argnum);
    }
}
%typemap(in) (void *wbuf, size_t len) (Py_buffer view) {
    if (PyObject_GetBuffer($input, &view, PyBUF_WRITABLE) < 0) {
        SWIG_fail;
    }
    $1 = view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (void *wbuf, size_t len) {
    if (view$argnum.obj) {
        PyBuffer_Release(&view$argnum);
    }
}

/* Static strings from the shim: copied into a new str; nothing to free. */
/* (SWIG's default const char * out typemap already does exactly that.) */

/* ---------------------------------------------------------------------- */
/* GIL policy                                                             */
/* ---------------------------------------------------------------------- */

/*
 * Never block, never call back into Python: keep the GIL.  Everything
 * else (poll, iterate, wait, run_until, _free/_unref, constructors)
 * releases it.
 */
%nothreadallow qemuutil_ffi_version;
%nothreadallow qemuutil_ffi_version_string;
%nothreadallow qemuutil_ffi_abi_version;
%nothreadallow qemuutil_ffi_error_name;
%nothreadallow qemuutil_ffi_strerror;
%nothreadallow qemuutil_ffi_live_handles;
%nothreadallow qemuutil_ffi_clock_get_ns;
%nothreadallow qemuutil_ffi_aio_context_notify;
%nothreadallow qemuutil_ffi_aio_context_invoke;
%nothreadallow qemuutil_ffi_bh_schedule;
%nothreadallow qemuutil_ffi_bh_cancel;
%nothreadallow qemuutil_ffi_timer_mod_ns;
%nothreadallow qemuutil_ffi_timer_del;
%nothreadallow qemuutil_ffi_timer_pending;
%nothreadallow qemuutil_ffi_timer_expire_ns;
%nothreadallow qemuutil_ffi_event_notifier_set;
%nothreadallow qemuutil_ffi_event_notifier_test_and_clear;
%nothreadallow qemuutil_ffi_event_notifier_get_fd;
%nothreadallow qemuutil_ffi_poller_get_fd;
%nothreadallow qemuutil_ffi_main_loop_notify;
%nothreadallow qemuutil_ffi_iothread_get_aio_context;
%nothreadallow qemuutil_ffi_main_loop_get_aio_context;
%nothreadallow set_error_sink;
%nothreadallow poll;
%nothreadallow run_until;
%nothreadallow main_loop_wait;
%nothreadallow main_loop_run_until;
%nothreadallow poller_iterate;
%nothreadallow wake_forward_fd;

/* GLib-only door: the GObject library exposes it, Python does not. */
%ignore qemuutil_ffi_aio_context_get_g_source;
%ignore QEMUUTIL_FFI_API;
#define QEMUUTIL_FFI_API

%include "qemuutil-ffi.h"

/* ---------------------------------------------------------------------- */
/* Module-only helpers                                                    */
/* ---------------------------------------------------------------------- */

%inline %{
/*
 * set_error_sink(callable or None): who receives exceptions raised by
 * Python callbacks.  Takes a reference, drops the previous one.
 */
static PyObject *set_error_sink(PyObject *sink)
{
    PyObject *old = qu_error_sink;

    if (sink == Py_None) {
        qu_error_sink = NULL;
    } else {
        Py_INCREF(sink);
        qu_error_sink = sink;
    }
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

/*
 * fd_write(fd, bytes-like) / fd_read_into(fd, writable buffer): one
 * write(2)/read(2) with the GIL released and the buffer held; return the
 * byte count or -errno (EINTR retried).  Used by the echo example.
 */
static long fd_write(int fd, const void *buf, size_t len)
{
    ssize_t n;

    do {
        n = write(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (long)n;
}

static long fd_read_into(int fd, void *wbuf, size_t len)
{
    ssize_t n;

    do {
        n = read(fd, wbuf, len);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (long)n;
}
%}

/* ---------------------------------------------------------------------- */
/* Dispatch helpers: GIL, exceptions and Ctrl+C handled in C              */
/* ---------------------------------------------------------------------- */

%typemap(in) PyObject *errors {
    if (!PyList_Check($input)) {
        SWIG_exception_fail(SWIG_TypeError, "errors must be a list");
    }
    $1 = $input;
}

%inline %{
/* The wake-up fd that a blocking call replaced (for forwarding), or -1. */
static int qu_wake_prev = -1;

static int wake_forward_fd(void)
{
    return qu_wake_prev;
}

/*
 * One blocking shim call with the GIL released.  With @wake_fd >= 0 (main
 * thread only), signal.set_wakeup_fd() points at it for the duration (a
 * socket the polled context watches), so Ctrl+C wakes the call; see
 * _core.py.
 */
typedef int (*QuBlockingFn)(void *a, int b);

/* signal.set_wakeup_fd(fd, warn_on_full_buffer=False) -> previous fd */
static int qu_set_wakeup_fd(int fd)
{
    static PyObject *setter, *kwargs;
    PyObject *args, *r;
    long prev;

    if (!setter) {
        PyObject *mod = PyImport_ImportModule("signal");

        if (!mod) {
            return -2;
        }
        setter = PyObject_GetAttrString(mod, "set_wakeup_fd");
        Py_DECREF(mod);
        kwargs = Py_BuildValue("{s:O}", "warn_on_full_buffer", Py_False);
        if (!setter || !kwargs) {
            return -2;
        }
    }
    args = Py_BuildValue("(i)", fd);
    r = args ? PyObject_Call(setter, args, kwargs) : NULL;
    Py_XDECREF(args);
    if (!r) {
        return -2;
    }
    prev = PyLong_AsLong(r);
    Py_DECREF(r);
    return (int)prev;
}

static int qu_blocking_call(QuBlockingFn fn, void *a, int b, int wake_fd)
{
    int ret, prev = -1;

    /*
     * Python's wake-up fd may only be set from the main thread: the
     * caller passes a wake_fd only there (where signal handlers run).
     */
    if (wake_fd >= 0) {
        prev = qu_set_wakeup_fd(wake_fd);
        if (prev == -2) {
            PyErr_WriteUnraisable(NULL);    /* Ctrl+C will be late */
            wake_fd = -1;
        } else {
            qu_wake_prev = prev;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    ret = fn(a, b);
    Py_END_ALLOW_THREADS
    if (wake_fd >= 0) {
        qu_set_wakeup_fd(prev);
        qu_wake_prev = -1;
    }
    return ret;
}

static int qu_poll_fn(void *ctx, int blocking)
{
    return qemuutil_ffi_aio_context_poll(ctx, blocking);
}

/*
 * poll(ctx, blocking, errors, wake_fd) -> rc
 * Non-blocking first, with the GIL held (callbacks then take it cheaply);
 * only if nothing ran and @blocking, a blocking poll without the GIL.
 * Callback exceptions are appended to @errors.
 */
static int poll(QemuUtilFfiAioContext *ctx, int blocking, PyObject *errors,
                int wake_fd)
{
    PyObject *saved = qu_collect;
    int rc;

    qu_collect = errors;
    rc = qemuutil_ffi_aio_context_poll(ctx, 0);
    if (rc == 0 && blocking) {
        rc = qu_blocking_call(qu_poll_fn, ctx, 1, wake_fd);
    }
    qu_collect = saved;
    return rc;
}

/*
 * run_until(ctx, predicate, errors, wake_fd) -> rc
 * The loop of AioContext.run_until() in C: stops when predicate() is true
 * (checked before each iteration), when a callback raised, or on a
 * pending signal whose handler raised (returns NULL: the exception
 * propagates).
 */
static PyObject *run_until(QemuUtilFfiAioContext *ctx, PyObject *predicate,
                           PyObject *errors, int wake_fd)
{
    PyObject *saved = qu_collect;
    PyObject *r;
    int rc = 0, done;

    qu_collect = errors;
    for (;;) {
        r = PyObject_CallNoArgs(predicate);
        if (!r) {
            break;
        }
        done = PyObject_IsTrue(r);
        Py_DECREF(r);
        if (done != 0 || PyList_GET_SIZE(errors) > 0) {
            if (done < 0) {
                r = NULL;
            }
            break;
        }
        rc = qemuutil_ffi_aio_context_poll(ctx, 0);
        if (rc == 0) {
            rc = qu_blocking_call(qu_poll_fn, ctx, 1, wake_fd);
        }
        if (rc < 0 || PyErr_CheckSignals() < 0) {
            r = rc < 0 ? Py_None : NULL;
            break;
        }
    }
    qu_collect = saved;
    if (!r) {
        return NULL;
    }
    return PyLong_FromLong(rc < 0 ? rc : 0);
}

static int qu_main_wait_fn(void *loop, int nonblocking)
{
    return qemuutil_ffi_main_loop_wait(loop, nonblocking);
}

/* main_loop_wait(loop, nonblocking, errors, wake_fd) -> rc */
static int main_loop_wait(QemuUtilFfiMainLoop *loop, int nonblocking,
                          PyObject *errors, int wake_fd)
{
    PyObject *saved = qu_collect;
    int rc;

    qu_collect = errors;
    if (nonblocking) {
        rc = qemuutil_ffi_main_loop_wait(loop, 1);
    } else {
        rc = qu_blocking_call(qu_main_wait_fn, loop, 0, wake_fd);
    }
    qu_collect = saved;
    return rc;
}

typedef struct {
    QemuUtilFfiMainLoop *loop;
    PyObject *predicate;
} QuRunUntil;

static int qu_main_run_fn(void *opaque, int unused)
{
    QuRunUntil *ru = opaque;

    return qemuutil_ffi_main_loop_run_until(ru->loop,
                                            qu_predicate_trampoline,
                                            ru->predicate);
}

/* main_loop_run_until(loop, predicate, errors, wake_fd) -> rc */
static int main_loop_run_until(QemuUtilFfiMainLoop *loop,
                               PyObject *predicate, PyObject *errors,
                               int wake_fd)
{
    PyObject *saved = qu_collect;
    QuRunUntil ru = { loop, predicate };
    int rc;

    qu_collect = errors;
    rc = qu_blocking_call(qu_main_run_fn, &ru, 0, wake_fd);
    qu_collect = saved;
    return rc;
}

/* poller_iterate(poller, errors) -> timeout_ns (never blocks: GIL kept) */
static long long poller_iterate(QemuUtilFfiPoller *p, PyObject *errors)
{
    PyObject *saved = qu_collect;
    int64_t timeout = -1;

    qu_collect = errors;
    qemuutil_ffi_poller_iterate(p, &timeout);
    qu_collect = saved;
    return timeout;
}
%}
