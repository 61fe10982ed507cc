#!/usr/bin/python3
# bench_callbacks.py: Python callback throughput, qemuutil vs asyncio/GLib.
# SPDX-License-Identifier: GPL-2.0-or-later
"""Three workloads, each a chain of N Python callbacks, timed per callback:

  bh       a callback that schedules itself again (same thread):
           qemuutil BH.schedule() | asyncio call_soon | GLib.idle_add
  xthread  a second thread submits N one-shots, the loop thread runs them:
           call_soon_threadsafe (qemuutil one-shot BH | asyncio) |
           GLib.idle_add from the thread
  timer    a zero-delay timer that re-arms itself:
           call_later(0) (qemuutil | asyncio) | GLib.timeout_add(0)

Backends: qemuutil through SWIG (the package), qemuutil through GI
(gi.repository.QemuUtil, if its typelib is found), asyncio, GLib.  The
table gives ns per callback and the ratio of asyncio's time to each
backend's (higher is better; >= 1.0 means at least as fast as asyncio).
Targets: SWIG >= 1.0x asyncio call_soon, GI >= 0.5x.

Usage: bench_callbacks.py [-n N] [--repeat R]   (best of R runs)
"""

import argparse
import asyncio
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "python"))


# -- qemuutil (SWIG) ---------------------------------------------------------

def qu_bh(qu, n):
    with qu.AioContext() as ctx:
        left = [n]

        def cb():
            left[0] -= 1
            if left[0]:
                bh.schedule()

        bh = ctx.bh(cb)
        t0 = time.perf_counter()
        bh.schedule()
        poll = ctx.poll
        while left[0]:
            poll(False)
        return time.perf_counter() - t0


def qu_xthread(qu, n):
    with qu.AioContext() as ctx:
        left = [n]

        def cb():
            left[0] -= 1

        def producer():
            soon = ctx.call_soon_threadsafe
            for _ in range(n):
                soon(cb)

        t = threading.Thread(target=producer)
        t0 = time.perf_counter()
        t.start()
        poll = ctx.poll
        while left[0]:
            poll(True)
        dt = time.perf_counter() - t0
        t.join()
        return dt


def qu_timer(qu, n):
    with qu.AioContext() as ctx:
        left = [n]

        def cb():
            left[0] -= 1
            if left[0]:
                ctx.call_later(0, cb)

        t0 = time.perf_counter()
        ctx.call_later(0, cb)
        poll = ctx.poll
        while left[0]:
            poll(True)
        return time.perf_counter() - t0


# -- asyncio -----------------------------------------------------------------

def aio_bh(n):
    loop = asyncio.new_event_loop()
    left = [n]
    done = loop.create_future()

    def cb():
        left[0] -= 1
        if left[0]:
            loop.call_soon(cb)
        else:
            done.set_result(None)

    t0 = time.perf_counter()
    loop.call_soon(cb)
    loop.run_until_complete(done)
    dt = time.perf_counter() - t0
    loop.close()
    return dt


def aio_xthread(n):
    loop = asyncio.new_event_loop()
    left = [n]
    done = loop.create_future()

    def cb():
        left[0] -= 1
        if not left[0]:
            done.set_result(None)

    def producer():
        soon = loop.call_soon_threadsafe
        for _ in range(n):
            soon(cb)

    t = threading.Thread(target=producer)
    t0 = time.perf_counter()
    t.start()
    loop.run_until_complete(done)
    dt = time.perf_counter() - t0
    t.join()
    loop.close()
    return dt


def aio_timer(n):
    loop = asyncio.new_event_loop()
    left = [n]
    done = loop.create_future()

    def cb():
        left[0] -= 1
        if left[0]:
            loop.call_later(0, cb)
        else:
            done.set_result(None)

    t0 = time.perf_counter()
    loop.call_later(0, cb)
    loop.run_until_complete(done)
    dt = time.perf_counter() - t0
    loop.close()
    return dt


# -- GLib --------------------------------------------------------------------

