/*
 * vmm-mini serial console: the transmit side of a 16550 UART at the COM1
 * ports, enough for a guest to print.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Writes to THR go to stdout or to --serial-file, a line at a time.  LSR
 * always reports the transmitter empty, so a guest that polls it before
 * each byte never waits.  The other registers read back what was written
 * (scratch, divisor, LCR...) and have no effect; there is no receive side
 * and no interrupt.
 */
#include "qemu/osdep.h"

#include "vmm.h"

#define SERIAL_NREGS 8
#define SERIAL_LINE_MAX 256

int vmm_serial_fd = -1;

typedef struct SerialState {
    VmmDevice parent;
    VmmRegion region;
    /* Everything below is protected by the BQL. */
    uint8_t regs[SERIAL_NREGS];
    char line[SERIAL_LINE_MAX];
    size_t line_len;
    uint64_t bytes;
} SerialState;

static void serial_flush(SerialState *s)
{
    int fd = vmm_serial_fd >= 0 ? vmm_serial_fd : STDOUT_FILENO;
    size_t done = 0;
    ssize_t n;

    while (done < s->line_len) {
        n = write(fd, s->line + done, s->line_len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;              /* output gone: drop it, never stop the VM */
        }
        done += n;
    }
    s->line_len = 0;
}

static uint64_t serial_read(void *opaque, uint64_t offset, unsigned size)
{
    SerialState *s = opaque;

    if (offset == VMM_SERIAL_LSR) {
        return VMM_SERIAL_LSR_THRE | VMM_SERIAL_LSR_TEMT;
    }
    if (offset == VMM_SERIAL_THR) {
        return 0;               /* receive buffer: never any input */
    }
    return s->regs[offset];
}

static void serial_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    SerialState *s = opaque;

    if (offset != VMM_SERIAL_THR) {
        s->regs[offset] = value;
        return;
    }
    s->line[s->line_len++] = value;
    s->bytes++;
    if (value == '\n' || s->line_len == SERIAL_LINE_MAX) {
        serial_flush(s);
    }
}

static const VmmRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
};

static int serial_realize(VmmDevice *dev, Error **errp)
{
    SerialState *s = container_of(dev, SerialState, parent);

    s->region = (VmmRegion) {
        .name = dev->id,
        .space = dev->space,
        .base = dev->base,
        .size = SERIAL_NREGS,
        .ops = &serial_ops,
        .opaque = s,
    };
    vmm_region_add(dev->machine, &s->region);
    return 0;
}

static void serial_unrealize(VmmDevice *dev)
{
    serial_flush(container_of(dev, SerialState, parent));
}

static void serial_stats(VmmDevice *dev, GString *out)
{
    SerialState *s = container_of(dev, SerialState, parent);

    g_string_append_printf(out, "%" PRIu64 " bytes written", s->bytes);
}

const VmmDeviceInfo vmm_serial_info = {
    .name = "serial",
    .instance_size = sizeof(SerialState),
    .realize = serial_realize,
    .unrealize = serial_unrealize,
    .stats = serial_stats,
};
