# backend_gi: the qemuutil package's Python surface over gi.repository.QemuUtil.
# SPDX-License-Identifier: GPL-2.0-or-later
"""The GI backend of the shared test bodies (test_bindings.py) and of the
bench: the same classes and method names as the SWIG-backed package
``qemuutil`` (AioContext, BH, Timer, call_later, add_reader, EventNotifier,
IOThread, MainLoop, an asyncio driver), written over the QemuUtil-1.0
typelib (bindings/gobject) and nothing else.

What PyGObject does not do by itself, and this module adds:

- Exceptions raised by callbacks: PyGObject prints and drops them.  Every
  callable is wrapped; an exception is collected by the poll() that ran
  it and re-raised there (others of the same poll, and those raised where
  no Python poll runs, e.g. in an IOThread, go to the exception handler).
- GLib.Error from the qemu-util-error-quark domain becomes the package's
  exceptions (QemuUtilError, an OSError; BusyError; WrongThreadError).
- Ctrl+C during a blocking poll() in the main thread: the signal wake-up
  fd (signal.set_wakeup_fd) points at a socket watched by the context, so
  the signal wakes the poll; Python then raises KeyboardInterrupt.  The
  socket is drained by os.read, a C function, so no Python code runs
  inside that callback: a pending signal handler must not fire (and its
  exception be lost) in a callback, only after poll() returns.
- Explicit lifetimes: close()/delete() release the C handles at once, and
  no frame that an exception's traceback may keep holds a boxed handle
  (a traceback kept by the test would otherwise keep a context alive).
"""

import asyncio
import errno as _errno
import functools
import signal
import socket
import sys
import threading
import traceback
import weakref

MISSING = {}
_Q = None
_GLib = None


class BackendUnavailable(Exception):
    """The typelib cannot be loaded."""


def _unavailable(reason):
    try:
        import test_bindings
        return test_bindings.BackendUnavailable(reason)
    except ImportError:
        return BackendUnavailable(reason)


def load():
    """Import QemuUtil-1.0 through GI; return this module as the backend.
    Raises BackendUnavailable (test_bindings' class when it is importable)
    if the typelib or python3-gi is missing."""
    global _Q, _GLib
    if _Q is None:
        try:
            import gi
            gi.require_version("QemuUtil", "1.0")
            from gi.repository import GLib, QemuUtil
        except (ImportError, ValueError) as e:
            raise _unavailable("QemuUtil-1.0 typelib not loadable (%s); "
                               "is GI_TYPELIB_PATH set?" % e)
        _Q, _GLib = QemuUtil, GLib
        _init_constants()
    return sys.modules[__name__]


def _init_constants():
    global CLOCK_REALTIME, CLOCK_VIRTUAL, CLOCK_HOST, CLOCK_VIRTUAL_RT
    global READ, WRITE
    CLOCK_REALTIME = int(_Q.Clock.REALTIME)
    CLOCK_VIRTUAL = int(_Q.Clock.VIRTUAL)
    CLOCK_HOST = int(_Q.Clock.HOST)
    CLOCK_VIRTUAL_RT = int(_Q.Clock.VIRTUAL_RT)
    READ = int(_Q.FdEvents.READ)
    WRITE = int(_Q.FdEvents.WRITE)


CLOCK_REALTIME, CLOCK_VIRTUAL, CLOCK_HOST, CLOCK_VIRTUAL_RT = 0, 1, 2, 3
READ, WRITE = 1, 2


# ---------------------------------------------------------------------------
# Errors: the one place where GLib.Error becomes an exception of ours
# ---------------------------------------------------------------------------

class QemuUtilError(OSError):
    """A QemuUtil call failed.  ``errno`` is the QemuUtil.Error code (an
    errno value), ``name`` its symbolic errno name, ``code`` the shim's
    negative code, as in the SWIG package."""

    def __init__(self, gerror):
        code = gerror.code
        super().__init__(code, gerror.message)
        self.code = -code
        self.name = _errno.errorcode.get(code, "EUNKNOWN")


class BusyError(QemuUtilError):
    """QemuUtil.Error.BUSY or EXISTS."""


