# test_bindings: the Python API of qemuutil, through SWIG or through GI.
# SPDX-License-Identifier: GPL-2.0-or-later
"""One set of test bodies, two backends (select_backend()):

- ``swig``: the package ``qemuutil`` over ``qemuutil._native``;
- ``gi``: ``gi.repository.QemuUtil`` (the GObject library), seen through
  backend_gi.py, which gives it the same Pythonic surface.

Hard cases first: threads, destroy notifies, leaks, the GIL, signals.
Nothing sleeps to synchronise: tests loop on a condition, and every
blocking wait has a watchdog timer that fails the test instead of hanging.
"""

import asyncio
import gc
import os
import signal
import socket
import sys
import threading
import time
import tracemalloc
import unittest
import weakref

qu = None
BACKEND = None


class BackendUnavailable(Exception):
    pass


def select_backend(name):
    global qu, BACKEND
    if name == "swig":
        import qemuutil
        qu = qemuutil
    else:
        import backend_gi
        qu = backend_gi.load()          # raises BackendUnavailable
    BACKEND = name


def needs(feature):
    """Skip unless the backend has *feature* (a backend lists what it lacks
    in its MISSING dict)."""
    def deco(fn):
        def wrapper(self, *a, **kw):
            missing = getattr(qu, "MISSING", {})
            if feature in missing:
                self.skipTest("%s backend: %s" % (BACKEND, missing[feature]))
            return fn(self, *a, **kw)
        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper
    return deco


WATCHDOG = 10.0     # seconds; only reached when a test is broken


class Case(unittest.TestCase):
    def setUp(self):
        gc.collect()
        self.live0 = qu.live_handles()
        self.ctx = qu.AioContext()
        self.handler_calls = []
        self.old_handler = qu.set_exception_handler(self.handler_calls.append)

    def tearDown(self):
        self.ctx.close()
        qu.set_exception_handler(self.old_handler)
        gc.collect()
        self.assertEqual(qu.live_handles(), self.live0,
                         "handles leaked by this test")

    def run_until(self, predicate, ctx=None):
        """Poll until predicate() holds; fail (not hang) after WATCHDOG."""
        ctx = ctx or self.ctx
        self.assertTrue(ctx.run_until(predicate, timeout=WATCHDOG),
                        "watchdog: condition not reached")


# ---------------------------------------------------------------------------

class TestThreads(Case):
    def test_call_soon_threadsafe_from_many_threads(self):
        """4 threads x 500 one-shots; all run, in the polling thread."""
        seen = []
        me = threading.get_ident()

        def record():
            seen.append(threading.get_ident())

        def worker():
            for i in range(500):
                self.ctx.call_soon_threadsafe(record)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        self.run_until(lambda: len(seen) == 2000)
        for t in threads:
            t.join()
        self.assertEqual(set(seen), {me})

    def test_bh_schedule_from_other_thread_never_lost(self):
        """Schedule, wait until it ran, again: a lost wake-up hangs the
        blocking poll and trips the watchdog."""
        count = [0]
        ran = threading.Condition()

        def cb():
            with ran:
                count[0] += 1
                ran.notify()

        bh = self.ctx.bh(cb)

        def scheduler():
            for i in range(1, 301):
                bh.schedule()
                with ran:
                    ran.wait_for(lambda: count[0] >= i, WATCHDOG)

        t = threading.Thread(target=scheduler)
        t.start()
        self.run_until(lambda: count[0] >= 300)
        t.join()
        bh.delete()

    def test_gil_released_during_blocking_poll(self):
        """Another Python thread runs (and counts) while we block in C;
        it wakes us only after counting, so a held GIL deadlocks."""
        progress = [0]

        def spinner():
            while progress[0] < 100000:
                progress[0] += 1
            self.ctx.call_soon_threadsafe(lambda: None)

        t = threading.Thread(target=spinner)
        t.start()
        self.run_until(lambda: progress[0] >= 100000)
        t.join()

    def test_iothread_callbacks_run_in_its_thread(self):
        with qu.IOThread() as io:
            done = threading.Event()
            where = []

            def job():
                where.append(threading.get_ident())
                done.set()

            io.context.call_soon_threadsafe(job)
            self.assertTrue(done.wait(WATCHDOG))
            self.assertNotEqual(where[0], threading.get_ident())

            # Its timers and BHs too, and their exceptions reach the
            # handler (no Python poll() ran them).
            fired = threading.Event()
            io.context.call_later(0.001, fired.set)
            self.assertTrue(fired.wait(WATCHDOG))
            reported = threading.Event()
            qu.set_exception_handler(lambda e: (self.handler_calls.append(e),
                                                reported.set()))

            def bad():
                raise RuntimeError("in iothread")

            io.context.call_soon_threadsafe(bad)
            self.assertTrue(reported.wait(WATCHDOG))
            self.assertIsInstance(self.handler_calls[-1], RuntimeError)

    @needs("wrong-thread-error")
    def test_polling_an_iothread_context_is_refused(self):
        with qu.IOThread() as io:
            with self.assertRaises(qu.WrongThreadError):
                io.context.poll(False)


