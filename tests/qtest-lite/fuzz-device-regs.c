/*
 * libFuzzer target: vmm-mini's device registers driven directly through
 * vmm_io_dispatch(), interleaved with guest-RAM stores (rings and
 * descriptors), virtual-clock steps and main-loop iterations.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The input is a sequence of operations; each starts with an opcode byte
 * and takes the bytes it needs after it (missing bytes read as 0).  The
 * addresses are folded onto the devices' windows and the start of the
 * scratch area, where the guest's rings live, so that most accesses hit
 * something.  Guest input must never abort or crash a device.
 */
#include "fuzz-common.h"

static VmmMachine *machine;

typedef struct Input {
    const uint8_t *data;
    size_t size;
    size_t pos;
} Input;

static uint64_t take(Input *in, unsigned n)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        v |= (uint64_t)(in->pos < in->size ? in->data[in->pos] : 0) << (8 * i);
        in->pos++;
    }
    return v;
}

/* PIO windows: serial, exit (status only writes are skipped), doorbell,
 * timer. */
static const uint16_t pio_bases[] = {
    VMM_SERIAL_BASE, VMM_EXIT_BASE + VMM_EXIT_MARK, VMM_DOORBELL_PIO_BASE,
    VMM_TIMER_BASE,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    machine = fuzz_machine_new(VMM_DOORBELL_IOEVENTFD);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    Input in = { data, size, 0 };
    uint64_t addr, value;
    unsigned op, len;

    fuzz_reset(machine);
    while (in.pos < in.size) {
        op = take(&in, 1);
        len = sizes[(op >> 4) & 3];
        switch (op & 7) {
        case 0:                 /* port write */
        case 1:                 /* port read */
            addr = pio_bases[take(&in, 1) % ARRAY_SIZE(pio_bases)] +
                   take(&in, 1) % 0x24;
            value = take(&in, 4);
            vmm_io_dispatch(machine, VMM_SPACE_PIO, addr, &value,
                            MIN(len, 4), !(op & 1));
            break;
        case 2:                 /* MMIO write */
        case 3:                 /* MMIO read */
            addr = VMM_DOORBELL_MMIO_BASE + take(&in, 1) % 0x28;
            value = take(&in, 8);
            vmm_io_dispatch(machine, VMM_SPACE_MMIO, addr, &value, len,
                            !(op & 1));
            break;
        case 4:                 /* guest RAM store: rings, descriptors */
            addr = VMM_GUEST_SCRATCH + take(&in, 2) % 0x1200;
            value = take(&in, 8);
            vmm_ram_write(machine, addr, &value, len);
            break;
        case 5:                 /* the doorbell register, 16-bit */
            value = 0;
            addr = take(&in, 1) & 1;
            vmm_io_dispatch(machine, addr ? VMM_SPACE_MMIO : VMM_SPACE_PIO,
                            (addr ? VMM_DOORBELL_MMIO_BASE :
                             VMM_DOORBELL_PIO_BASE) + VMM_DB_NOTIFY,
                            &value, 2, true);
            break;
        case 6:                 /* step the virtual clock, <= 65 ms */
            qemu_clock_advance_virtual_time(
                qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + take(&in, 2) * 1000);
            break;
        default:                /* one main-loop iteration */
            main_loop_wait(true);
            break;
        }
    }
    main_loop_wait(true);
    return 0;
}