class WrongThreadError(QemuUtilError):
    """QemuUtil.Error.WRONG_THREAD."""


def _convert(e):
    if e.domain != "qemu-util-error-quark":
        return e
    cls = {int(_Q.Error.BUSY): BusyError,
           int(_Q.Error.EXISTS): BusyError,
           int(_Q.Error.WRONG_THREAD): WrongThreadError}.get(e.code,
                                                           QemuUtilError)
    return cls(e)


def _gcall(fn, *args):
    """Call a throwing GI function; GLib.Error becomes ours."""
    try:
        return fn(*args)
    except _GLib.Error as e:
        raise _convert(e) from None


# ---------------------------------------------------------------------------
# Exceptions raised by callbacks
# ---------------------------------------------------------------------------

_tls = threading.local()
_exception_handler = None


def set_exception_handler(handler):
    """``handler(exc)`` gets callback exceptions no poll() can re-raise;
    None restores the default (print the traceback).  Returns the old
    handler."""
    global _exception_handler
    old, _exception_handler = _exception_handler, handler
    return old


def report_exception(exc):
    handler = _exception_handler
    try:
        if handler is None:
            print("qemuutil (GI): exception in a callback not run by a "
                  "Python poll():", file=sys.stderr)
            traceback.print_exception(type(exc), exc, exc.__traceback__)
        else:
            handler(exc)
    except BaseException:
        traceback.print_exc()


def _guard(fn):
    """The callable handed to GI: runs fn(), never lets an exception reach
    PyGObject (which would print and drop it)."""
    def guarded(*ignored):          # PyGObject passes (fd, events) etc.
        try:
            fn()
        except BaseException as e:
            stack = getattr(_tls, "stack", None)
            if stack:
                stack[-1].append(e)     # the innermost Python poll()
            else:
                report_exception(e)
    return guarded


def _bind(callback, args):
    if not callable(callback):
        raise TypeError("callback must be callable")
    return functools.partial(callback, *args) if args else callback


def _push():
    """Open a collection frame for callbacks this thread runs; the caller
    pops it in a finally clause, then calls _raise_collected()."""
    stack = _tls.__dict__.setdefault("stack", [])
    errors = []
    stack.append(errors)
    return errors


def _pop():
    _tls.stack.pop()


def _raise_collected(errors):
    if errors:
        for extra in errors[1:]:
            report_exception(extra)
        raise errors[0]


# ---------------------------------------------------------------------------
# Ctrl+C during a blocking poll (main thread only)
# ---------------------------------------------------------------------------

_main_ident = threading.main_thread().ident


class _SignalWake:
    """A socket pair whose read end a context watches; its write end is the
    signal wake-up fd while a blocking poll runs."""

    def __init__(self, ctx_h):
        self.rsock, self.wsock = socket.socketpair()
        self.rsock.setblocking(False)
        self.wsock.setblocking(False)
        # os.read(fd, events) reads one byte per call: C only, see above.
        import os
        self.watch = _gcall(_Q.FdWatch.new, ctx_h, self.rsock.fileno(),
                            _Q.FdEvents.READ, os.read)

    def __enter__(self):
        try:
            self.old = signal.set_wakeup_fd(self.wsock.fileno(),
                                            warn_on_full_buffer=False)
        except ValueError:          # not the main thread after all
            self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.set_wakeup_fd(self.old)
        return False

    def close(self):
        if self.watch is not None:
            self.watch.delete()
            self.watch = None
        self.rsock.close()
        self.wsock.close()


class _NoWake:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NO_WAKE = _NoWake()


# ---------------------------------------------------------------------------
# AioContext
# ---------------------------------------------------------------------------

def _fileno(fd):
    return fd if isinstance(fd, int) else fd.fileno()


