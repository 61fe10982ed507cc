#!/usr/bin/python3
# qtest-lite device tests in Python: doorbell, timer, serial, exit.
# SPDX-License-Identifier: GPL-2.0-or-later
"""The same vmm-mini devices as the C tests, driven from Python."""

import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qtest_loader                                         # noqa: E402

qtest = qtest_loader.load_qtest()

# vmm-mini/guest/abi.h
DB_PIO, DB_MMIO = 0x700, 0xD0000
GSI_DB_PIO, GSI_DB_MMIO, GSI_TIMER = 5, 6, 3
DB_ID, DB_RING_ADDR, DB_RING_SIZE, DB_NOTIFY, DB_STATUS = 0, 4, 8, 0xc, 0x10
ERR_BAD_REG, ERR_BAD_RING, ERR_OVERFLOW, ERR_BAD_DESC = 1, 2, 4, 8
OP_NOP, OP_FILL, OP_SUM = 0, 1, 2
DESC_OK, DESC_BAD_OP, DESC_BAD_ADDR = 0x01, 0x81, 0x82
TIMER, SERIAL, EXIT = 0x720, 0x3f8, 0x7f0
RING, BUF = 0x8000, 0x9000


def desc(op, length, addr, arg):
    return struct.pack("<BBHIII", op, 0, length, addr, arg, 0)


class Doorbell:
    """One doorbell instance, through port or memory-mapped registers."""

    def __init__(self, qt, mmio):
        self.qt, self.mmio = qt, mmio
        self.base = DB_MMIO if mmio else DB_PIO
        self.gsi = GSI_DB_MMIO if mmio else GSI_DB_PIO

    def rd(self, off):
        if self.mmio:
            return self.qt.readl(self.base + off)
        return self.qt.inl(self.base + off)

    def wr(self, off, val):
        if self.mmio:
            self.qt.writel(self.base + off, val)
        else:
            self.qt.outl(self.base + off, val)

    def kick_and_wait(self):
        before = self.qt.irq_raises(self.gsi)
        if self.mmio:
            self.qt.writew(self.base + DB_NOTIFY, 0)
        else:
            self.qt.outw(self.base + DB_NOTIFY, 0)
        self.qt.wait_irq(self.gsi, before + 1)


class DoorbellTest(unittest.TestCase):
    def run_variant(self, mmio):
        with qtest.QTest() as qt:
            qt.irq_intercept_in("ioapic")
            db = Doorbell(qt, mmio)
            self.assertEqual(db.rd(DB_ID), 0x4c454244)
            db.wr(DB_RING_ADDR, RING)
            db.wr(DB_RING_SIZE, 4)
            qt.bufwrite(BUF + 0x100, bytes(range(1, 11)))
            qt.memwrite(RING + 8, desc(OP_FILL, 16, BUF, 0x5a) +
                        desc(OP_SUM, 10, BUF + 0x100, 0) +
                        desc(7, 1, BUF, 0) +
                        desc(OP_FILL, 64, 0x9fff0, 1))
            qt.writew(RING, 4)
            db.kick_and_wait()
            self.assertEqual(qt.readw(RING + 2), 4)
            ring = qt.memread(RING + 8, 64)
            self.assertEqual([ring[16 * i + 1] for i in range(4)],
                             [DESC_OK, DESC_OK, DESC_BAD_OP, DESC_BAD_ADDR])
            self.assertEqual(struct.unpack_from("<I", ring, 16 + 12)[0], 55)
            self.assertEqual(qt.memread(BUF, 17), b"\x5a" * 16 + b"\0")
            self.assertEqual(db.rd(DB_STATUS), ERR_BAD_DESC)
            db.wr(DB_STATUS, 0xffffffff)
            # Errors: unknown register, ring overflow; still serving.
            self.assertEqual(db.rd(0x1c), 0xffffffff)
            self.assertEqual(db.rd(DB_STATUS), ERR_BAD_REG)
            qt.writew(RING, 4 + 9)
            db.kick_and_wait()
            self.assertEqual(db.rd(DB_STATUS), ERR_BAD_REG | ERR_OVERFLOW)
            db.wr(DB_RING_ADDR, 0x9ffff)
            db.kick_and_wait()
            self.assertTrue(db.rd(DB_STATUS) & ERR_BAD_RING)
            self.assertFalse(qt.get_irq(db.gsi))

    def test_pio(self):
        self.run_variant(False)

    def test_mmio(self):
        self.run_variant(True)


class TimerTest(unittest.TestCase):
    def test_exact_virtual_time(self):
        with qtest.QTest() as qt:
            qt.irq_intercept_in("ioapic")
            qt.outl(TIMER + 4, 100)
            qt.outl(TIMER, 1 | 2)               # enable, periodic
            self.assertEqual(qt.clock_step(99_999), 99_999)
            self.assertEqual(qt.irq_raises(GSI_TIMER), 0)
            self.assertEqual(qt.clock_step(1), 100_000)
            self.assertEqual(qt.irq_raises(GSI_TIMER), 1)
            self.assertEqual(qt.clock_step(), 200_000)
            self.assertEqual(qt.clock_set(1_000_000), 1_000_000)
            self.assertEqual(qt.irq_raises(GSI_TIMER), 10)
            self.assertEqual(qt.inl(TIMER + 8), 10)


class SerialExitTest(unittest.TestCase):
    def test_serial_to_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "serial.txt")
            qt = qtest.QTest(args=["--serial-file", path])
            for ch in b"py says hi\n":
                self.assertEqual(qt.inb(SERIAL + 5) & 0x20, 0x20)
                qt.outb(SERIAL, ch)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), b"py says hi\n")
            self.assertEqual(qt.quit(), 0)

    def test_exit_status(self):
        qt = qtest.QTest()
        qt.outb(EXIT, 7)
        self.assertEqual(qt.quit(), 7)


if __name__ == "__main__":
    qtest_loader.main(sys.modules[__name__])
