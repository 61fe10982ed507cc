# qemuutil.qtest: a pure-Python qtest-lite client for vmm-mini.
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive vmm-mini's devices from Python through its qtest accelerator.

A first example::

    from qemuutil.qtest import QTest

    with QTest("build/vmm-mini/vmm-mini") as qt:
        qt.irq_intercept_in("ioapic")
        qt.outl(0x724, 100)             # timer period: 100 us
        qt.outl(0x720, 1)               # enable, one-shot
        qt.clock_step(99_999)
        assert qt.irq_raises(3) == 0
        qt.clock_step(1)
        assert qt.irq_raises(3) == 1    # exactly at 100 us

The method names follow QEMU's libqtest (``outb``, ``readl``,
``memwrite``, ``clock_step``...).  Every request waits for its reply;
``IRQ raise N``/``IRQ lower N`` lines that arrive first are recorded.  A
reply other than ``OK`` raises :class:`QTestError`; :meth:`QTest.cmd`
returns the raw reply instead.  Pure Python: it needs no native module.
See docs/qtest-lite.rst.
"""

import base64
import os
import select
import shlex
import socket
import subprocess
import tempfile
import time

__all__ = ["QTest", "QTestError"]

MAX_IRQ = 256


class QTestError(Exception):
    """A request failed; ``request`` and ``reply`` say which and why."""

    def __init__(self, request, reply):
        super().__init__("%r got %r" % (request, reply))
        self.request = request
        self.reply = reply


class QTest:
    """One vmm-mini process in qtest mode, and the connection to it.

    *binary* defaults to ``$QTEST_VMM_MINI``.  *args* are more vmm-mini
    options (a list, or a shell-quoted string).  *timeout* (seconds)
    bounds every wait for the server; it only catches hangs.
    """

    def __init__(self, binary=None, args=(), timeout=30.0, log=None):
        binary = binary or os.environ.get("QTEST_VMM_MINI")
        if not binary:
            raise ValueError("no vmm-mini binary: pass one or set "
                             "QTEST_VMM_MINI")
        if isinstance(args, str):
            args = shlex.split(args)
        mult = int(os.environ.get("QTEST_LITE_TIMEOUT_MULT", "1") or 1)
        self.timeout = timeout * max(mult, 1)
        self.irq_level = [False] * MAX_IRQ
        self._raises = [0] * MAX_IRQ
        self._buf = b""
        self._sock = None
        self._tmpdir = tempfile.TemporaryDirectory(prefix="qtest-lite-")
        path = os.path.join(self._tmpdir.name, "qtest.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(path)
            listener.listen(1)
            cmd = [binary, "-accel", "qtest", "-qtest", "unix:" + path]
            if log:
                cmd += ["-qtest-log", log]
            # stdout would mix the serial console with ours: use stderr.
            self.proc = subprocess.Popen(cmd + list(args),
                                         stdout=2, stdin=subprocess.DEVNULL)
            listener.settimeout(0.2)
            deadline = time.monotonic() + self.timeout
            while self._sock is None:
                try:
                    self._sock, _ = listener.accept()
                except socket.timeout:
                    # Bounded wait for the connection; fail fast if the
                    # process died instead.
                    if self.proc.poll() is not None:
                        raise RuntimeError(
                            "vmm-mini exited with %d before connecting"
                            % self.proc.returncode) from None
                    if time.monotonic() > deadline:
                        raise
        finally:
            listener.close()
        self._sock.settimeout(None)
        self.cmd("endianness")

    # -- lines ---------------------------------------------------------

    def _read_line(self):
        while b"\n" not in self._buf:
            ready, _, _ = select.select([self._sock], [], [], self.timeout)
            if not ready:
                raise TimeoutError("no answer from vmm-mini within %.0f s"
                                   % self.timeout)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("vmm-mini closed the connection")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode("ascii", "replace")

    def _async(self, line):
        words = line.split()
        if len(words) != 3 or words[0] != "IRQ" or \
                words[1] not in ("raise", "lower"):
            return False
        n = int(words[2])
        self.irq_level[n] = words[1] == "raise"
        if words[1] == "raise":
            self._raises[n] += 1
        return True

    def cmd(self, request):
        """Send *request* (one line, no newline) and return the reply line
        as it is, ``OK ...`` or ``FAIL ...``."""
        self._sock.sendall(request.encode() + b"\n")
        while True:
            line = self._read_line()
            if not self._async(line):
                return line

    def _ok(self, request):
        reply = self.cmd(request)
        if reply != "OK" and not reply.startswith("OK "):
            raise QTestError(request, reply)
        return reply[3:]

    def _num(self, request):
        return int(self._ok(request), 0)

    # -- I/O -------------------------------------------------------------

    def outb(self, addr, value):
        self._ok("outb 0x%x 0x%x" % (addr, value))

    def outw(self, addr, value):
        self._ok("outw 0x%x 0x%x" % (addr, value))

    def outl(self, addr, value):
        self._ok("outl 0x%x 0x%x" % (addr, value))

    def inb(self, addr):
        return self._num("inb 0x%x" % addr)

    def inw(self, addr):
        return self._num("inw 0x%x" % addr)

    def inl(self, addr):
        return self._num("inl 0x%x" % addr)

    def writeb(self, addr, value):
        self._ok("writeb 0x%x 0x%x" % (addr, value))

    def writew(self, addr, value):
        self._ok("writew 0x%x 0x%x" % (addr, value))

    def writel(self, addr, value):
        self._ok("writel 0x%x 0x%x" % (addr, value))

    def writeq(self, addr, value):
        self._ok("writeq 0x%x 0x%x" % (addr, value))

    def readb(self, addr):
        return self._num("readb 0x%x" % addr)

    def readw(self, addr):
        return self._num("readw 0x%x" % addr)

    def readl(self, addr):
        return self._num("readl 0x%x" % addr)

    def readq(self, addr):
        return self._num("readq 0x%x" % addr)

    def memread(self, addr, size):
        """*size* bytes of guest RAM, through ``read`` (hex)."""
        if size == 0:
            return b""
        data = self._ok("read 0x%x 0x%x" % (addr, size))
        return bytes.fromhex(data[2:])

    def memwrite(self, addr, data):
        """Store *data* in guest RAM through ``write`` (hex)."""
        self._ok("write 0x%x 0x%x 0x%s" % (addr, len(data),
                                             bytes(data).hex()))

    def bufread(self, addr, size):
        """*size* bytes of guest RAM, through ``b64read``."""
        if size == 0:
            return b""
        return base64.b64decode(self._ok("b64read 0x%x 0x%x" % (addr, size)),
                                validate=True)

    def bufwrite(self, addr, data):
        """Store *data* in guest RAM through ``b64write``."""
        if len(data) == 0:
            return
        self._ok("b64write 0x%x 0x%x %s" % (
            addr, len(data), base64.b64encode(bytes(data)).decode()))

    def memset(self, addr, value, size):
        self._ok("memset 0x%x 0x%x 0x%x" % (addr, size, value))

    # -- clock and interrupts ---------------------------------------------

    def clock_step(self, ns=None):
        """Advance the virtual clock by *ns* (default: to the next timer
        deadline); returns the new time in ns."""
        if ns is None:
            return self._num("clock_step")
        return self._num("clock_step %d" % ns)

    def clock_set(self, ns):
        return self._num("clock_set %d" % ns)

    def irq_intercept_in(self, path):
        self._ok("irq_intercept_in %s" % path)

    def irq_intercept_out(self, path):
        self._ok("irq_intercept_out %s" % path)

    def get_irq(self, n):
        """The last reported level of line *n*, after a round trip."""
        self._ok("endianness")
        return self.irq_level[n]

    def irq_raises(self, n):
        """Rising edges of line *n* seen so far (no round trip)."""
        return self._raises[n]

    def wait_irq(self, n, count):
        """Wait until line *n* has been raised *count* times in total: for
        work that runs in vmm-mini's main loop after a reply, such as a
        doorbell handler."""
        while self._raises[n] < count:
            line = self._read_line()
            if not self._async(line):
                raise QTestError("(waiting for IRQ %d)" % n, line)

    # -- lifetime ------------------------------------------------------------

    def quit(self):
        """Hang up and wait for vmm-mini; returns its exit status."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        try:
            rc = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self._tmpdir.cleanup()
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.returncode is None:
            self.quit()
        return False