def glib_run(GLib, n, start):
    ctx = GLib.MainContext.new()
    ctx.push_thread_default()
    loop = GLib.MainLoop.new(ctx, False)
    left = [n]
    t0 = time.perf_counter()
    start(ctx, loop, left)
    loop.run()
    dt = time.perf_counter() - t0
    ctx.pop_thread_default()
    return dt


def glib_bh(GLib, n):
    def start(ctx, loop, left):
        def cb():
            left[0] -= 1
            if left[0]:
                return True
            loop.quit()
            return False

        src = GLib.idle_source_new()
        src.set_callback(lambda *a: cb())
        src.attach(ctx)

    return glib_run(GLib, n, start)


def glib_xthread(GLib, n):
    def start(ctx, loop, left):
        def cb(*a):
            left[0] -= 1
            if not left[0]:
                loop.quit()
            return False

        def producer():
            for _ in range(n):
                src = GLib.idle_source_new()
                src.set_callback(cb)
                src.attach(ctx)

        threading.Thread(target=producer, daemon=True).start()

    return glib_run(GLib, n, start)


def glib_timer(GLib, n):
    def start(ctx, loop, left):
        def arm():
            src = GLib.timeout_source_new(0)
            src.set_callback(cb)
            src.attach(ctx)

        def cb(*a):
            left[0] -= 1
            if left[0]:
                arm()
            else:
                loop.quit()
            return False

        arm()

    return glib_run(GLib, n, start)


# -- driver ------------------------------------------------------------------

def best(fn, repeat):
    return min(fn() for _ in range(repeat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=3)
    opts = ap.parse_args()
    n, r = opts.n, opts.repeat

    backends = []
    import qemuutil
    backends.append(("qemuutil/SWIG", qemuutil))
    try:
        import gi_backend
        backends.append(("qemuutil/GI", gi_backend.load()))
    except Exception as e:                      # noqa: BLE001
        print("# qemuutil/GI: skipped (%s)" % e)
    try:
        import gi
        from gi.repository import GLib
    except Exception as e:                      # noqa: BLE001
        GLib = None
        print("# GLib: skipped (%s)" % e)

    workloads = [
        ("bh", "BH schedule -> callback", aio_bh,
         lambda qu: qu_bh(qu, n), glib_bh),
        ("xthread", "cross-thread schedule -> callback", aio_xthread,
         lambda qu: qu_xthread(qu, n), glib_xthread),
        ("timer", "timer fire (call_later 0)", aio_timer,
         lambda qu: qu_timer(qu, n), glib_timer),
    ]
    print("# %d callbacks per run, best of %d; ns per callback; "
          "x = asyncio time / backend time" % (n, r))
    print("%-10s %-18s %10s %8s" % ("workload", "backend", "ns/cb", "x"))
    rows = []
    for key, title, aio_fn, qu_fn, glib_fn in workloads:
        base = best(lambda: aio_fn(n), r)
        results = [("asyncio", base)]
        for name, qu in backends:
            results.append((name, best(lambda: qu_fn(qu), r)))
        if GLib is not None:
            results.append(("GLib", best(lambda: glib_fn(GLib, n), r)))
        for name, dt in results:
            print("%-10s %-18s %10.0f %7.2fx" % (key, name, dt / n * 1e9,
                                                 base / dt))
            rows.append((key, name, base / dt))
    # Targets (the issue's): BH chain vs asyncio call_soon.
    for key, name, x in rows:
        if key == "bh" and name == "qemuutil/SWIG":
            print("# target SWIG >= 1.0x asyncio call_soon: %s (%.2fx)" %
                  ("met" if x >= 1.0 else "MISSED", x))
        if key == "bh" and name == "qemuutil/GI":
            print("# target GI >= 0.5x asyncio call_soon: %s (%.2fx)" %
                  ("met" if x >= 0.5 else "MISSED", x))
    return 0


if __name__ == "__main__":
    sys.exit(main())
