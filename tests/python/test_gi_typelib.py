#!/usr/bin/python3
# test_gi_typelib: what only the GI binding has: typelib, GError, GSource.
# SPDX-License-Identifier: GPL-2.0-or-later
"""GI-specific tests of QemuUtil-1.0, used directly (not through the
adapter): the uninstalled typelib loads, errors arrive as GLib.Error in the
qemu-util-error-quark domain with QemuUtil.Error codes, every destroy
notify releases its Python callable exactly once (refcounts return to
their base, never below; the shim's live-handle counter returns), an
AioContext attached as a GSource runs inside GLib.MainLoop.run(), and
callbacks come from other threads with the GIL taken by PyGObject.

Nothing sleeps: loops wait on conditions, under a GLib watchdog timeout
that fails the test instead of hanging it."""

import gc
import os
import socket
import sys
import threading
import unittest
import weakref

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import taprunner                                            # noqa: E402

try:
    import gi
    gi.require_version("QemuUtil", "1.0")
    gi.require_version("GIRepository", "2.0")
    from gi.repository import GIRepository, GLib, GObject, QemuUtil
    from gi import _gi
    LOAD_ERROR = None
except (ImportError, ValueError) as e:
    LOAD_ERROR = "QemuUtil-1.0 typelib not loadable: %s" % e

WATCHDOG_MS = 10000
DOMAIN = "qemu-util-error-quark"


