# qemuutil._core: the Pythonic classes over the SWIG module qemuutil._native.
# SPDX-License-Identifier: GPL-2.0-or-later
"""AioContext, BH, timers, fd readers/writers, EventNotifier, IOThread and
the main loop, for Python.

Lifetimes are explicit: every object has ``close()`` (or ``delete()``) and
is a context manager; garbage collection also releases it, but at a time
nobody controls.  Closing an :class:`AioContext` deletes every BH, timer
and fd watch created through it.

Callbacks run in the thread that polls their context (an
:class:`IOThread`'s callbacks run in that thread).  An exception raised by
a callback is re-raised by the :meth:`AioContext.poll` (or main loop call)
that ran it; if no Python poll ran it (an IOThread, asyncio), it goes to
the handler set with :func:`set_exception_handler`.
"""

import atexit
import functools
import os
import signal
import socket
import sys
import threading
import traceback
import weakref

from . import _native as _n
from ._errors import check

CLOCK_REALTIME = _n.QEMUUTIL_FFI_CLOCK_REALTIME
CLOCK_VIRTUAL = _n.QEMUUTIL_FFI_CLOCK_VIRTUAL
CLOCK_HOST = _n.QEMUUTIL_FFI_CLOCK_HOST
CLOCK_VIRTUAL_RT = _n.QEMUUTIL_FFI_CLOCK_VIRTUAL_RT
READ = _n.QEMUUTIL_FFI_FD_READ
WRITE = _n.QEMUUTIL_FFI_FD_WRITE

# Hot-path natives, looked up once.
_bh_schedule = _n.qemuutil_ffi_bh_schedule
_poll = _n.poll                 # (ctx, blocking, errors, wake_fd)
_run_until = _n.run_until       # (ctx, predicate, errors, wake_fd)
_invoke = _n.qemuutil_ffi_aio_context_invoke
_clock_ns = _n.qemuutil_ffi_clock_get_ns
_timer_mod_ns = _n.qemuutil_ffi_timer_mod_ns


# ---------------------------------------------------------------------------
# Exceptions raised by callbacks
# ---------------------------------------------------------------------------

_tls = threading.local()
_exception_handler = None


def _default_exception_handler(exc):
    print("qemuutil: exception in a callback not run by a Python poll():",
          file=sys.stderr)
    traceback.print_exception(type(exc), exc, exc.__traceback__,
                              file=sys.stderr)


def set_exception_handler(handler):
    """Set ``handler(exc)`` for callback exceptions that no Python
    ``poll()`` can re-raise (IOThread callbacks, destroy-time errors, extra
    exceptions of one poll).  ``None`` restores the default, which prints
    the traceback to stderr.  Returns the previous handler."""
    global _exception_handler
    old = _exception_handler
    _exception_handler = handler
    return old


def report_exception(exc):
    """Send *exc* to the current exception handler."""
    handler = _exception_handler or _default_exception_handler
    try:
        handler(exc)
    except BaseException:       # a broken handler must not kill the loop
        traceback.print_exc()


def _error_sink(exc):
    # The C trampoline's fallback: a callback raised outside any Python
    # poll()/run_until()/iterate() (an IOThread, a destroy-time error).
    report_exception(exc)


_n.set_error_sink(_error_sink)


def _raise_collected(errors):
    """Re-raise the first exception of a dispatch; report the others."""
    first = errors[0]
    for extra in errors[1:]:
        report_exception(extra)
    raise first


# ---------------------------------------------------------------------------
# Ctrl+C during a blocking poll
# ---------------------------------------------------------------------------
#
# The GIL is released while C blocks, and CPython runs Python signal
# handlers only between bytecodes, so without help SIGINT would wait for
# the next event.  During a blocking call in the main thread the native
# helpers point the signal wake-up fd (signal.set_wakeup_fd) at a socket
# watched by the polled context: the C signal handler writes the signal
# number, the context wakes, the drain callback runs Python code (so the
# pending KeyboardInterrupt is raised there, collected, and re-raised by
# poll()).  Bytes are forwarded to the wake-up fd that was installed
# before (asyncio's), so its signal handlers still see them.

_main_ident = threading.main_thread().ident
_get_ident = threading.get_ident


