#!/usr/bin/python3
# qtest-lite protocol from Python: reply formats, failures, round trips.
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Python client (qemuutil.qtest) against vmm-mini's qtest mode."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qtest_loader                                         # noqa: E402

qtest = qtest_loader.load_qtest()


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        self.qt = qtest.QTest()

    def tearDown(self):
        self.assertEqual(self.qt.quit(), 0)

    def test_malformed_requests_fail(self):
        for req in ["outb", "outb 0x10000 1", "writeb 0 0x100",
                    "read 0 0", "read 0xa0000 1", "write 0 1 0xzz",
                    "b64write 0 3 A=AA", "memset 0 1 0x100",
                    "clock_step x", "clock_step 0", "irq_intercept_in x",
                    "nosuch", "", "endianness 1"]:
            with self.subTest(req=req):
                self.assertTrue(self.qt.cmd(req).startswith("FAIL "))
        self.assertEqual(self.qt.cmd("frob"), "FAIL Unknown command 'frob'")
        with self.assertRaises(qtest.QTestError) as cm:
            self.qt.inb(0x10000)
        self.assertEqual(cm.exception.reply,
                         "FAIL inb: port 0x10000 is above 0xffff")

    def test_reply_formats(self):
        self.assertEqual(self.qt.cmd("endianness"), "OK little")
        self.assertEqual(self.qt.cmd("inl 0x700"), "OK 0x4c454244")
        self.assertEqual(self.qt.cmd("readl 0xd0000"),
                         "OK 0x000000004c454244")
        self.assertEqual(self.qt.cmd("clock_step 5"), "OK 5")
        self.assertEqual(self.qt.cmd("clock_set 3"), "FAIL 5")

    def test_roundtrips(self):
        data = bytes(range(256)) * 5 + b"\x01\x02"
        for size in (1, 2, 3, 4, 5, 100, len(data)):
            chunk = data[:size]
            self.qt.bufwrite(0x9000, chunk)
            self.assertEqual(self.qt.memread(0x9000, size), chunk)
            self.qt.memwrite(0x9800, chunk[::-1])
            self.assertEqual(self.qt.bufread(0x9800, size), chunk[::-1])
        self.qt.memset(0x9000, 0xab, 8)
        self.assertEqual(self.qt.readq(0x9000), 0xabababababababab)
        self.qt.writeq(0x9000, 0x0102030405060708)
        self.assertEqual(self.qt.memread(0x9000, 2), b"\x08\x07")


if __name__ == "__main__":
    qtest_loader.main(sys.modules[__name__])
