# qemuutil: QEMU's event loop (AioContext, BHs, timers, main loop) for Python.
# SPDX-License-Identifier: GPL-2.0-or-later
"""qemuutil for Python.

A first example::

    import qemuutil

    with qemuutil.AioContext() as ctx:
        ctx.call_later(0.1, print, "100 ms later")
        ctx.call_soon_threadsafe(print, "soon")
        ctx.run_until(lambda: ctx.timeout() is None)

See docs/bindings.rst for fd readers, IOThreads, the main loop and asyncio
(:mod:`qemuutil.aio`).
"""

from ._errors import QemuUtilError, BusyError, WrongThreadError
from ._core import (
    AioContext, BH, Timer, TimerHandle, EventNotifier, IOThread, MainLoop,
    CLOCK_REALTIME, CLOCK_VIRTUAL, CLOCK_HOST, CLOCK_VIRTUAL_RT, READ, WRITE,
    set_exception_handler, report_exception, live_handles, version,
)

__all__ = [
    "AioContext", "BH", "Timer", "TimerHandle", "EventNotifier", "IOThread",
    "MainLoop", "QemuUtilError", "BusyError", "WrongThreadError",
    "CLOCK_REALTIME", "CLOCK_VIRTUAL", "CLOCK_HOST", "CLOCK_VIRTUAL_RT",
    "READ", "WRITE", "set_exception_handler", "report_exception",
    "live_handles", "version",
]
__version__ = version()
