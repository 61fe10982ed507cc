#!/usr/bin/python3
# test_examples: the scripts in examples/python/ run as documented.
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs each example in a child interpreter (same environment as this
one, so the uninstalled package is used) and checks its output; the echo
server is also stopped with SIGINT, as a user would with Ctrl+C."""

import os
import signal
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taprunner                                            # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "..", "examples", "python")


def example(name):
    return [sys.executable, os.path.join(EXAMPLES, name)]


class TestExamples(unittest.TestCase):
    def test_echo_server_self_test(self):
        r = subprocess.run(example("echo_server.py") + ["--self-test"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("self-test: ok", r.stdout)

    def test_echo_server_ctrl_c(self):
        """Serve a client, then SIGINT: the blocking poll() wakes up with
        KeyboardInterrupt and the server exits cleanly."""
        p = subprocess.Popen(example("echo_server.py") + ["--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True,
                             # A background child may inherit SIGINT
                             # ignored; give it the default back.
                             preexec_fn=lambda: signal.signal(
                                 signal.SIGINT, signal.SIG_DFL))
        try:
            line = p.stdout.readline()
            self.assertTrue(line.startswith("listening on"), line)
            port = int(line.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port)) as c:
                c.sendall(b"abc")
                self.assertEqual(c.recv(10), b"abc")
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("bye", out)

    def test_asyncio_example(self):
        r = subprocess.run(example("asyncio_example.py"),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("qemuutil timer fired", r.stdout)
        self.assertIn("EventNotifier wake-up awaited", r.stdout)


if __name__ == "__main__":
    suite = unittest.TestLoader().loadTestsFromTestCase(TestExamples)
    sys.exit(taprunner.run(suite))