class AioContext:
    """QemuUtil.AioContext with the package's methods.  close() deletes
    every BH, timer and watch made through it and drops the context."""

    def __init__(self, _h=None):
        self._h = _h if _h is not None else _gcall(_Q.AioContext.new)
        self._children = set()
        self._fds = {}
        self._wake = None
        self._driver = None

    def close(self):
        if self._h is None:
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
        self._h = None              # the boxed reference goes with it

    @property
    def closed(self):
        return self._h is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _handle(self):
        if self._h is None:
            raise ValueError("the AioContext is closed")
        return self._h

    def _wake_for(self, blocking):
        if not blocking or threading.get_ident() != _main_ident:
            return _NO_WAKE
        if self._wake is None:
            self._wake = _SignalWake(self._h)
        return self._wake

    # -- running ----------------------------------------------------------

    def poll(self, blocking=True):
        """One iteration; True if a callback ran.  Re-raises the first
        callback exception; Ctrl+C interrupts a blocking poll in the main
        thread."""
        self._handle()
        errors = _push()
        try:
            with self._wake_for(blocking):
                ran = self._h.poll(blocking)
        except _GLib.Error as e:
            raise _convert(e) from None
        finally:
            _pop()
        _raise_collected(errors)
        return ran

    def run_until(self, predicate, timeout=None):
        """Poll until predicate(); with *timeout* (seconds) return False
        if it did not hold in time."""
        self._handle()
        if timeout is None:
            while not predicate():
                self.poll(True)
            return True
        expired = []
        t = Timer(self, expired.append, True)
        try:
            t.mod(self.time() + timeout)
            while not predicate():
                if expired:
                    return False
                self.poll(True)
        finally:
            t.close()
        return True

    def notify(self):
        self._handle().notify()

    def timeout(self):
        ns = self._handle().get_timeout_ns()
        return None if ns < 0 else ns / 1e9

    @staticmethod
    def time(clock=None):
        return _Q.Clock.get_ns(CLOCK_REALTIME if clock is None
                               else clock) / 1e9

    # -- scheduling -------------------------------------------------------

    def bh(self, callback, *args):
        return BH(self, callback, *args)

    def call_soon_threadsafe(self, callback, *args):
        """Run callback(*args) once in the home thread; any thread."""
        self._handle().invoke(_guard(_bind(callback, args)))

    call_soon = call_soon_threadsafe

    def call_later(self, delay, callback, *args):
        return TimerHandle(self, _Q.Clock.get_ns(CLOCK_REALTIME) +
                           int(delay * 1e9), callback, args)

    def call_at(self, when, callback, *args):
        return TimerHandle(self, int(when * 1e9), callback, args)

    def timer(self, callback, *args, clock=None):
        return Timer(self, callback, *args,
                     clock=CLOCK_REALTIME if clock is None else clock)

    def event_notifier(self):
        return EventNotifier()

    # -- fds --------------------------------------------------------------

    def _set_fd(self, fd, direction, callback):
        fd = _fileno(fd)
        st = self._fds.get(fd)
        if st is None:
            if callback is None:
                return False
            self._handle()
            st = self._fds[fd] = _FdState(self, fd)
        return st.set(direction, callback)

    def add_reader(self, fd, callback, *args):
        self._set_fd(fd, READ, _bind(callback, args))

    def add_writer(self, fd, callback, *args):
        self._set_fd(fd, WRITE, _bind(callback, args))

    def remove_reader(self, fd):
        return self._set_fd(fd, READ, None)

    def remove_writer(self, fd):
        return self._set_fd(fd, WRITE, None)

    # -- asyncio ----------------------------------------------------------

    def attach_to_asyncio(self, loop=None):
        return AsyncioDriver(self, loop)


class _FdState:
    """The one QemuUtil.FdWatch of (context, fd), shared by the reader and
    the writer; set_events() switches directions without a new watch."""

    def __init__(self, ctx, fd):
        self.ctx = ctx
        self.fd = fd
        self.cbs = {}
        self.watch = None

    def _dispatch(self, fd, events):
        cb = self.cbs.get(int(events))
        if cb is not None:
            cb()

    def set(self, direction, callback):
        had = direction in self.cbs
        if callback is None:
            self.cbs.pop(direction, None)
        else:
            self.cbs[direction] = _guard(callback)
        events = _Q.FdEvents(sum(self.cbs))
        if not self.cbs:
            self.close()
            self.ctx._fds.pop(self.fd, None)
        elif self.watch is None:
            try:
                self.watch = _gcall(_Q.FdWatch.new, self.ctx._handle(),
                                    self.fd, events, self._dispatch)
            except BaseException:
                self.cbs.clear()
                self.ctx._fds.pop(self.fd, None)
                raise
        else:
            _gcall(self.watch.set_events, events)
        return had

    def close(self):
        w, self.watch = self.watch, None
        if w is not None:
            w.delete()
        self.cbs.clear()