class _SignalWake:
    def __init__(self, ctx):
        self.rsock, self.wsock = socket.socketpair()
        self.rsock.setblocking(False)
        self.wsock.setblocking(False)
        self.wfd = self.wsock.fileno()
        rc, self.watch = _n.qemuutil_ffi_fd_watch_new(
            ctx._h, self.rsock.fileno(), READ, self._drain)
        check(rc, "signal wake-up watch")

    def _drain(self, fd, events):
        try:
            data = self.rsock.recv(512)
        except (BlockingIOError, InterruptedError):
            return
        forward = _n.wake_forward_fd()
        if data and forward >= 0:
            try:
                os.write(forward, data)
            except OSError:
                pass

    def close(self):
        if self.watch is not None:
            _n.qemuutil_ffi_fd_watch_free(self.watch)
            self.watch = None
        self.rsock.close()
        self.wsock.close()


def _fileno(fd):
    return fd if isinstance(fd, int) else fd.fileno()


def _bind(callback, args):
    if not callable(callback):
        raise TypeError("callback must be callable")
    return functools.partial(callback, *args) if args else callback


# ---------------------------------------------------------------------------
# AioContext
# ---------------------------------------------------------------------------

class AioContext:
    """An event loop context: BHs, fd readers/writers and timers.

    Poll it from one thread at a time (its home thread), with
    :meth:`poll`, or let :mod:`qemuutil.aio` drive it from asyncio.
    Scheduling (:meth:`call_soon_threadsafe`, :meth:`BH.schedule`,
    :meth:`notify`) works from any thread.
    """

    def __init__(self, _handle=None, _owner=None):
        if _handle is None:
            rc, _handle = _n.qemuutil_ffi_aio_context_new()
            check(rc, "AioContext")
        else:
            # Borrowed from an IOThread or the main loop: take our own ref.
            _n.qemuutil_ffi_aio_context_ref(_handle)
        self._h = _handle
        self._owner = _owner
        self._children = set()
        self._fds = {}
        self._wake = None
        self._driver = None

    # -- lifetime ---------------------------------------------------------

    def close(self):
        """Delete every BH, timer and watch made through this context and
        drop the context.  Idempotent."""
        h = self._h
        if h is None:
            return
        if self._driver is not None:
            self._driver.close()
        for child in list(self._children):
            child.close()
        for st in list(self._fds.values()):
            st.close()
        self._fds.clear()
        if self._wake is not None:
            self._wake.close()
            self._wake = None
        self._h = None
        _n.qemuutil_ffi_aio_context_unref(h)

    @property
    def closed(self):
        return self._h is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_h", None) is not None and _n is not None:
            try:
                self.close()
            except Exception:
                pass

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError("the AioContext is closed")
        return h

    # -- running ----------------------------------------------------------

    def poll(self, blocking=True):
        """Run one iteration; with *blocking*, wait until a callback ran.

        Returns True if a callback ran.  Re-raises the first exception a
        callback raised (the others go to the exception handler).  In the
        main thread a blocking poll is interrupted by Ctrl+C
        (KeyboardInterrupt).  May return True spuriously after a signal.
        """
        h = self._h
        if h is None:
            raise ValueError("the AioContext is closed")
        errors = []
        rc = _poll(h, blocking, errors,
                   self._wake_fd() if blocking and
                   _get_ident() == _main_ident else -1)
        if errors:
            _raise_collected(errors)
        if rc < 0:
            check(rc, "poll")
        return rc > 0

    def _wake_fd(self):
        wake = self._wake
        if wake is None:
            wake = self._wake = _SignalWake(self)
        return wake.wfd

    def run_until(self, predicate, timeout=None):
        """Poll until ``predicate()`` is true (checked before each
        iteration).  With *timeout* (seconds), give up after that long and
        return False; else return True."""
        h = self._handle()
        wake = self._wake_fd() if _get_ident() == _main_ident else -1
        errors = []
        if timeout is None:
            rc = _run_until(h, predicate, errors, wake)
        else:
            expired = []

            def done():
                return expired or predicate()

            with Timer(self, expired.append, True) as t:
                t.mod(self.time() + timeout)
                rc = _run_until(h, done, errors, wake)
            if expired and not errors and not predicate():
                return False
        if errors:
            _raise_collected(errors)
        check(rc, "run_until")
        return True

    def notify(self):
        """Wake a blocking poll of this context.  Thread-safe."""
        _n.qemuutil_ffi_aio_context_notify(self._handle())

    def timeout(self):
        """Seconds until the next timer of this context, 0 if work is
        ready, None if none is armed.  Home thread only."""
        ns = _n.qemuutil_ffi_aio_context_timeout_ns(self._handle())
        return None if ns < 0 else ns / 1e9

    @staticmethod
    def time(clock=CLOCK_REALTIME):
        """The current time of *clock* in seconds.  CLOCK_REALTIME uses the
        same clock as time.monotonic()."""
        return _clock_ns(clock) / 1e9

    # -- scheduling -------------------------------------------------------

    def bh(self, callback, *args):
        """A new :class:`BH` that calls ``callback(*args)``."""
        return BH(self, callback, *args)

    def call_soon_threadsafe(self, callback, *args):
        """Run ``callback(*args)`` once in the home thread, soon.  Safe from
        any thread (a one-shot BH)."""
        h = self._h
        if h is None:
            raise ValueError("the AioContext is closed")
        _invoke(h, functools.partial(callback, *args) if args else callback)

    call_soon = call_soon_threadsafe

    def call_later(self, delay, callback, *args):
        """Call ``callback(*args)`` once, *delay* seconds from now.
        Returns a :class:`TimerHandle` whose ``cancel()`` stops it."""
        return TimerHandle(self, _clock_ns(CLOCK_REALTIME) + int(delay * 1e9),
                           callback, args)

    def call_at(self, when, callback, *args):
        """Like :meth:`call_later`, at ``when`` in :meth:`time` seconds."""
        return TimerHandle(self, int(when * 1e9), callback, args)

    def timer(self, callback, *args, clock=CLOCK_REALTIME):
        """A re-armable :class:`Timer` on *clock*."""
        return Timer(self, callback, *args, clock=clock)

    def event_notifier(self):
        """A new :class:`EventNotifier` (not watched)."""
        return EventNotifier()

    # -- fds --------------------------------------------------------------

    def _fd_state(self, fd):
        st = self._fds.get(fd)
        if st is None:
            st = _FdState(self, fd)
            self._fds[fd] = st
        return st

    def add_reader(self, fd, callback, *args):
        """Call ``callback(*args)`` whenever *fd* (int or object with
        ``fileno()``) is readable.  Replaces an earlier reader of *fd*."""
        fd = _fileno(fd)
        self._handle()
        self._fd_state(fd).set(READ, _bind(callback, args))

    def add_writer(self, fd, callback, *args):
        """Call ``callback(*args)`` whenever *fd* is writable."""
        fd = _fileno(fd)
        self._handle()
        self._fd_state(fd).set(WRITE, _bind(callback, args))

    def remove_reader(self, fd):
        """Stop watching *fd* for reading; False if it was not."""
        st = self._fds.get(_fileno(fd))
        return st.set(READ, None) if st else False

    def remove_writer(self, fd):
        """Stop watching *fd* for writing; False if it was not."""
        st = self._fds.get(_fileno(fd))
        return st.set(WRITE, None) if st else False

    # -- asyncio ----------------------------------------------------------

    def attach_to_asyncio(self, loop=None):
        """Let an asyncio event loop drive this context (see
        :class:`qemuutil.aio.AsyncioDriver`).  Returns the driver."""
        from .aio import AsyncioDriver
        return AsyncioDriver(self, loop)


