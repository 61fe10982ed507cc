/*
 * qemuutil stub: CPU time, the base of QEMU_CLOCK_VIRTUAL_RT.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Without vCPUs, CPU time is host time; like QEMU's tool stub this reads
 * the host's wall clock.
 */
#include "qemu/osdep.h"
#include "system/cpu-timers.h"

int64_t cpu_get_clock(void)
{
    return get_clock_realtime();
}
