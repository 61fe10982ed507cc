#!/usr/bin/python3
# echo_server.py: a TCP echo server on a qemuutil AioContext.
# SPDX-License-Identifier: GPL-2.0-or-later
"""An echo server built from the three basic pieces of qemuutil:

- ``add_reader``: the listening socket and each connection;
- a timer: prints how many bytes were echoed, every second;
- a BH scheduled from a worker thread: the worker counts connections
  closed and asks the loop (thread-safely) to report them.

Run it (from the source tree, after ``meson compile -C build``)::

    PYTHONPATH=build/bindings/python /usr/bin/python3 \\
        examples/python/echo_server.py --port 5555
    # elsewhere: nc localhost 5555

Ctrl+C stops it.  ``--self-test`` starts a client thread, checks the
echoes and exits (0 on success); the test suite runs it that way.
"""

import argparse
import queue
import socket
import sys
import threading

import qemuutil


class EchoServer:
    def __init__(self, ctx, port):
        self.ctx = ctx
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.echoed = 0
        self.closed = 0
        ctx.add_reader(self.listener, self.accept)

        # Timer: a status line every second (re-armed by itself).
        self.stats = ctx.timer(self.print_stats)
        self.stats.mod(ctx.time() + 1)

        # Worker thread + BH: the worker hands work back to the loop.
        self.closed_q = queue.Queue()
        self.report_bh = ctx.bh(self.report_closed)
        self.worker = threading.Thread(target=self.count_closed, daemon=True)
        self.worker.start()

    def accept(self):
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:
            return
        conn.setblocking(False)
        self.ctx.add_reader(conn, self.echo, conn)

    def echo(self, conn):
        try:
            data = conn.recv(4096)
        except BlockingIOError:
            return
        if not data:
            self.ctx.remove_reader(conn)
            self.closed_q.put(conn.fileno())
            conn.close()
            return
        conn.sendall(data)      # small replies: the socket buffer has room
        self.echoed += len(data)

    def print_stats(self):
        print("echoed %d bytes" % self.echoed, flush=True)
        self.stats.mod(self.ctx.time() + 1)

    def count_closed(self):
        # Runs in its own thread: never touches the loop's state directly.
        while self.closed_q.get() is not None:
            self.closed += 1
            self.report_bh.schedule()          # thread-safe

    def report_closed(self):
        print("connections closed so far: %d" % self.closed, flush=True)

    def close(self):
        self.closed_q.put(None)
        self.worker.join()
        self.ctx.remove_reader(self.listener)
        self.listener.close()


def self_test(port, done):
    lines = [b"hello\n", b"qemuutil\n", b"x" * 1000 + b"\n"]
    with socket.create_connection(("127.0.0.1", port)) as c:
        for line in lines:
            c.sendall(line)
            got = b""
            while len(got) < len(line):
                got += c.recv(4096)
            assert got == line, (got, line)
    done.append(True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=5555)
    ap.add_argument("--self-test", action="store_true")
    opts = ap.parse_args()

    with qemuutil.AioContext() as ctx:
        server = EchoServer(ctx, 0 if opts.self_test else opts.port)
        print("listening on 127.0.0.1:%d" % server.port, flush=True)
        if not opts.self_test:
            try:
                while True:
                    ctx.poll()
            except KeyboardInterrupt:
                print("bye")
            server.close()
            return 0

        done = []
        client = threading.Thread(target=self_test, args=(server.port, done))
        client.start()
        ok = ctx.run_until(lambda: done and server.closed >= 1, timeout=10)
        client.join()
        server.close()
        print("self-test:", "ok" if ok else "FAILED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