class _FdState:
    """The one shim fd watch of (context, fd), shared by reader and
    writer."""

    def __init__(self, ctx, fd):
        self.ctx = ctx
        self.fd = fd
        self.reader = None
        self.writer = None
        self.watch = None

    def _dispatch(self, fd, events):
        cb = self.reader if events == READ else self.writer
        if cb is not None:
            cb()

    def set(self, direction, callback):
        had = self.reader if direction == READ else self.writer
        if direction == READ:
            self.reader = callback
        else:
            self.writer = callback
        events = (READ if self.reader else 0) | (WRITE if self.writer else 0)
        if events == 0:
            self.close()
            self.ctx._fds.pop(self.fd, None)
        elif self.watch is None:
            rc, self.watch = _n.qemuutil_ffi_fd_watch_new(
                self.ctx._h, self.fd, events, self._dispatch)
            if rc < 0:
                self.reader = self.writer = None
                self.ctx._fds.pop(self.fd, None)
                check(rc, "fd %d" % self.fd)
        else:
            check(_n.qemuutil_ffi_fd_watch_set_events(self.watch, events))
        return had is not None

    def close(self):
        if self.watch is not None:
            w, self.watch = self.watch, None
            _n.qemuutil_ffi_fd_watch_free(w)
        self.reader = self.writer = None