class TestLifetime(Case):
    def test_destroy_notify_once_bh(self):
        """The callable is released exactly once: after delete(), and not
        before (a weakref dies only then)."""
        class Cb:
            calls = 0

            def __call__(self):
                Cb.calls += 1

        cb = Cb()
        ref = weakref.ref(cb)
        base = sys.getrefcount(cb)
        bh = self.ctx.bh(cb)
        self.assertEqual(sys.getrefcount(cb), base + 1)
        bh.schedule()
        self.ctx.poll(False)
        self.assertEqual(Cb.calls, 1)
        del cb
        self.assertIsNotNone(ref())
        bh.delete()
        bh.delete()                     # idempotent
        self.assertIsNone(ref())

    def test_destroy_notify_once_all_kinds(self):
        """Timers, fd readers, one-shots, notifier watches: the shim's
        live-handle counter and the callables' refcounts return."""
        def cb(*a):
            pass

        base = sys.getrefcount(cb)
        a, b = socket.socketpair()
        try:
            t = self.ctx.timer(cb)
            t.mod(self.ctx.time() + 3600)
            self.ctx.add_reader(a, cb)
            self.ctx.add_writer(a, cb)
            self.ctx.call_soon_threadsafe(cb)
            n = qu.EventNotifier()
            n.watch(self.ctx, cb)
            self.assertGreater(sys.getrefcount(cb), base)
            self.ctx.poll(False)
            t.delete()
            self.assertTrue(self.ctx.remove_reader(a))
            self.assertTrue(self.ctx.remove_writer(a))
            self.assertFalse(self.ctx.remove_writer(a))
            n.close()
            gc.collect()
            self.assertEqual(sys.getrefcount(cb), base)
        finally:
            a.close()
            b.close()

    def test_free_inside_own_callback(self):
        hits = []

        def cb():
            hits.append(1)
            bh.delete()

        bh = self.ctx.bh(cb)
        bh.schedule()
        self.ctx.poll(False)
        self.assertEqual(hits, [1])
        with self.assertRaises(ValueError):
            bh.schedule()

    def test_context_close_releases_children(self):
        ctx = qu.AioContext()
        for i in range(10):
            ctx.bh(print)
            ctx.timer(print).mod(ctx.time() + 3600)
        ctx.call_soon_threadsafe(print, "never")
        ctx.close()
        ctx.close()
        with self.assertRaises(ValueError):
            ctx.poll(False)

    @needs("live-handles")
    def test_no_leak_over_100k_bh_round_trips(self):
        """100k schedule->callback round trips: Python memory (tracemalloc)
        and C handles (the shim's counter) stay flat."""
        n = [0]
        bh = self.ctx.bh(lambda: n.__setitem__(0, n[0] + 1))

        def rounds(k):
            for _ in range(k):
                bh.schedule()
                self.ctx.poll(False)

        rounds(1000)                    # warm caches
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        live = qu.live_handles()
        rounds(100000)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        self.assertEqual(n[0], 101000)
        self.assertEqual(qu.live_handles(), live)
        grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
        self.assertLess(grown, 64 * 1024, "Python memory grew by %d" % grown)
        bh.delete()

    @needs("live-handles")
    def test_no_leak_create_delete_cycles(self):
        live = qu.live_handles()
        for i in range(2000):
            bh = self.ctx.bh(lambda: None)
            bh.schedule()
            self.ctx.poll(False)
            bh.delete()
            t = self.ctx.call_later(0, lambda: None)
            self.ctx.poll(False)
            t.cancel()
        self.assertEqual(qu.live_handles(), live)


