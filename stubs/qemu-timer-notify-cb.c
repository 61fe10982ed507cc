/*
 * qemuutil stub: the main loop's timer-list notify callback.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * In a system emulator with icount, a virtual-clock deadline change must
 * kick the vCPU instead; without icount (always, here) it only has to wake
 * the main loop so that it recomputes its poll timeout.
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "system/cpu-timers.h"

void qemu_timer_notify_cb(void *opaque, QEMUClockType type)
{
    /* Every clock, every list: the main loop re-reads all deadlines. */
    qemu_notify_event();
}