# ---------------------------------------------------------------------------
# Children of a context
# ---------------------------------------------------------------------------

class _Child:
    """Common lifetime of BH and timers: tracked by their context."""

    __slots__ = ("_h", "_ctx", "__weakref__")

    def _attach(self, ctx, h):
        self._h = h
        self._ctx = ctx
        ctx._children.add(self)

    def close(self):
        h = self._h
        if h is not None:
            self._h = None
            self._ctx._children.discard(self)
            self._free(h)

    delete = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_h", None) is not None and _n is not None:
            try:
                self.close()
            except Exception:
                pass

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError("%s was deleted" % type(self).__name__)
        return h


class BH(_Child):
    """A bottom half: ``schedule()`` makes the callback run once in the
    context's next iteration; schedules before it runs coalesce."""

    __slots__ = ()

    def __init__(self, ctx, callback, *args):
        rc, h = _n.qemuutil_ffi_bh_new(ctx._handle(), _bind(callback, args))
        check(rc, "BH")
        self._attach(ctx, h)

    def schedule(self):
        """Thread-safe."""
        h = self._h
        if h is None:
            raise ValueError("BH was deleted")
        _bh_schedule(h)

    def cancel(self):
        """Undo a pending schedule.  Thread-safe."""
        _n.qemuutil_ffi_bh_cancel(self._handle())

    @staticmethod
    def _free(h):
        _n.qemuutil_ffi_bh_free(h)


class Timer(_Child):
    """A re-armable timer; times are nanoseconds (``mod_ns``) or seconds
    (``mod``) of its clock."""

    __slots__ = ()

    def __init__(self, ctx, callback, *args, clock=CLOCK_REALTIME):
        rc, h = _n.qemuutil_ffi_timer_new(ctx._handle(), clock,
                                          _bind(callback, args))
        check(rc, "Timer")
        self._attach(ctx, h)

    def mod_ns(self, expire_ns):
        """Fire once when the clock reaches *expire_ns*.  Thread-safe."""
        _timer_mod_ns(self._handle(), int(expire_ns))

    def mod(self, when):
        """Fire once at *when* (seconds, as AioContext.time())."""
        self.mod_ns(int(when * 1e9))

    def cancel(self):
        """Disarm.  Thread-safe."""
        _n.qemuutil_ffi_timer_del(self._handle())

    @property
    def pending(self):
        return bool(_n.qemuutil_ffi_timer_pending(self._handle()))

    @property
    def expire_ns(self):
        """The armed deadline, or None."""
        ns = _n.qemuutil_ffi_timer_expire_ns(self._handle())
        return None if ns < 0 else ns

    @staticmethod
    def _free(h):
        _n.qemuutil_ffi_timer_free(h)


class TimerHandle:
    """What call_later/call_at return: ``cancel()`` it before it fires."""

    __slots__ = ("_timer", "_callback", "_when_ns")

    def __init__(self, ctx, when_ns, callback, args):
        self._callback = _bind(callback, args)
        self._when_ns = when_ns
        self._timer = Timer(ctx, self._fire)
        _timer_mod_ns(self._timer._h, when_ns)

    def _fire(self):
        t, self._timer = self._timer, None
        if t is not None:
            t.close()           # allowed inside its own callback
            self._callback()

    def when(self):
        return self._when_ns / 1e9

    def cancel(self):
        t, self._timer = self._timer, None
        if t is not None:
            t.close()

    def cancelled(self):
        return self._timer is None


# ---------------------------------------------------------------------------
# EventNotifier
# ---------------------------------------------------------------------------

