# qemuutil.aio: asyncio interoperability, both ways.
# SPDX-License-Identifier: GPL-2.0-or-later
"""asyncio and qemuutil together.

An asyncio program drives an AioContext with :class:`AsyncioDriver` (or
``ctx.attach_to_asyncio()``): the context's fds are mirrored into one
epoll fd that the asyncio loop watches with ``add_reader``, and the
context's next timer deadline is honoured with ``loop.call_at``.  The
context's callbacks then run inside the asyncio loop's thread.

The other way round, work done in a context (often an IOThread's) can be
awaited: :func:`run_in_context` runs a function there and resolves an
asyncio future with its result; :func:`wait_notifier` awaits an
EventNotifier.  Futures are always resolved through
``loop.call_soon_threadsafe``, so the context may live in any thread.
"""

import asyncio

from . import _native as _n
from ._core import report_exception
from ._errors import check

__all__ = ["AsyncioDriver", "run_in_context", "wait_notifier"]

_iterate = _n.poller_iterate   # (poller, errors) -> timeout_ns


class AsyncioDriver:
    """Runs *ctx* from the asyncio event loop *loop* (default: the running
    one, else the current one).  Use it as a context manager or call
    :meth:`close`.  Exceptions from the context's callbacks go to the
    loop's exception handler (KeyboardInterrupt and SystemExit propagate).
    """

    def __init__(self, ctx, loop=None):
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.get_event_loop_policy().get_event_loop()
        if ctx._driver is not None:
            raise RuntimeError("the AioContext already has an asyncio driver")
        rc, p = _n.qemuutil_ffi_poller_new(ctx._handle())
        check(rc, "AsyncioDriver")
        self._ctx = ctx
        self._loop = loop
        self._p = p
        self._timer = None
        self._fd = _n.qemuutil_ffi_poller_get_fd(p)
        ctx._driver = self
        loop.add_reader(self._fd, self._step)
        self._step()            # prepare the first iteration

    def _step(self):
        p = self._p
        if p is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        errors = []
        timeout_ns = _iterate(p, errors)
        if self._p is None:
            return              # a callback closed us
        if timeout_ns == 0:
            self._timer = self._loop.call_soon(self._step)
        elif timeout_ns > 0:
            self._timer = self._loop.call_at(
                self._loop.time() + timeout_ns / 1e9, self._step)
        for exc in errors:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise exc
            self._loop.call_exception_handler({
                "message": "exception in a qemuutil callback",
                "exception": exc,
            })

    def close(self):
        """Stop driving the context (it can be polled normally again)."""
        p, self._p = self._p, None
        if p is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        self._ctx._driver = None
        _n.qemuutil_ffi_poller_free(p)

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


def submit(ctx, fn, *args, loop=None):
    """Run ``fn(*args)`` once in *ctx*'s home thread (a one-shot BH) and
    return an asyncio future of its result.  Thread-safe."""
    loop = loop or asyncio.get_running_loop()
    fut = loop.create_future()

    def job():
        try:
            result = fn(*args)
        except BaseException as e:      # delivered to the awaiting task
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, fut, None, e)
            else:
                report_exception(e)
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(_resolve, fut, result, None)

    ctx.call_soon_threadsafe(job)
    return fut


async def run_in_context(ctx, fn, *args):
    """``await`` the result of ``fn(*args)`` run in *ctx*'s home thread."""
    return await submit(ctx, fn, *args)


async def wait_notifier(notifier, ctx=None):
    """Wait until *notifier* is set, then clear it.

    Without *ctx*, the asyncio loop watches the notifier's fd itself.  With
    *ctx*, the context watches it (in its own thread, e.g. an IOThread's)
    and hands the wake-up over with ``loop.call_soon_threadsafe``.
    """
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

    def on_set():
        loop.call_soon_threadsafe(_resolve, fut, None, None)

    notifier.watch(ctx, on_set)
    try:
        await fut
    finally:
        notifier.unwatch()
