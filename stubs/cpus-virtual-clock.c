/*
 * qemuutil stub: QEMU_CLOCK_VIRTUAL as a settable counter.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A system emulator derives virtual time from the vCPUs; qemuutil has none,
 * so the virtual clock is a plain 64-bit value that starts at 0 and moves
 * only when someone sets it (tests, qtest-lite's clock_step, or
 * qemu_clock_advance_virtual_time()).  That makes every virtual-clock timer
 * test deterministic.
 */
#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "system/cpu-timers.h"

/* Read and written with atomics from any thread; no other protection. */
static int64_t virtual_clock_ns;

int64_t cpus_get_virtual_clock(void)
{
    return qatomic_read(&virtual_clock_ns);
}

void cpus_set_virtual_clock(int64_t new_time)
{
    qatomic_set(&virtual_clock_ns, new_time);
}