class EventNotifier:
    """A wake-up flag backed by an eventfd: ``set()`` from any thread,
    ``watch()`` it from a context, or ``await notifier.wait()``."""

    def __init__(self):
        rc, self._h = _n.qemuutil_ffi_event_notifier_new()
        check(rc, "EventNotifier")
        self._watch_ctx = None

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError("the EventNotifier is closed")
        return h

    def set(self):
        """Signal it.  Thread-safe."""
        check(_n.qemuutil_ffi_event_notifier_set(self._handle()))

    def test_and_clear(self):
        """Consume the signal; True if it was set.  Thread-safe."""
        return bool(_n.qemuutil_ffi_event_notifier_test_and_clear(
            self._handle()))

    def fileno(self):
        return _n.qemuutil_ffi_event_notifier_get_fd(self._handle())

    def watch(self, ctx, callback, *args):
        """Call ``callback(*args)`` in *ctx*'s home thread each time the
        notifier is set (it is cleared first).  One watch at a time."""
        fn = _bind(callback, args)
        test_and_clear = _n.qemuutil_ffi_event_notifier_test_and_clear
        h = self._handle()

        def on_set():
            if test_and_clear(h):
                fn()

        check(_n.qemuutil_ffi_event_notifier_watch(h, ctx._handle(), on_set),
              "EventNotifier.watch")
        self._watch_ctx = ctx

    def unwatch(self):
        """End the watch; False if there was none."""
        self._watch_ctx = None
        return _n.qemuutil_ffi_event_notifier_unwatch(self._handle()) == 0

    async def wait(self, ctx=None):
        """Wait (asyncio) until the notifier is set, then clear it.  See
        :func:`qemuutil.aio.wait_notifier`."""
        from .aio import wait_notifier
        await wait_notifier(self, ctx)

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            _n.qemuutil_ffi_event_notifier_free(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_h", None) is not None and _n is not None:
            try:
                self.close()
            except Exception:
                pass


# ---------------------------------------------------------------------------
# IOThread
# ---------------------------------------------------------------------------

_live_iothreads = weakref.WeakSet()


class IOThread:
    """A thread running its own AioContext (``.context``).  Its callbacks
    run in that thread; their exceptions go to the exception handler.
    ``close()`` joins it; still-open IOThreads are joined at exit."""

    def __init__(self):
        rc, self._h = _n.qemuutil_ffi_iothread_new()
        check(rc, "IOThread")
        self.context = AioContext(
            _n.qemuutil_ffi_iothread_get_aio_context(self._h), _owner=self)
        _live_iothreads.add(self)

    def close(self):
        """Run what is already queued, stop and join the thread, then
        close its context."""
        h, self._h = self._h, None
        if h is None:
            return
        _n.qemuutil_ffi_iothread_free(h)
        self.context.close()

    join = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_h", None) is not None and _n is not None:
            try:
                self.close()
            except Exception:
                pass


@atexit.register
def _join_iothreads():
    # Their callbacks need the interpreter: stop them while it is whole.
    for t in list(_live_iothreads):
        t.close()


# ---------------------------------------------------------------------------
# Main loop
# ---------------------------------------------------------------------------

class MainLoop:
    """The process's main loop (QEMU's main_loop_wait()).

    ``MainLoop.get()`` initialises it at the first call; that thread becomes
    the main loop thread, holds the BQL from then on and is the only one
    that may iterate it.  ``.context`` is its AioContext (schedule work
    there from any thread).
    """

    _instance = None
    _lock = threading.Lock()

    def __init__(self, _handle):
        self._h = _handle
        self.context = AioContext(
            _n.qemuutil_ffi_main_loop_get_aio_context(_handle), _owner=self)

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._instance is None:
                rc, h = _n.qemuutil_ffi_main_loop_get()
                check(rc, "MainLoop")
                cls._instance = cls(h)
            return cls._instance

    def _wake(self):
        if _get_ident() != _main_ident:
            return -1
        return self.context._wake_fd()

    def iteration(self, blocking=True):
        """One main_loop_wait(); re-raises callback exceptions; Ctrl+C
        interrupts a blocking one."""
        errors = []
        rc = _n.main_loop_wait(self._h, 0 if blocking else 1, errors,
                               self._wake() if blocking else -1)
        if errors:
            _raise_collected(errors)
        check(rc, "MainLoop.iteration")

    def run_until(self, predicate):
        """Iterate until ``predicate()`` is true (checked before each
        iteration).  A callback exception, or one from *predicate*, ends
        the loop and is raised; so is KeyboardInterrupt."""
        errors = []

        def done():
            return bool(errors) or predicate()

        rc = _n.main_loop_run_until(self._h, done, errors, self._wake())
        if errors:
            _raise_collected(errors)
        check(rc, "MainLoop.run_until")

    def notify(self):
        """Wake the loop (e.g. after making a predicate true from another
        thread).  Thread-safe."""
        _n.qemuutil_ffi_main_loop_notify(self._h)


# ---------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------

def live_handles():
    """Handles (and pending destroy notifies) alive in the C shim."""
    return _n.qemuutil_ffi_live_handles()


def version():
    """The library version string."""
    return _n.qemuutil_ffi_version_string()