class TestExceptions(Case):
    @needs("reraise")
    def test_exception_reraised_from_poll(self):
        def bad():
            raise KeyError("boom")

        self.ctx.call_soon_threadsafe(bad)
        with self.assertRaises(KeyError):
            self.ctx.poll(True)
        self.assertEqual(self.handler_calls, [])

    @needs("reraise")
    def test_several_exceptions_first_raised_rest_reported(self):
        def bad(i):
            raise ValueError(i)

        for i in range(3):
            self.ctx.call_soon_threadsafe(bad, i)
        with self.assertRaises(ValueError):
            self.ctx.poll(False)
        self.assertEqual(len(self.handler_calls), 2)

    @needs("reraise")
    def test_loop_survives_exception(self):
        hits = []

        def bad():
            raise RuntimeError()

        bh = self.ctx.bh(bad)
        bh.schedule()
        with self.assertRaises(RuntimeError):
            self.ctx.poll(False)
        self.ctx.call_soon_threadsafe(hits.append, 1)
        self.ctx.poll(False)
        self.assertEqual(hits, [1])
        bh.delete()

    def test_shim_errors_become_exceptions(self):
        n = qu.EventNotifier()
        try:
            n.watch(self.ctx, lambda: None)
            with self.assertRaises(qu.BusyError) as cm:
                n.watch(self.ctx, lambda: None)
            self.assertIsInstance(cm.exception, OSError)
            self.assertEqual(cm.exception.name, "EBUSY")
        finally:
            n.close()

    @needs("sigint")
    def test_ctrl_c_interrupts_blocking_poll(self):
        """SIGINT sent to ourselves from a thread while poll() blocks with
        nothing to do: KeyboardInterrupt comes out of poll()."""
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("signals need the main thread")
        guard = self.ctx.call_later(WATCHDOG, self.fail, "poll not woken")

        def killer():
            os.kill(os.getpid(), signal.SIGINT)

        t = threading.Thread(target=killer)
        with self.assertRaises(KeyboardInterrupt):
            t.start()
            while True:
                self.ctx.poll(True)
        t.join()
        guard.cancel()
        # The signal wake-up fd was given back.
        self.assertEqual(signal.set_wakeup_fd(-1), -1)


class TestTimersAndFds(Case):
    def test_call_later_order_and_cancel(self):
        out = []
        self.ctx.call_later(0.003, out.append, 3)
        self.ctx.call_later(0.001, out.append, 1)
        h = self.ctx.call_later(0.002, out.append, 2)
        h.cancel()
        self.assertTrue(h.cancelled())
        start = time.monotonic()
        self.run_until(lambda: len(out) == 2)
        self.assertEqual(out, [1, 3])
        self.assertGreaterEqual(time.monotonic() - start, 0.003 - 0.0005)

    def test_call_at_uses_monotonic_time(self):
        self.assertAlmostEqual(self.ctx.time(), time.monotonic(), delta=0.05)
        out = []
        when = self.ctx.time() + 0.002
        self.ctx.call_at(when, out.append, "x")
        self.run_until(lambda: out)
        self.assertGreaterEqual(self.ctx.time(), when)

    def test_timer_rearm_and_timeout(self):
        fired = []
        t = self.ctx.timer(fired.append, 1)
        self.assertIsNone(self.ctx.timeout())
        t.mod(self.ctx.time() + 60)
        self.assertTrue(t.pending)
        self.assertGreater(self.ctx.timeout(), 59)
        t.mod(self.ctx.time() + 0.001)
        self.run_until(lambda: fired)
        self.assertFalse(t.pending)
        t.mod(self.ctx.time())
        self.run_until(lambda: len(fired) == 2)
        t.delete()

    def test_reader_writer_echo(self):
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        got = []

        def on_read():
            data = b.recv(100)
            got.append(data)
            b.send(data.upper())

        def on_write():
            a.send(b"ping")
            self.ctx.remove_writer(a)

        try:
            self.ctx.add_reader(b, on_read)
            self.ctx.add_writer(a, on_write)
            self.ctx.add_reader(a, lambda: got.append(a.recv(100)))
            self.run_until(lambda: len(got) == 2)
            self.assertEqual(got, [b"ping", b"PING"])
        finally:
            self.ctx.remove_reader(a)
            self.ctx.remove_reader(b)
            a.close()
            b.close()

    def test_event_notifier_set_from_thread(self):
        n = qu.EventNotifier()
        hits = []
        try:
            self.assertFalse(n.test_and_clear())
            n.set()
            self.assertTrue(n.test_and_clear())
            n.watch(self.ctx, hits.append, 1)
            threading.Thread(target=n.set).start()
            self.run_until(lambda: hits)
            self.assertTrue(n.unwatch())
            self.assertFalse(n.unwatch())
        finally:
            n.close()