# ---------------------------------------------------------------------------
# Children of a context
# ---------------------------------------------------------------------------

class _Child:
    __slots__ = ("_h", "_ctx", "__weakref__")

    def _attach(self, ctx, h):
        self._h = h
        self._ctx = ctx
        ctx._children.add(self)

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            self._ctx._children.discard(self)
            h.delete()              # the destroy notify follows

    delete = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError("%s was deleted" % type(self).__name__)
        return h


class BH(_Child):
    __slots__ = ()

    def __init__(self, ctx, callback, *args):
        self._attach(ctx, _Q.BH.new(ctx._handle(),
                                    _guard(_bind(callback, args))))

    def schedule(self):
        """Thread-safe."""
        self._handle().schedule()

    def cancel(self):
        self._handle().cancel()


class Timer(_Child):
    __slots__ = ()

    def __init__(self, ctx, callback, *args, clock=CLOCK_REALTIME):
        self._attach(ctx, _gcall(_Q.Timer.new, ctx._handle(),
                                 _Q.Clock(clock),
                                 _guard(_bind(callback, args))))

    def mod_ns(self, expire_ns):
        self._handle().mod_ns(int(expire_ns))

    def mod(self, when):
        self.mod_ns(int(when * 1e9))

    def cancel(self):
        self._handle().cancel()

    @property
    def pending(self):
        return self._handle().is_pending()

    @property
    def expire_ns(self):
        ns = self._handle().get_expire_ns()
        return None if ns < 0 else ns


class TimerHandle:
    """What call_later()/call_at() return."""

    __slots__ = ("_timer", "_callback", "_when_ns")

    def __init__(self, ctx, when_ns, callback, args):
        self._callback = _bind(callback, args)
        self._when_ns = when_ns
        self._timer = Timer(ctx, self._fire)
        self._timer.mod_ns(when_ns)

    def _fire(self):
        t, self._timer = self._timer, None
        if t is not None:
            t.close()               # allowed inside its own callback
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
    def __init__(self):
        self._h = _gcall(_Q.EventNotifier.new)

    def _handle(self):
        if self._h is None:
            raise ValueError("the EventNotifier is closed")
        return self._h

    def set(self):
        _gcall(self._handle().set)

    def test_and_clear(self):
        return self._handle().test_and_clear()

    def fileno(self):
        return self._handle().get_fd()

    def watch(self, ctx, callback, *args):
        """callback(*args) in ctx's home thread each time it is set (it is
        cleared first)."""
        fn = _bind(callback, args)
        h = self._handle()

        def on_set():
            if h.test_and_clear():
                fn()

        _gcall(h.watch, ctx._handle(), _guard(on_set))

    def unwatch(self):
        try:
            self._handle().unwatch()
        except _GLib.Error as e:
            if e.code == int(_Q.Error.NOT_FOUND):
                return False
            raise _convert(e) from None
        return True

    async def wait(self, ctx=None):
        await wait_notifier(self, ctx)

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            h.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---------------------------------------------------------------------------
# IOThread and main loop
# ---------------------------------------------------------------------------

_live_iothreads = weakref.WeakSet()


class IOThread:
    def __init__(self):
        self._h = _gcall(_Q.IOThread.new)
        self.context = AioContext(self._h.get_aio_context())
        _live_iothreads.add(self)

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            h.join()
            self.context.close()

    join = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _join_iothreads():
    for t in list(_live_iothreads):
        t.close()


import atexit                                               # noqa: E402
atexit.register(_join_iothreads)


