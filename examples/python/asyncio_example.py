#!/usr/bin/python3
# asyncio_example.py: qemuutil and asyncio in one program, both ways.
# SPDX-License-Identifier: GPL-2.0-or-later
"""1. asyncio drives an AioContext: its BHs, timers and fd readers run in
   the asyncio loop (``ctx.attach_to_asyncio()``).
2. asyncio awaits work done elsewhere: a function run in an IOThread
   (``qemuutil.aio.run_in_context``) and an EventNotifier set by a plain
   thread (``await notifier.wait()``).

Run it::

    PYTHONPATH=build/bindings/python /usr/bin/python3 \\
        examples/python/asyncio_example.py
"""

import asyncio
import threading

import qemuutil
import qemuutil.aio


async def main():
    loop = asyncio.get_running_loop()

    # 1. A context run by asyncio.
    with qemuutil.AioContext() as ctx, ctx.attach_to_asyncio(loop):
        ticks = loop.create_future()
        ctx.call_later(0.05, ticks.set_result, "qemuutil timer fired")
        ctx.call_soon_threadsafe(print, "qemuutil one-shot ran in the "
                                 "asyncio thread")
        print(await ticks)

        # 2a. Work in an IOThread, awaited here.
        with qemuutil.IOThread() as io:
            name = await qemuutil.aio.run_in_context(
                io.context, lambda: threading.current_thread().name)
            print("IOThread work ran in thread", repr(name))

            # 2b. An EventNotifier set by a worker thread, watched by the
            # IOThread, awaited by asyncio.
            with qemuutil.EventNotifier() as n:
                threading.Thread(target=n.set).start()
                await n.wait(io.context)
                print("EventNotifier wake-up awaited")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