class TestMainLoop(Case):
    def setUp(self):
        if "main-loop" not in getattr(qu, "MISSING", {}):
            # The main loop and its Ctrl+C wake-up live for the process:
            # create them before counting handles.
            loop = qu.MainLoop.get()
            loop.context.call_soon_threadsafe(lambda: None)
            loop.iteration(True)
        super().setUp()

    @needs("main-loop")
    def test_main_loop_run_until_and_wrong_thread(self):
        loop = qu.MainLoop.get()
        self.assertIs(loop, qu.MainLoop.get())
        hits = []
        loop.context.call_soon_threadsafe(hits.append, "a")
        loop.iteration(False)
        self.assertEqual(hits, ["a"])

        def worker():
            loop.context.call_soon_threadsafe(hits.append, "b")

        threading.Thread(target=worker).start()
        guard = loop.context.call_later(WATCHDOG, hits.append, "timeout")
        loop.run_until(lambda: len(hits) >= 2)
        guard.cancel()
        self.assertEqual(hits, ["a", "b"])

        errors = []

        def other():
            try:
                loop.iteration(False)
            except qu.WrongThreadError as e:
                errors.append(e)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        self.assertEqual(len(errors), 1)

    @needs("main-loop")
    def test_main_loop_reraises(self):
        loop = qu.MainLoop.get()

        def bad():
            raise ZeroDivisionError()

        loop.context.call_soon_threadsafe(bad)
        with self.assertRaises(ZeroDivisionError):
            loop.run_until(lambda: False)


class TestAsyncio(Case):
    @needs("asyncio-driver")
    def test_asyncio_drives_context(self):
        """BHs, timers (deadline honoured via call_at), fd readers and
        cross-thread one-shots of a context, all run by asyncio."""
        out = []

        async def main():
            loop = asyncio.get_running_loop()
            with self.ctx.attach_to_asyncio(loop):
                a, b = socket.socketpair()
                self.ctx.add_reader(b, lambda: out.append(b.recv(10)))
                bh = self.ctx.bh(out.append, "bh")
                bh.schedule()
                start = loop.time()
                self.ctx.call_later(0.02, out.append, "timer")
                threading.Thread(
                    target=self.ctx.call_soon_threadsafe,
                    args=(out.append, "thread")).start()
                a.send(b"fd")
                while len(out) < 4:
                    await asyncio.sleep(0.001)
                self.assertGreaterEqual(loop.time() - start, 0.019)
                self.ctx.remove_reader(b)
                bh.delete()
                a.close()
                b.close()

        asyncio.run(asyncio.wait_for(main(), WATCHDOG))
        self.assertEqual(sorted(map(str, out)),
                         sorted(["bh", "timer", "thread", "b'fd'"]))

    @needs("asyncio-driver")
    def test_asyncio_timer_only_wakeup(self):
        """Nothing but a timer pending: asyncio must wake by itself."""
        async def main():
            with self.ctx.attach_to_asyncio():
                fut = asyncio.get_running_loop().create_future()
                self.ctx.call_later(0.01, fut.set_result, "ok")
                return await fut

        self.assertEqual(asyncio.run(asyncio.wait_for(main(), WATCHDOG)),
                         "ok")

    @needs("asyncio-driver")
    def test_asyncio_callback_exception_goes_to_loop_handler(self):
        seen = []

        async def main():
            loop = asyncio.get_running_loop()
            loop.set_exception_handler(lambda l, c: seen.append(c))
            with self.ctx.attach_to_asyncio():
                self.ctx.call_soon_threadsafe(int, "not a number")
                while not seen:
                    await asyncio.sleep(0.001)

        asyncio.run(asyncio.wait_for(main(), WATCHDOG))
        self.assertIsInstance(seen[0]["exception"], ValueError)

    def test_await_work_in_iothread(self):
        from_aio = qu.aio if hasattr(qu, "aio") else None
        if from_aio is None:
            import qemuutil.aio as from_aio

        async def main(io):
            r = await from_aio.run_in_context(io.context,
                                              threading.get_ident)
            with self.assertRaises(ZeroDivisionError):
                await from_aio.run_in_context(io.context, lambda: 1 / 0)
            return r

        with qu.IOThread() as io:
            tid = asyncio.run(asyncio.wait_for(main(io), WATCHDOG))
        self.assertNotEqual(tid, threading.get_ident())

    def test_await_event_notifier(self):
        n = qu.EventNotifier()

        async def main(io):
            loop = asyncio.get_running_loop()
            loop.call_later(0.001, n.set)
            await n.wait()                      # asyncio watches the fd
            threading.Thread(target=n.set).start()
            await n.wait(io.context)            # the IOThread watches it

        try:
            with qu.IOThread() as io:
                asyncio.run(asyncio.wait_for(main(io), WATCHDOG))
        finally:
            n.close()


if __name__ == "__main__":
    select_backend(os.environ.get("QEMUUTIL_BACKEND", "swig"))
    unittest.main()
