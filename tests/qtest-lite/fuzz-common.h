/*
 * What both libFuzzer targets share: one vmm-mini machine with the default
 * board and a do-nothing accelerator, created once, and a reset between
 * inputs through the devices' own registers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The machine persists across inputs (creating one per input would spend
 * the run on mmap and realize), so fuzz_reset() puts every device back in
 * a known state: timer off, doorbell rings unset, error bits cleared, RAM
 * zeroed, virtual clock at 0, pending doorbell kicks run.
 */
#ifndef QTEST_LITE_FUZZ_COMMON_H
#define QTEST_LITE_FUZZ_COMMON_H

#include "qemu/osdep.h"

#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "system/cpu-timers.h"

#include "vmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Set by a target that wants interrupt edges (e.g. the protocol engine). */
static void (*fuzz_irq_hook)(int gsi, bool level);

static int fuzz_accel_init(VmmMachine *m, Error **errp)
{
    return 0;                   /* RAM is vmm_machine_new()'s */
}

static void fuzz_accel_irq_set(VmmMachine *m, VmmIrq *irq, bool level)
{
    if (fuzz_irq_hook) {
        fuzz_irq_hook(irq->gsi, level);
    }
}

static int fuzz_accel_start(VmmMachine *m, Error **errp)
{
    return 0;
}

static void fuzz_accel_stop(VmmMachine *m)
{
}

/* Like the qtest accelerator: no ioeventfd hook, no clock sync. */
static const VmmAccelOps fuzz_accel = {
    .name = "fuzz",
    .init = fuzz_accel_init,
    .irq_set = fuzz_accel_irq_set,
    .start = fuzz_accel_start,
    .stop = fuzz_accel_stop,
};

static VmmMachine *fuzz_machine_new(VmmDoorbellMode mode)
{
    VmmMachine *m;

    if (qemu_init_main_loop(&error_abort) < 0) {
        abort();
    }
    /* Serial output is noise here. */
    vmm_serial_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    m = vmm_machine_new(&fuzz_accel, VMM_RAM_SIZE);
    m->doorbell_mode = mode;
    if (vmm_machine_init_accel(m, &error_abort) < 0 ||
        vmm_machine_realize(m, vmm_default_board, vmm_default_board_size,
                            &error_abort) < 0) {
        abort();
    }
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    return m;
}

static void fuzz_reg_write(VmmMachine *m, VmmSpace space, uint64_t addr,
                           uint32_t value)
{
    vmm_io_dispatch(m, space, addr, &value, 4, true);
}

static void fuzz_reset(VmmMachine *m)
{
    static const struct {
        VmmSpace space;
        uint64_t base;
    } doorbells[] = {
        { VMM_SPACE_PIO, VMM_DOORBELL_PIO_BASE },
        { VMM_SPACE_MMIO, VMM_DOORBELL_MMIO_BASE },
    };
    size_t i;

    /* Run kicks still pending from the last input, then forget them. */
    main_loop_wait(true);
    fuzz_reg_write(m, VMM_SPACE_PIO, VMM_TIMER_BASE + VMM_TIMER_CTRL, 0);
    fuzz_reg_write(m, VMM_SPACE_PIO, VMM_TIMER_BASE + VMM_TIMER_PERIOD_US,
                   0);
    for (i = 0; i < ARRAY_SIZE(doorbells); i++) {
        fuzz_reg_write(m, doorbells[i].space,
                       doorbells[i].base + VMM_DB_RING_ADDR, 0);
        fuzz_reg_write(m, doorbells[i].space,
                       doorbells[i].base + VMM_DB_RING_SIZE, 1);
        fuzz_reg_write(m, doorbells[i].space,
                       doorbells[i].base + VMM_DB_STATUS, 0xffffffff);
    }
    memset(m->ram, 0, m->ram_size);
    cpus_set_virtual_clock(0);
}

#endif /* QTEST_LITE_FUZZ_COMMON_H */