class Callable:
    """A callable whose lifetime (weakref) and calls are observable."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1


class Case(unittest.TestCase):
    def setUp(self):
        gc.collect()
        self.live0 = QemuUtil.live_handles()
        self.ctx = QemuUtil.AioContext.new()

    def tearDown(self):
        self.ctx = None
        gc.collect()
        self.assertEqual(QemuUtil.live_handles(), self.live0,
                         "shim handles leaked by this test")

    @staticmethod
    def refs(obj):
        """obj's reference count, as seen from the caller's frame."""
        return sys.getrefcount(obj) - 1

    def assertReleasedOnce(self, obj, base):
        """The binding dropped exactly the references it took: a second
        destroy notify would drop one more (refcount below base)."""
        gc.collect()
        self.assertEqual(self.refs(obj) - 1, base)  # minus our argument

    def run_glib(self, loop, main_context=None):
        """loop.run() under a watchdog that fails instead of hanging."""
        expired = []

        def watchdog():
            expired.append(True)
            loop.quit()
            return False

        src = GLib.timeout_source_new(WATCHDOG_MS)
        src.set_callback(watchdog)
        src.attach(main_context)
        try:
            loop.run()
        finally:
            src.destroy()
        self.assertFalse(expired, "watchdog: GLib.MainLoop never quit")


class TestTypelib(unittest.TestCase):
    def test_loaded_uninstalled_from_gi_typelib_path(self):
        repo = GIRepository.Repository.get_default()
        path = repo.get_typelib_path("QemuUtil")
        first = os.environ.get("GI_TYPELIB_PATH", "").split(":")[0]
        self.assertTrue(first, "GI_TYPELIB_PATH is not set")
        self.assertEqual(os.path.dirname(os.path.realpath(path)),
                         os.path.realpath(first))
        self.assertEqual(repo.get_shared_library("QemuUtil"),
                         "libqemuutil-gobject-1.0.so.1")
        self.assertEqual(repo.get_version("QemuUtil"), "1.0")

    def test_version_constants_match_library(self):
        self.assertEqual(QemuUtil.get_version(), QemuUtil.VERSION_S)
        self.assertEqual(QemuUtil.get_version(), "%d.%d.%d" % (
            QemuUtil.MAJOR_VERSION, QemuUtil.MINOR_VERSION,
            QemuUtil.MICRO_VERSION))

    def test_handles_are_boxed_types(self):
        for name in ("AioContext", "BH", "Timer", "FdWatch",
                     "EventNotifier", "IOThread", "MainLoop", "Poller"):
            gtype = getattr(QemuUtil, name).__gtype__
            self.assertTrue(GObject.type_is_a(gtype, GObject.TYPE_BOXED),
                            name)

    def test_no_forever_scope(self):
        """Every callback argument is call, async or notified: PyGObject
        3.42 has no 'forever' scope (it would g_critical)."""
        scope_call, scope_async, scope_notified = 1, 2, 3   # GIScopeType
        repo = _gi.Repository.get_default()
        seen = 0
        for info in repo.get_infos("QemuUtil"):
            fns = [info]
            if isinstance(info, _gi.StructInfo):
                fns += list(info.get_methods())
            for fn in fns:
                if not isinstance(fn, _gi.FunctionInfo):
                    continue
                for arg in fn.get_arguments():
                    t = arg.get_type()
                    if t.get_tag() != _gi.TypeTag.INTERFACE or \
                            not isinstance(t.get_interface(),
                                           _gi.CallbackInfo) or \
                            t.get_interface().get_name() == "DestroyNotify":
                        continue
                    seen += 1
                    self.assertIn(arg.get_scope(), (scope_call, scope_async,
                                                     scope_notified),
                                  "%s(%s)" % (fn.get_symbol(),
                                              arg.get_name()))
        self.assertGreaterEqual(seen, 7)


class TestErrors(Case):
    def assertQemuUtilError(self, cm, code):
        e = cm.exception
        self.assertEqual(e.domain, DOMAIN)
        self.assertEqual(e.code, int(code))
        self.assertTrue(e.matches(QemuUtil.error_quark(), code))
        self.assertTrue(e.message)

    def test_error_domain_is_registered(self):
        self.assertEqual(GLib.quark_to_string(QemuUtil.error_quark()),
                         DOMAIN)
        # Codes are errno values (OSError-friendly).
        self.assertEqual(int(QemuUtil.Error.BUSY), 16)
        self.assertEqual(int(QemuUtil.Error.WRONG_THREAD), 1)

    def test_polling_iothread_context_is_wrong_thread(self):
        io = QemuUtil.IOThread.new()
        try:
            with self.assertRaises(GLib.Error) as cm:
                io.get_aio_context().poll(False)
            self.assertQemuUtilError(cm, QemuUtil.Error.WRONG_THREAD)
        finally:
            io.join()

    def test_fd_errors(self):
        cb = Callable()
        base = self.refs(cb)
        with self.assertRaises(GLib.Error) as cm:
            QemuUtil.FdWatch.new(self.ctx, -1, QemuUtil.FdEvents.READ, cb)
        self.assertQemuUtilError(cm, QemuUtil.Error.BAD_FD)
        a, b = socket.socketpair()
        try:
            w = QemuUtil.FdWatch.new(self.ctx, a.fileno(),
                                     QemuUtil.FdEvents.READ, cb)
            with self.assertRaises(GLib.Error) as cm:
                QemuUtil.FdWatch.new(self.ctx, a.fileno(),
                                     QemuUtil.FdEvents.WRITE, cb)
            self.assertQemuUtilError(cm, QemuUtil.Error.EXISTS)
            w.delete()
        finally:
            a.close()
            b.close()
        # Failed constructors called the notify: no closure leaked.
        self.assertReleasedOnce(cb, base)

    def test_failed_watch_releases_callable(self):
        """(An invalid clock, the other failing constructor, cannot even
        be built from Python: QemuUtil.Clock(42) is a ValueError.  The C
        test covers it.)"""
        cb = Callable()
        base = self.refs(cb)
        n = QemuUtil.EventNotifier.new()
        try:
            n.watch(self.ctx, lambda: None)
            with self.assertRaises(GLib.Error) as cm:
                n.watch(self.ctx, cb)
            self.assertQemuUtilError(cm, QemuUtil.Error.BUSY)
        finally:
            n.close()
        self.assertReleasedOnce(cb, base)
        with self.assertRaises(ValueError):
            QemuUtil.Clock(42)

    def test_notifier_busy_and_not_found(self):
        n = QemuUtil.EventNotifier.new()
        try:
            with self.assertRaises(GLib.Error) as cm:
                n.unwatch()
            self.assertQemuUtilError(cm, QemuUtil.Error.NOT_FOUND)
            n.watch(self.ctx, lambda: None)
            with self.assertRaises(GLib.Error) as cm:
                n.watch(self.ctx, lambda: None)
            self.assertQemuUtilError(cm, QemuUtil.Error.BUSY)
        finally:
            n.close()

    def test_attach_elsewhere_is_busy(self):
        other = GLib.MainContext.new()
        self.ctx.attach(other)
        self.ctx.attach(other)              # same one: nothing to do
        with self.assertRaises(GLib.Error) as cm:
            self.ctx.attach(None)
        self.assertQemuUtilError(cm, QemuUtil.Error.BUSY)
        self.ctx.detach()
        with self.assertRaises(GLib.Error) as cm:
            self.ctx.attach(other)
        self.assertQemuUtilError(cm, QemuUtil.Error.BUSY)


class TestDestroyNotify(Case):
    def test_bh_released_once_after_delete(self):
        cb = Callable()
        ref = weakref.ref(cb)
        base = self.refs(cb)
        bh = QemuUtil.BH.new(self.ctx, cb)
        self.assertGreater(sys.getrefcount(cb), base)
        bh.schedule()
        bh.schedule()                       # coalesces
        self.assertTrue(self.ctx.poll(False))
        self.assertEqual(cb.calls, 1)
        bh.delete()
        bh.delete()                         # idempotent
        self.assertTrue(bh.is_deleted())
        self.assertReleasedOnce(cb, base)
        del cb
        self.assertIsNone(ref())

    def test_last_unref_deletes(self):
        """Dropping the boxed BH (Python GC) deletes it and releases the
        callable, like delete()."""
        cb = Callable()
        base = self.refs(cb)
        bh = QemuUtil.BH.new(self.ctx, cb)
        bh.schedule()
        del bh
        self.assertReleasedOnce(cb, base)
        self.assertFalse(self.ctx.poll(False))
        self.assertEqual(cb.calls, 0)

    def test_every_kind_released_once(self):
        cb = Callable()
        base = self.refs(cb)
        a, b = socket.socketpair()
        try:
            t = QemuUtil.Timer.new(self.ctx, QemuUtil.Clock.REALTIME, cb)
            t.mod_ns(QemuUtil.Clock.get_ns(QemuUtil.Clock.REALTIME))
            w = QemuUtil.FdWatch.new(self.ctx, a.fileno(),
                                     QemuUtil.FdEvents.WRITE, cb)
            n = QemuUtil.EventNotifier.new()
            n.watch(self.ctx, cb)
            n.set()
            self.ctx.invoke(cb)
            self.ctx.schedule_oneshot(cb)
            while cb.calls < 5:
                self.ctx.poll(True)
            t.delete()
            w.delete()
            n.unwatch()
            n.close()
            # The async-scope one-shot is freed by PyGObject lazily, at
            # its next closure creation: make one.
            QemuUtil.BH.new(self.ctx, lambda: None).delete()
        finally:
            a.close()
            b.close()
        self.assertReleasedOnce(cb, base)

    def test_invoke_never_run_still_released(self):
        """A one-shot queued on a context that is finalized first: the
        callable is not called, but released (once)."""
        cb = Callable()
        base = self.refs(cb)
        ctx = QemuUtil.AioContext.new()
        ctx.invoke(cb)
        self.assertGreater(sys.getrefcount(cb), base)
        del ctx
        self.assertEqual(cb.calls, 0)
        self.assertReleasedOnce(cb, base)

    def test_delete_from_other_thread_while_polling(self):
        """The destroy notify of a handle deleted in another thread while
        this thread dispatches runs here, once, never during a call."""
        in_cb = threading.Event()
        release = threading.Event()
        order = []

        class Cb(Callable):
            def __call__(self, *a):
                order.append("call")
                in_cb.set()
                release.wait(WATCHDOG_MS / 1000)

        cb = Cb()
        base = self.refs(cb)
        bh = QemuUtil.BH.new(self.ctx, cb)
        bh.schedule()

        def deleter():
            in_cb.wait(WATCHDOG_MS / 1000)
            bh.delete()                     # the callback is running
            order.append("deleted")
            release.set()

        t = threading.Thread(target=deleter)
        t.start()
        self.ctx.poll(True)
        t.join()
        self.assertEqual(order, ["call", "deleted"])
        while self.ctx.poll(False):
            pass
        self.assertReleasedOnce(cb, base)


class TestGSource(Case):
    def test_aio_context_runs_inside_glib_main_loop(self):
        """BH from a worker thread, a timer, an fd watch and an invoke, all
        dispatched by GLib.MainLoop.run() on the default context."""
        self.ctx.attach(None)
        loop = GLib.MainLoop.new(None, False)
        me = threading.get_ident()
        seen = {}

        def record(what):
            seen[what] = threading.get_ident()
            if len(seen) == 4:
                loop.quit()

        bh = QemuUtil.BH.new(self.ctx, record, "bh")
        t = QemuUtil.Timer.new(self.ctx, QemuUtil.Clock.REALTIME,
                               record, "timer")
        t.mod_ns(QemuUtil.Clock.get_ns(QemuUtil.Clock.REALTIME) + 2000000)
        a, b = socket.socketpair()
        w = QemuUtil.FdWatch.new(self.ctx, b.fileno(),
                                 QemuUtil.FdEvents.READ,
                                 lambda fd, ev: (os.read(fd, 10),
                                                 record("fd")))
        a.send(b"x")
        threading.Thread(target=bh.schedule).start()
        threading.Thread(target=self.ctx.invoke,
                         args=(record, "invoke")).start()
        try:
            self.run_glib(loop)
        finally:
            bh.delete()
            t.delete()
            w.delete()
            a.close()
            b.close()
            self.ctx.detach()
        self.assertEqual(set(seen), {"bh", "timer", "fd", "invoke"})
        self.assertEqual(set(seen.values()), {me})

    def test_get_source_on_private_main_context(self):
        """The raw GSource door: attach it to a new GMainContext and
        iterate that context by hand."""
        mc = GLib.MainContext.new()
        src = self.ctx.get_source()
        self.assertIsInstance(src, GLib.Source)
        src.attach(mc)
        hits = []
        self.ctx.invoke(hits.append, "x")
        while not hits:
            mc.iteration(True)
        # poll() of an attached context iterates that GMainContext.
        self.ctx.invoke(hits.append, "y")
        while len(hits) < 2:
            self.ctx.poll(True)
        self.assertEqual(hits, ["x", "y"])
        src.destroy()

    def test_glib_loop_in_thread_cross_thread_invokes(self):
        """A GLib.MainLoop in a worker thread runs the context; 4 threads
        x 250 invokes reach it, none lost."""
        mc = GLib.MainContext.new()
        self.ctx.attach(mc)
        loop = GLib.MainLoop.new(mc, False)
        count = [0]
        where = set()
        done = threading.Event()

        def hit():
            count[0] += 1
            where.add(threading.get_ident())
            if count[0] == 1000:
                loop.quit()

        def runner():
            mc.push_thread_default()
            try:
                self.run_glib(loop, mc)
            finally:
                mc.pop_thread_default()
                done.set()

        lt = threading.Thread(target=runner)
        lt.start()
        workers = [threading.Thread(
            target=lambda: [self.ctx.invoke(hit) for _ in range(250)])
            for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        self.assertTrue(done.wait(WATCHDOG_MS / 1000))
        lt.join()
        self.ctx.detach()
        self.assertEqual(count[0], 1000)
        self.assertEqual(where, {lt.ident})


class TestThreads(Case):
    def test_iothread_callbacks_take_the_gil(self):
        """Callbacks run in the IOThread (PyGObject takes the GIL there)
        while this thread keeps running Python."""
        io = QemuUtil.IOThread.new()
        try:
            ctx = io.get_aio_context()
            ran = threading.Event()
            where = []

            def job():
                where.append(threading.get_ident())
                ran.set()

            ctx.invoke(job)
            spins = 0
            while not ran.is_set():
                spins += 1              # we hold the GIL between waits
                ran.wait(0.001)
                self.assertLess(spins, WATCHDOG_MS)
            self.assertNotEqual(where[0], threading.get_ident())
        finally:
            io.join()
            io.join()                   # idempotent

    def test_blocking_poll_releases_gil(self):
        progress = [0]

        def spinner():
            while progress[0] < 50000:
                progress[0] += 1
            self.ctx.notify()
            self.ctx.invoke(lambda: None)

        t = threading.Thread(target=spinner)
        t.start()
        guard = QemuUtil.Timer.new(self.ctx, QemuUtil.Clock.REALTIME,
                                   lambda: None)
        guard.mod_ns(QemuUtil.Clock.get_ns(QemuUtil.Clock.REALTIME) +
                     WATCHDOG_MS * 1000000)
        while progress[0] < 50000:
            self.ctx.poll(True)
        t.join()
        self.assertFalse(guard.is_pending() is False and progress[0] == 0)
        guard.delete()

    def test_poller_out_timeout(self):
        p = QemuUtil.Poller.new(self.ctx)
        try:
            self.assertGreaterEqual(p.get_fd(), 0)
            ran, timeout = p.iterate()
            self.assertEqual(timeout, -1)
            t = QemuUtil.Timer.new(self.ctx, QemuUtil.Clock.REALTIME,
                                   lambda: None)
            t.mod_ns(QemuUtil.Clock.get_ns(QemuUtil.Clock.REALTIME) +
                     3600 * 10**9)
            ran, timeout = p.iterate()
            self.assertGreater(timeout, 3500 * 10**9)
            t.delete()
            with self.assertRaises(GLib.Error):
                self.ctx.attach(None)   # a poller owns the context
        finally:
            p.close()


if __name__ == "__main__":
    if LOAD_ERROR:
        sys.exit(taprunner.run(None, skip_all=LOAD_ERROR))
    suite = unittest.TestLoader().loadTestsFromModule(sys.modules[__name__])
    sys.exit(taprunner.run(suite))