class MainLoop:
    _instance = None
    _lock = threading.Lock()

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._instance is None:
                self = cls.__new__(cls)
                self._h = _gcall(_Q.MainLoop.get)
                self.context = AioContext(self._h.get_aio_context())
                cls._instance = self
            return cls._instance

    def _wake(self, blocking):
        return self.context._wake_for(blocking)

    def iteration(self, blocking=True):
        errors = _push()
        try:
            with self._wake(blocking):
                self._h.iteration(blocking)
        except _GLib.Error as e:
            raise _convert(e) from None
        finally:
            _pop()
        _raise_collected(errors)

    def run_until(self, predicate):
        """Iterate until predicate(); a callback exception (or one from
        the predicate) ends the loop and is raised."""
        errors = _push()

        def done(*ignored):
            if errors:
                return True
            try:
                return bool(predicate())
            except BaseException as e:
                errors.append(e)
                return True

        try:
            with self._wake(True):
                self._h.run_until(done)
        except _GLib.Error as e:
            raise _convert(e) from None
        finally:
            _pop()
        _raise_collected(errors)

    def notify(self):
        self._h.notify()


# ---------------------------------------------------------------------------
# asyncio: drive a context from asyncio (QemuUtil.Poller), await its work
# ---------------------------------------------------------------------------

class AsyncioDriver:
    """Runs *ctx* from an asyncio loop: the poller's fd is watched with
    add_reader, the context's next deadline with call_at.  Callback
    exceptions go to the loop's exception handler."""

    def __init__(self, ctx, loop=None):
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.get_event_loop_policy().get_event_loop()
        if ctx._driver is not None:
            raise RuntimeError("the AioContext already has an asyncio driver")
        self._p = _gcall(_Q.Poller.new, ctx._handle())
        self._ctx = ctx
        self._loop = loop
        self._timer = None
        self._in_step = False
        self._fd = self._p.get_fd()
        ctx._driver = self
        loop.add_reader(self._fd, self._step)
        self._step()

    def _step(self):
        if self._p is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        errors = _push()
        self._in_step = True
        try:
            ran, timeout_ns = self._p.iterate()
        finally:
            self._in_step = False
            _pop()
        if self._p is None:             # a callback closed us
            return
        if timeout_ns == 0:
            self._timer = self._loop.call_soon(self._step)
        elif timeout_ns > 0:
            self._timer = self._loop.call_at(
                self._loop.time() + timeout_ns / 1e9, self._step)
        for exc in errors:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise exc
            self._loop.call_exception_handler({
                "message": "exception in a qemuutil (GI) callback",
                "exception": exc,
            })

    def close(self):
        p, self._p = self._p, None
        if p is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        self._ctx._driver = None
        if self._in_step:
            # The poller is iterating right now: close after it returns.
            self._loop.call_soon(p.close)
        else:
            p.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _resolve(fut, result, exc):
    if fut.cancelled():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


async def run_in_context(ctx, fn, *args):
    """await fn(*args), run in ctx's home thread (e.g. an IOThread's)."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def job():
        try:
            result = fn(*args)
        except BaseException as e:
            loop.call_soon_threadsafe(_resolve, fut, None, e)
            return
        loop.call_soon_threadsafe(_resolve, fut, result, None)

    ctx.call_soon_threadsafe(job)
    return await fut


async def wait_notifier(notifier, ctx=None):
    """Wait until *notifier* is set, then clear it: asyncio watches its fd,
    or *ctx* watches it in its own thread."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    if ctx is None:
        fd = notifier.fileno()

        def readable():
            if notifier.test_and_clear():
                _resolve(fut, None, None)

        loop.add_reader(fd, readable)
        try:
            await fut
        finally:
            loop.remove_reader(fd)
        return

    notifier.watch(ctx, lambda: loop.call_soon_threadsafe(_resolve, fut,
                                                          None, None))
    try:
        await fut
    finally:
        notifier.unwatch()


class _AioNamespace:
    """``backend.aio``: the same helpers as the package's qemuutil.aio."""
    AsyncioDriver = AsyncioDriver
    run_in_context = staticmethod(run_in_context)
    wait_notifier = staticmethod(wait_notifier)


aio = _AioNamespace()


# ---------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------

def live_handles():
    """The shim's count of live handles and pending destroy notifies."""
    return _Q.live_handles()


def version():
    return _Q.get_version()
