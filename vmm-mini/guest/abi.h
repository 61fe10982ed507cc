/*
 * vmm-mini guest ABI: the machine's memory map, I/O ports, interrupt lines
 * and device register layouts, shared by the VMM (C) and the guests (GNU as
 * through the C preprocessor).  Only #define lines: both languages read it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef VMM_GUEST_ABI_H
#define VMM_GUEST_ABI_H

/*
 * Memory map (guest physical).  The guest starts in real mode at
 * 0000:VMM_GUEST_LOAD_ADDR with DS = ES = SS = 0, so everything it touches
 * with plain 16-bit addressing lives in the first 64 KiB.
 *
 *   0x00000  interrupt vector table (256 x 4 bytes)
 *   0x00500  boot info, filled by the VMM (see VMM_BOOT_*)
 *   0x00600  stack, growing down from VMM_GUEST_STACK_TOP
 *   0x01000  the guest image (at most VMM_GUEST_MAX_SIZE bytes)
 *   0x08000  scratch memory for rings and buffers (guest's choice)
 *   0xA0000  end of RAM
 *   0xD0000  the MMIO doorbell device (not RAM: accesses exit to the VMM)
 */
#define VMM_RAM_SIZE            0xA0000
#define VMM_GUEST_LOAD_ADDR     0x1000
#define VMM_GUEST_MAX_SIZE      0x7000
#define VMM_GUEST_STACK_TOP     0x1000
#define VMM_GUEST_SCRATCH       0x8000

/* A guest image starts with a jump, then this magic at byte offset 4. */
#define VMM_GUEST_MAGIC_OFFSET  4
#define VMM_GUEST_MAGIC         "VMMG"

/* Boot info: little-endian fields written by the VMM before the vCPU runs. */
#define VMM_BOOT_INFO           0x0500
#define VMM_BOOT_ITERATIONS     0x0500  /* u32: bench round trips */
#define VMM_BOOT_MODE           0x0504  /* u16: VMM_BENCH_MODE_* */
#define VMM_BOOT_WARMUP         0x0506  /* u16: untimed round trips first */

#define VMM_BENCH_MODE_DOORBELL_PIO     0
#define VMM_BENCH_MODE_DOORBELL_MMIO    1
#define VMM_BENCH_MODE_RAW_OUT          2

/* Interrupt lines (GSIs = master PIC inputs; the guest maps them). */
#define VMM_IRQ_TIMER           3
#define VMM_IRQ_DOORBELL_PIO    5
#define VMM_IRQ_DOORBELL_MMIO   6
#define VMM_PIC_VECTOR_BASE     0x20    /* what our guests program */

/* Serial console: a 16550 subset at the usual COM1 ports. */
#define VMM_SERIAL_BASE         0x3f8
#define VMM_SERIAL_THR          0       /* write: transmit a byte */
#define VMM_SERIAL_LSR          5       /* read: line status */
#define VMM_SERIAL_LSR_THRE     0x20
#define VMM_SERIAL_LSR_TEMT     0x40

/* Exit device: byte-wide registers. */
#define VMM_EXIT_BASE           0x7f0
#define VMM_EXIT_STATUS         0       /* write: guest exit status */
#define VMM_EXIT_MARK           1       /* write 1/2: bench start/stop */
#define VMM_EXIT_PROBE          2       /* write: raw exit, no device work */
#define VMM_EXIT_SIZE           4

/*
 * Doorbell device: 32-bit registers (NOTIFY also takes 16-bit writes, the
 * width the guests ring it with).  PIO window at VMM_DOORBELL_PIO_BASE,
 * MMIO window at VMM_DOORBELL_MMIO_BASE; the two are separate instances.
 */
#define VMM_DOORBELL_PIO_BASE   0x700
#define VMM_DOORBELL_MMIO_BASE  0xD0000
#define VMM_DOORBELL_MMIO_SEG   0xD000
#define VMM_DOORBELL_SIZE       0x20
#define VMM_DB_ID               0x00    /* ro: VMM_DB_ID_VALUE */
#define VMM_DB_RING_ADDR        0x04    /* rw: guest address of the ring */
#define VMM_DB_RING_SIZE        0x08    /* rw: descriptors, power of 2 */
#define VMM_DB_NOTIFY           0x0c    /* wo: the doorbell */
#define VMM_DB_STATUS           0x10    /* ro, write 1s to clear: errors */
#define VMM_DB_COMPLETED        0x14    /* ro: requests completed */
#define VMM_DB_ID_VALUE         0x4c454244      /* "DBEL" */
#define VMM_DB_RING_MAX         256

/* VMM_DB_STATUS bits: sticky until the guest clears them. */
#define VMM_DB_ERR_BAD_REG      0x01    /* unknown register or width */
#define VMM_DB_ERR_BAD_RING     0x02    /* ring outside RAM or bad size */
#define VMM_DB_ERR_OVERFLOW     0x04    /* avail ran ahead by > size */
#define VMM_DB_ERR_BAD_DESC     0x08    /* a descriptor failed */

/*
 * Ring in guest memory: a header and VMM_DB_RING_SIZE descriptors.  Indexes
 * are free-running 16-bit counters; descriptor i lives in slot i % size.
 */
#define VMM_RING_AVAIL          0       /* u16, guest writes */
#define VMM_RING_USED           2       /* u16, device writes */
#define VMM_RING_DESC           8       /* first descriptor */
#define VMM_DESC_SIZE           16
#define VMM_DESC_OP             0       /* u8 */
#define VMM_DESC_STATUS         1       /* u8, device writes */
#define VMM_DESC_LEN            2       /* u16 */
#define VMM_DESC_ADDR           4       /* u32 */
#define VMM_DESC_ARG            8       /* u32 */
#define VMM_DESC_RESULT         12      /* u32, device writes */

#define VMM_OP_NOP              0
#define VMM_OP_FILL             1       /* buffer[0..len) = arg & 0xff */
#define VMM_OP_SUM              2       /* result = sum of buffer bytes */

#define VMM_DESC_PENDING        0x00
#define VMM_DESC_OK             0x01
#define VMM_DESC_BAD_OP         0x81
#define VMM_DESC_BAD_ADDR       0x82

/* Timer device: 32-bit registers. */
#define VMM_TIMER_BASE          0x720
#define VMM_TIMER_SIZE          0x10
#define VMM_TIMER_CTRL          0x00    /* rw: VMM_TIMER_CTRL_* */
#define VMM_TIMER_PERIOD_US     0x04    /* rw: microseconds, >= 1 */
#define VMM_TIMER_COUNT         0x08    /* ro: expirations so far */
#define VMM_TIMER_CTRL_ENABLE   0x01
#define VMM_TIMER_CTRL_PERIODIC 0x02
#define VMM_TIMER_CTRL_REALTIME 0x04    /* else QEMU_CLOCK_VIRTUAL */

#endif /* VMM_GUEST_ABI_H */
